"""Every notebook, live in JupyterLab (headless Debian chromium): Run All, then every control.

For each notebook in ``notebooks/`` (one test each, one JupyterLab server for the module):
Run > Run All Cells, then, explorer by explorer, focus every slider handle and press keys
(End, Home, right: the maximum, the minimum and a step), choose another
option in every dropdown and toggle every checkbox. Then:

* the kernel neither died nor restarted (status bar idle, no restart dialog, no second
  "starting" status, nothing of the kind in the server log, which holds the kernel's stderr);
* no cell shows an error or stderr output, and the kernel sent no error or stderr message at
  all (the page's probe reads every IOPub message, including those of widget callbacks that
  JupyterLab shows in no cell);
* the last cell (the export cell) shows nothing, and the run wrote no file beside the notebooks
  (``EXPORT_DIR = None``; JupyterLab's own checkpoints aside);
* the browser console holds no error or warning (ipympl reports a frame it cannot decode as
  "Error setting state: ... 'broken' state"), and no exception was thrown in the page;
* every explorer's figure canvas changed.

Notebook 01 first has its "Threshold score" handle dragged with the mouse, like a person
(:func:`_drag_threshold_like_a_person`): the slider's value, the readout and the canvas must
change, and the readout must equal the package's own result for the new threshold. Full-page
screenshots before and after go to ``/tmp/inferecon_browser/``.

JupyterLab runs with its default notebook windowing ("contentVisibility", as ``make lab``):
outputs off screen are not laid out, as for a user scrolling through the notebook.
"""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest


def _load_harness():
    """``lab_harness.py`` (conftest.py has loaded it already under this name)."""
    name = "inferecon_lab_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("lab_harness.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _load_harness()

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    # skips in a user's clone without chromium; fails under CI=true (tests/conftest.py)
    pytest.mark.requires(
        CHROMIUM.exists(), reason=f"Debian chromium not found at {CHROMIUM} (.ci/run installs it)"
    ),
]

