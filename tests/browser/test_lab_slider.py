"""Drive notebook 01's price-decline explorer in a real JupyterLab, in headless Debian chromium.

Opens a tmp copy of ``notebooks/01_price_decline.ipynb``, runs all cells, drags the
"Threshold score" slider handle with the mouse like a person would, and checks that the live
readout text, the slider's own readout value and the ipympl figure canvas all change.
Full-page screenshots before and after the move go to ``/tmp/inferecon_browser/``.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    # skips in a user's clone without chromium; fails under CI=true (tests/conftest.py)
    pytest.mark.requires(
        CHROMIUM.exists(), reason=f"Debian chromium not found at {CHROMIUM} (.ci/run installs it)"
    ),
]
from playwright.sync_api import expect  # noqa: E402 - playwright is in the [test] extra

SHOT_DIR = Path("/tmp/inferecon_browser")
RUN_TIMEOUT_MS = 180_000  # run-all on a 2-core CI box: kernel start, imports, two explorers
CHANGE_TIMEOUT_S = 30.0
DEFAULT_THRESHOLD = "64.8"
DRAG_PX = 100


# Console errors that are harmless for this test, each with the reason. Everything else that
# JupyterLab, ipywidgets, ipympl or the page logs at level "error" (or throws) fails the test.
ALLOWED_CONSOLE_ERRORS: list[tuple[re.Pattern, str]] = []


def _unexpected_console_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(p.search(e) for p, _why in ALLOWED_CONSOLE_ERRORS)]


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


def _settle(read, what: str, timeout_s: float = CHANGE_TIMEOUT_S, interval_s: float = 1.0):
    """Return ``read()`` once it is truthy and gives the same value twice ``interval_s`` apart."""
    last = {"value": None}

    def stable():
        value = read()
        same = value is not None and value == last["value"]
        last["value"] = value
        return value if same else None

    return _poll(stable, timeout_s, what, interval_s)


def _snapshot(kernel_status, readout, canvas) -> tuple[str, bytes] | None:
    """(readout text, canvas PNG) while the kernel is idle, else None."""
    if not kernel_status.is_visible():
        return None
    return readout.inner_text(), canvas.screenshot()


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


def test_threshold_slider_updates_readout_and_figure(lab_server, lab_page, page_log, tmp_path):
    page = lab_page
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    # --- open the notebook and wait for its kernel ----------------------------------------
    page.goto(lab_server.lab_url(lab_server.notebook), wait_until="domcontentloaded")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    kernel_status = page.locator(".jp-StatusBar-Widget").get_by_text(
        re.compile(r"Python 3.*\|\s*Idle")
    )
    expect(kernel_status).to_be_visible(timeout=RUN_TIMEOUT_MS)

    # --- Run > Run All Cells -----------------------------------------------------------------
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()

    # --- the first explorer: threshold slider, readout and ipympl canvas ------------------------
    label = notebook.locator(".widget-label", has_text="Threshold score").first
    expect(label).to_be_visible(timeout=RUN_TIMEOUT_MS)
    # the output area that holds the first explorer (``has`` locators are relative to it)
    explorer = notebook.locator(".jp-OutputArea-output").filter(
        has=page.locator(".widget-label", has_text="Threshold score")
    )
    expect(explorer).to_have_count(1)
    slider = explorer.locator(".widget-slider").filter(has_text="Threshold score").first
    slider_value = slider.locator(".widget-readout")
    handle = slider.locator(".noUi-handle")
    readout = explorer.locator(".widget-html").filter(has_text="× per year").first
    canvas = explorer.locator(".jupyter-matplotlib-canvas-div").first

    expect(readout).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(slider_value).to_have_text(DEFAULT_THRESHOLD, timeout=RUN_TIMEOUT_MS)
    expect(canvas.locator("canvas").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    # wait until the whole run is over: the last code cell has its execution count
    expect(notebook.locator(".jp-CodeCell .jp-InputPrompt").last).to_have_text(
        re.compile(r"\[\d+\]"), timeout=RUN_TIMEOUT_MS
    )
    expect(notebook.locator(".jp-InputPrompt", has_text="*")).to_have_count(
        0, timeout=RUN_TIMEOUT_MS
    )
    expect(kernel_status).to_be_visible(timeout=RUN_TIMEOUT_MS)
    # ipympl draws asynchronously: wait until the kernel is idle and the canvas is stable
    explorer.scroll_into_view_if_needed()
    readout_before, canvas_before = _settle(
        lambda: _snapshot(kernel_status, readout, canvas), "the first explorer to settle"
    )
    assert "× per year" in readout_before
    assert _norm(readout_before) == _expected_readout(float(DEFAULT_THRESHOLD))
    label.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOT_DIR / "before.png"), full_page=True)
    ready_s = time.monotonic() - t0

    # --- move the slider like a person: drag the handle ~100 px to the right -------------------
    box = handle.bounding_box()
    assert box is not None, "the threshold slider handle has no bounding box"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x + DRAG_PX * i / 10, y)
    page.mouse.up()
    t_move = time.monotonic()

    # --- the slider value, the readout and the figure must all change ----------------------------
    expect(slider_value).not_to_have_text(DEFAULT_THRESHOLD, timeout=CHANGE_TIMEOUT_S * 1000)
    new_value = float(slider_value.inner_text())
    assert new_value > float(DEFAULT_THRESHOLD), f"slider moved the wrong way: {new_value}"
    _poll(
        lambda: readout.inner_text() != readout_before,
        CHANGE_TIMEOUT_S,
        "the explorer readout to change after moving the slider",
    )
    _poll(
        lambda: canvas.screenshot() != canvas_before,
        CHANGE_TIMEOUT_S,
        "the ipympl figure canvas to be redrawn after moving the slider",
    )
    changed_s = time.monotonic() - t_move
    # continuous_update queues one recompute per drag step: wait for the last one to land
    readout_after, canvas_after = _settle(
        lambda: _snapshot(kernel_status, readout, canvas), "the explorer to settle after the move"
    )
    assert slider_value.inner_text() == f"{new_value:.1f}"
    assert readout_after != readout_before
    assert canvas_after != canvas_before
    assert _norm(readout_after) == _expected_readout(new_value), (
        "the readout does not match the package's result for the slider's final value"
    )
    label.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOT_DIR / "after.png"), full_page=True)

    for name in ("before.png", "after.png"):
        shutil.copy2(SHOT_DIR / name, tmp_path / name)
    (tmp_path / "canvas_before.png").write_bytes(canvas_before)
    (tmp_path / "canvas_after.png").write_bytes(canvas_after)

    print(
        f"\nready after {ready_s:.1f} s; threshold {DEFAULT_THRESHOLD} -> {new_value}; "
        f"readout and figure changed {changed_s:.1f} s after the drag\n"
        f"readout before: {readout_before!r}\nreadout after:  {readout_after!r}\n"
        f"screenshots: {SHOT_DIR}/before.png, {SHOT_DIR}/after.png (copies in {tmp_path})\n"
        f"ipympl canvases rendered in the notebook: "
        f"{notebook.locator('.jupyter-matplotlib-canvas-div').count()}\n"
        f"browser console messages: {len(page_log.messages)}, errors: {len(page_log.errors())}"
    )
    print("\n".join(page_log.messages[-40:]))
    errors = _unexpected_console_errors(page_log.errors())
    assert not errors, f"{len(errors)} browser console error(s):\n" + "\n".join(errors)