NOTEBOOKS = sorted(p.name for p in harness.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
RUN_TIMEOUT_MS = 600_000  # run-all on a busy 2-core CI box (notebook 04 fits and bootstraps)
SLIDER_KEYS = ("End", "Home", "ArrowRight")  # the maximum, the minimum, a step
KEY_GAP_S = 0.05  # between presses on one handle: a person tapping a key
# No kernel message for this long after the last key, with the kernel idle: it has answered.
# A control whose callback runs longer keeps the kernel busy (its status), and ipywidgets
# sends a value held back while the kernel was busy as the kernel's idle status arrives, so the
# quiet window only has to bridge message gaps of a few ms (150 ms: 06's 66 controls 59 -> 43 s)
QUIET_MS = 150
SETTLE_MS = 500  # after an explorer's last control, before its canvas is read

# Messages that are not failures, each with the reason. Everything else fails the test.
ALLOWED_CONSOLE: list[tuple[re.Pattern, str]] = [
    (
        re.compile(r"^\[warning\] Disabling terminals plugin because they are not available"),
        "the test server runs with terminals disabled (lab_harness.start_lab)",
    ),
]
ALLOWED_IOPUB: list[tuple[re.Pattern, str]] = [
    (
        re.compile(
            r"^stderr: No such comm( target registered: jupyter\.widget\.control|: \S+)\s*$"
        ),
        "ipywidgets' front end opens its jupyter.widget.control comm as the kernel starts, "
        "before any cell has imported ipywidgets; the kernel logs that it has no such target "
        "(and then no such comm); it happens on opening any notebook, before a cell runs",
    ),
]


def _written(root) -> set[str]:
    """Files under the server's root, less JupyterLab's checkpoints."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def _unexpected(messages: list[str], allowed) -> list[str]:
    return [m for m in messages if not any(p.search(m) for p, _why in allowed)]


# --- notebook 01: a mouse drag, and the readout against the package ----------------------------
SHOT_DIR = Path("/tmp/inferecon_browser")
CHANGE_TIMEOUT_S = 30.0
DEFAULT_THRESHOLD = "64.8"
DRAG_PX = 100


def _poll(condition, timeout_s: float, what: str, interval_s: float = 0.25):
    """Return the first truthy value of ``condition()``; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def _settle(read, what: str, timeout_s: float = CHANGE_TIMEOUT_S, interval_s: float = 0.5):
    """Return ``read()`` once it is truthy and gives the same value twice ``interval_s`` apart."""
    last = {"value": None}

    def stable():
        value = read()
        same = value is not None and value == last["value"]
        last["value"] = value
        return value if same else None

    return _poll(stable, timeout_s, what, interval_s)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _expected_readout(threshold: float) -> str:
    """The readout text the package computes for the notebook's defaults at ``threshold``."""
    import matplotlib

    matplotlib.use("Agg")
    import inferecon as ie

    explorer = ie.viz.PriceDeclineExplorer(ie.load_prices(), threshold=threshold)
    try:
        value = explorer.readout.value
    finally:
        explorer.close()
    value = re.sub(r"<br\s*/?>", "\n", value)
    return _norm(html.unescape(re.sub(r"<[^>]+>", "", value)))


def _drag_threshold_like_a_person(page, tmp_path) -> str:
    """Drag notebook 01's threshold handle ~100 px right with the mouse; the slider value, the
    readout and the canvas change, and the readout is the package's for the new value."""
    from playwright.sync_api import expect

    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    notebook = harness.notebook_locator(page)
    kernel_status = harness.kernel_idle_locator(page)
    explorer = notebook.locator(".jp-OutputArea-output").filter(
        has=page.locator(".widget-label", has_text="Threshold score")
    )
    expect(explorer).to_have_count(1)
    slider = explorer.locator(".widget-slider").filter(has_text="Threshold score").first
    slider_value = slider.locator(".widget-readout")
    handle = slider.locator(".noUi-handle")
    readout = explorer.locator(".widget-html").filter(has_text="× per year").first
    canvas = explorer.locator(".jupyter-matplotlib-canvas-div").first
    expect(slider_value).to_have_text(DEFAULT_THRESHOLD)

    def snapshot():  # (readout text, canvas PNG) while the kernel is idle
        if not kernel_status.is_visible():
            return None
        return readout.inner_text(), canvas.screenshot()

    explorer.scroll_into_view_if_needed()
    readout_before, canvas_before = _settle(snapshot, "the first explorer to settle")
    assert _norm(readout_before) == _expected_readout(float(DEFAULT_THRESHOLD))
    page.screenshot(path=str(SHOT_DIR / "before.png"), full_page=True)

    box = handle.bounding_box()
    assert box is not None, "the threshold slider handle has no bounding box"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + DRAG_PX * i / 10, y)
    page.mouse.up()

    expect(slider_value).not_to_have_text(DEFAULT_THRESHOLD, timeout=CHANGE_TIMEOUT_S * 1000)
    new_value = float(slider_value.inner_text())
    assert new_value > float(DEFAULT_THRESHOLD), f"slider moved the wrong way: {new_value}"
    # continuous_update queues one recompute per drag step: wait for the last one to land
    _poll(lambda: readout.inner_text() != readout_before, CHANGE_TIMEOUT_S, "the readout")
    readout_after, canvas_after = _settle(snapshot, "the explorer to settle after the drag")
    assert slider_value.inner_text() == f"{new_value:.1f}"
    assert canvas_after != canvas_before, "the figure canvas did not change after the drag"
    assert _norm(readout_after) == _expected_readout(new_value), (
        "the readout does not match the package's result for the slider's final value"
    )
    page.screenshot(path=str(SHOT_DIR / "after.png"), full_page=True)
    for name in ("before.png", "after.png"):
        shutil.copy2(SHOT_DIR / name, tmp_path / name)
    return f"dragged the threshold {DEFAULT_THRESHOLD} -> {new_value}; screenshots in {SHOT_DIR}"


@pytest.fixture(scope="module")
def live_lab(tmp_path_factory):
    """One JupyterLab server for the module, serving copies of every notebook."""
    tmp = tmp_path_factory.mktemp("live_lab")
    root = tmp / "lab_root"
    harness.copy_notebooks(root, NOTEBOOKS)
    server = harness.start_lab(root, tmp)
    server.shutdowns = []  # threads shutting down earlier tests' kernels (see live_page)
    yield server
    for thread in server.shutdowns:
        thread.join(timeout=60)
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = harness.launch_chromium(p)
        yield browser
        browser.close()


@pytest.fixture
def live_page(live_lab, chromium, tmp_path, request):
    """A fresh page (its own console log and probe) per notebook; kernels shut down after."""
    context = chromium.new_context(viewport=harness.VIEWPORT)
    context.add_init_script(harness.PAGE_PROBE)
    page = context.new_page()
    log = harness.PageLog()
    log.attach(page)
    log_start = len(live_lab.log_path.read_text(errors="replace"))
    yield page, log, log_start
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\n--- failure screenshot: {shot} ---")
        print("--- browser console (last 60) ---\n" + "\n".join(log.messages[-60:]))
        print("--- server log since the test began ---\n" + live_lab.log_tail()[-4000:])
    context.close()
    # this test's sessions and kernels, shut down while the next test opens its notebook (each
    # DELETE waits for its kernel to exit: ~1-3 s of idle per test when done here)
    which = harness.running_sessions_and_kernels(live_lab)
    thread = threading.Thread(target=harness.shutdown_kernels, args=(live_lab, which), daemon=True)
    thread.start()
    live_lab.shutdowns.append(thread)


@pytest.mark.timeout(600)  # one notebook: 20-110 s here; a browser action that never returns fails
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_run_all_then_every_control(notebook, live_lab, live_page, tmp_path):
    page, log, log_start = live_page
    files_before = _written(live_lab.root)
    t0 = time.monotonic()
    harness.open_notebook(page, live_lab, notebook, RUN_TIMEOUT_MS)
    harness.run_all_cells(page)
    harness.wait_run_finished(page, RUN_TIMEOUT_MS)
    assert harness.wait_quiet(page, 1000, timeout_s=120), "frames still coming after the run"
    ran_s = time.monotonic() - t0
    dragged = ""
    if notebook.startswith("01_"):
        dragged = _drag_threshold_like_a_person(page, tmp_path) + "; "

    views = harness.explorers_in_page(page)
    assert views, f"{notebook}: no ipympl figure after Run All"
    unchanged, moved = [], []
    for ex in views:
        ex.canvas.scroll_into_view_if_needed()
        before = ex.digest()
        for label, handle in ex.sliders:
            handle.scroll_into_view_if_needed()
            handle.focus()
            for key in SLIDER_KEYS:
                page.keyboard.press(key)
                time.sleep(KEY_GAP_S)
            harness.wait_quiet(page, QUIET_MS)
            moved.append(f"{ex.name} / {label}")
        for label, select in ex.dropdowns:
            if harness.select_other_option(select) is not None:
                harness.wait_quiet(page, QUIET_MS)
                moved.append(f"{ex.name} / {label}")
        for label, box in ex.checkboxes:
            box.scroll_into_view_if_needed()
            box.click()
            harness.wait_quiet(page, QUIET_MS)
            moved.append(f"{ex.name} / {label}")
        harness.wait_quiet(page, SETTLE_MS)
        if ex.digest() == before:
            unchanged.append(ex.name)
    controls_s = time.monotonic() - t0 - ran_s

    # --- the kernel lived ---------------------------------------------------------------------
    harness.wait_quiet(page, 1000)
    from playwright.sync_api import expect

    expect(harness.kernel_idle_locator(page)).to_be_visible(timeout=30_000)
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    assert not dialogs, f"{notebook}: dialog(s) shown: {dialogs}"
    statuses = page.evaluate("() => window.__lab.status")
    assert statuses.count("starting") <= 1, f"{notebook}: the kernel restarted: {statuses}"
    assert "dead" not in statuses, f"{notebook}: the kernel died"
    server_log = live_lab.log_path.read_text(errors="replace")[log_start:]
    problems = [ln for ln in server_log.splitlines() if harness.KERNEL_LOG_PROBLEMS.search(ln)]
    assert not problems, f"{notebook}: the server log says:\n" + "\n".join(problems[:40])

    # --- no error anywhere ------------------------------------------------------------------
    notebook_el = harness.notebook_locator(page)
    stderr = notebook_el.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    )
    texts = [t[:600] for t in stderr.all_inner_texts()]
    assert not texts, f"{notebook}: error or stderr output in a cell:\n" + "\n---\n".join(texts)
    iopub = _unexpected(page.evaluate("() => window.__lab.iopub"), ALLOWED_IOPUB)
    assert not iopub, f"{notebook}: the kernel reported:\n" + "\n".join(m[:6000] for m in iopub)
    last_cell = notebook_el.locator(".jp-CodeCell").last
    export_out = last_cell.locator(".jp-OutputArea-output").all_inner_texts()
    assert not export_out, f"{notebook}: the export cell printed {export_out}"
    new_files = sorted(_written(live_lab.root) - files_before)
    assert not new_files, f"{notebook}: the default run wrote files (EXPORT_DIR=None): {new_files}"
    console = _unexpected(
        [m for m in log.messages if m.startswith(("[error]", "[warning]", "[pageerror]"))],
        ALLOWED_CONSOLE,
    )
    assert not console, f"{notebook}: browser console:\n" + "\n".join(m[:600] for m in console)

    # --- and the figures moved ----------------------------------------------------------------
    assert moved
    assert not unchanged, f"{notebook}: these explorers' figures did not change: {unchanged}"
    print(
        f"\n{notebook}: run all {ran_s:.0f} s; {dragged}{len(views)} explorers, {len(moved)} "
        f"controls moved in {controls_s:.0f} s"
    )
