"""An isolated JupyterLab server and a headless Debian chromium, for the browser test and the
browser benchmark (``benchmarks/browser_latency.py``).

The server runs from a temporary root holding *copies* of the notebooks, never from the
repository's ``notebooks/`` folder: JupyterLab autosaves, and would write outputs into the
committed notebooks. Jupyter's config, data, runtime and IPython folders point into the
temporary folder as well, so nothing from the user's home leaks in; the venv's
``share/jupyter`` stays on the data path (it is ``sys.prefix``-based), so the ipywidgets and
ipympl lab extensions are found.

This module imports neither pytest nor playwright at import time, so it can be loaded (by path)
from the benchmark and from ``conftest.py`` alike.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1600, "height": 1400}
SERVER_START_TIMEOUT_S = 90.0
LOG_TAIL_CHARS = 6000


def browser_missing_reason() -> str | None:
    """Why the browser tools cannot run here (None when they can)."""
    if not CHROMIUM.exists():
        return f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright Python package cannot be imported ({exc})"
    return None


@dataclass
class LabServer:
    """A running JupyterLab server serving ``root``."""

    url: str
    token: str
    root: Path
    log_path: Path
    process: subprocess.Popen
    notebook: str | None = None  # the notebook a test opens (set by the fixture)
    _log_file: object = None

    def lab_url(self, path: str) -> str:
        """The URL that opens ``path`` alone: ``reset`` empties the saved workspace first, so
        a page does not also restore the notebooks an earlier test left open (two notebooks,
        two kernels, and menus acting on the wrong one)."""
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        if not self.log_path.exists():
            return "<no server log>"
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Terminate the server (and its kernels) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


@dataclass
class PageLog:
    """Console messages and page errors seen by the browser page."""

    messages: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith(("[error]", "[pageerror]"))]

    def attach(self, page) -> None:
        page.on("console", lambda m: self.messages.append(f"[{m.type}] {m.text}"))
        page.on("pageerror", lambda e: self.messages.append(f"[pageerror] {e}"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def isolated_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a JupyterLab whose config, data, runtime and IPython dirs are in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    dirs = {
        "JUPYTER_CONFIG_DIR": tmp / "jupyter_config",
        "JUPYTER_DATA_DIR": tmp / "jupyter_data",
        "JUPYTER_RUNTIME_DIR": tmp / "jupyter_runtime",
        "IPYTHONDIR": tmp / "ipython",
        "MPLCONFIGDIR": tmp / "mplconfig",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env.update({k: str(v) for k, v in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # Lab user settings: no news prompt, no update check, no autosave surprises.
    settings = dirs["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings" / "@jupyterlab"
    _write_json(
        settings / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    _write_json(
        settings / "docmanager-extension" / "plugin.jupyterlab-settings",
        {"autosave": False},
    )
    # The notebook's windowing mode is JupyterLab's default ("contentVisibility": every cell in
    # the DOM, off-screen ones not laid out), as in a user's ``make lab``; a test that needs
    # another sets ``INFERECON_LAB_WINDOWING`` (e.g. "none").
    windowing = (extra or {}).get("INFERECON_LAB_WINDOWING") or os.environ.get(
        "INFERECON_LAB_WINDOWING"
    )
    if windowing:
        _write_json(
            settings / "notebook-extension" / "tracker.jupyterlab-settings",
            {"windowingMode": windowing},
        )
    env.update(extra or {})
    return env


def copy_notebooks(dest: Path, names: Iterable[str]) -> list[str]:
    """Copy ``notebooks/<name>`` files into ``dest``; return the copied file names."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        src = NOTEBOOKS / name
        shutil.copy2(src, dest / src.name)
        out.append(src.name)
    return out


def _wait_for_status(server: LabServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {server.process.returncode}.\n"
                f"--- server log tail ---\n{server.log_tail()}"
            )
        try:
            req = urllib.request.Request(
                f"{server.url}/api/status",
                headers={"Authorization": f"token {server.token}"},
            )
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    json.loads(resp.read())
                    return
                last_error = f"HTTP {resp.status}"
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last_error = repr(exc)
        time.sleep(0.5)
    raise RuntimeError(
        f"JupyterLab did not answer /api/status within {timeout_s:.0f} s ({last_error}).\n"
        f"--- server log tail ---\n{server.log_tail()}"
    )


def start_lab(
    root: Path, tmp: Path, env_extra: dict[str, str] | None = None, python: str | None = None
) -> LabServer:
    """Start JupyterLab on 127.0.0.1 serving ``root``; Jupyter's own dirs go under ``tmp``.

    The caller stops it with :meth:`LabServer.stop`.
    """
    env = isolated_env(tmp, env_extra)
    port = free_port()
    token = secrets.token_hex(24)
    log_path = tmp / "jupyterlab.log"
    cmd = [
        python or sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.collaborative=False",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers often run as root
    log_file = log_path.open("w")
    process = subprocess.Popen(
        cmd,
        cwd=root,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LabServer(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root=root,
        log_path=log_path,
        process=process,
        _log_file=log_file,
    )
    try:
        _wait_for_status(server, SERVER_START_TIMEOUT_S)
    except BaseException:
        server.stop()
        raise
    return server


def launch_chromium(playwright):
    """Headless Debian chromium (never a downloaded browser)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


# ---------------------------------------------------------------------- notebook helpers
def notebook_locator(page):
    """The visible notebook's ``.jp-Notebook`` element."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")


def kernel_idle_locator(page):
    """The status bar's kernel indicator when the kernel is idle."""
    return page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"Python 3.*\|\s*Idle"))


def open_notebook(page, server: LabServer, name: str, timeout_ms: float) -> None:
    """Open ``name`` in JupyterLab and wait until its kernel is idle."""
    from playwright.sync_api import expect

    page.goto(server.lab_url(name), wait_until="domcontentloaded")
    expect(notebook_locator(page).locator(".jp-Cell").first).to_be_visible(timeout=timeout_ms)
    expect(kernel_idle_locator(page)).to_be_visible(timeout=timeout_ms)


def run_all_cells(page) -> None:
    """Run > Run All Cells."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


def wait_run_finished(page, timeout_ms: float) -> None:
    """Wait until every code cell has an execution count and the kernel is idle."""
    from playwright.sync_api import expect

    notebook = notebook_locator(page)
    expect(notebook.locator(".jp-CodeCell .jp-InputPrompt").last).to_have_text(
        re.compile(r"\[\d+\]"), timeout=timeout_ms
    )
    expect(notebook.locator(".jp-InputPrompt", has_text="*")).to_have_count(0, timeout=timeout_ms)
    expect(kernel_idle_locator(page)).to_be_visible(timeout=timeout_ms)


# ---------------------------------------------------------------------- live-notebook checks
PAGE_PROBE = r"""
(() => {
  // What a browser test needs to know that the page does not show: when the kernel's
  // websockets last carried a message (so a test can wait for a burst of frames to end), and
  // every IOPub "error" or stderr "stream" message, wherever JupyterLab routes it (a cell, the
  // log console, nowhere), and kernel status changes (a "starting" after the first one means
  // a restart).
  const P = (window.__lab = { last: 0, n: 0, iopub: [], status: [], state: 'idle' });
  const now = () => performance.now();
  const td = new TextDecoder();
  const note = (msg) => {
    if (!msg || !msg.header) return;
    const type = msg.header.msg_type, c = msg.content || {};
    if (type === 'error') {
      const tb = (c.traceback || []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
      const cut = tb.length > 5000 ? tb.slice(0, 2000) + '\n...\n' + tb.slice(-3000) : tb;
      P.iopub.push(`error: ${c.ename}: ${c.evalue}\n${cut}`);
    }
    else if (type === 'stream' && c.name === 'stderr') P.iopub.push(`stderr: ${c.text}`);
    else if (type === 'status') { P.status.push(c.execution_state); P.state = c.execution_state; }
  };
  const v1 = (buf) => {
    const dv = new DataView(buf);
    const n = Number(dv.getBigUint64(0, true));
    const off = [];
    for (let i = 0; i < n; i++) off.push(Number(dv.getBigUint64(8 * (i + 1), true)));
    const part = (i) => td.decode(new Uint8Array(buf, off[i], off[i + 1] - off[i]));
    if (part(0) !== 'iopub') return null;
    return { header: JSON.parse(part(1)), content: JSON.parse(part(4)) };
  };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        P.last = now(); P.n += 1;
        try {
          if (typeof e.data === 'string') {
            const m = JSON.parse(e.data);
            if (m.channel === 'iopub') note(m);
          } else if (e.data instanceof ArrayBuffer) {
            note(v1(e.data));
          }
        } catch (err) { /* not a kernel message */ }
      });
    }
  };
  const send = NativeWS.prototype.send;
  NativeWS.prototype.send = function (data) { P.last = now(); return send.call(this, data); };
})();
"""

CANVAS_DIGEST = """(c) => {
  if (!c.width || !c.height) return `${c.width}x${c.height}`;
  const url = c.toDataURL();
  let h = 2166136261 >>> 0;
  for (let i = 0; i < url.length; i++) { h = Math.imul(h ^ url.charCodeAt(i), 16777619) >>> 0; }
  return `${c.width}x${c.height}:${h}`;
}"""

HANDLE_VALUE = """(h) => {
  const t = h.closest('.noUi-target');
  if (t && t.noUiSlider) return JSON.stringify(t.noUiSlider.get(true));
  return h.getAttribute('aria-valuenow');
}"""


def wait_quiet(page, quiet_ms: float = 400, timeout_s: float = 60.0) -> bool:
    """Wait until the kernel is idle (its last IOPub status) and no kernel websocket message
    has come or gone for ``quiet_ms``; False when that did not happen within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    quiet = "(q) => window.__lab.state === 'idle' && performance.now() - window.__lab.last > q"
    while time.monotonic() < deadline:
        if page.evaluate(quiet, quiet_ms):
            return True
        time.sleep(0.05)
    return False


@dataclass
class ExplorerView:
    """One explorer's output in the page: its cell, figure canvas and controls."""

    name: str
    cell: object
    canvas: object
    sliders: list[tuple[str, object]]  # (label, noUi handle), two per range slider
    dropdowns: list[tuple[str, object]]  # (label, <select>)
    checkboxes: list[tuple[str, object]]  # (label, <input type=checkbox>)

    def digest(self) -> str:
        return self.canvas.evaluate(CANVAS_DIGEST)


def explorers_in_page(page) -> list[ExplorerView]:
    """Every code cell whose output holds an ipympl canvas, with its controls."""
    cells = (
        notebook_locator(page)
        .locator(".jp-CodeCell")
        .filter(has=page.locator(".jupyter-matplotlib-canvas-div canvas"))
    )
    found = []
    for i in range(cells.count()):
        cell = cells.nth(i)
        source = cell.locator(".jp-InputArea-editor").text_content() or ""
        m = re.search(r"(\w+Explorer)\s*\(", source)
        views = cell.locator(".jp-OutputArea-output")
        sliders, dropdowns, checkboxes = [], [], []
        for w in views.locator(".widget-slider").all():
            label = (w.locator(".widget-label").first.text_content() or "").strip()
            handles = w.locator(".noUi-handle").all()
            for k, handle in enumerate(handles):
                suffix = "" if len(handles) == 1 else (" (lower)", " (upper)")[k]
                sliders.append((label + suffix, handle))
        for w in views.locator(".widget-dropdown").all():
            dropdowns.append(((w.locator(".widget-label").first.text_content() or "").strip(),
                              w.locator("select")))  # fmt: skip
        for w in views.locator(".widget-checkbox").all():
            checkboxes.append(((w.text_content() or "").strip(), w.locator("input[type=checkbox]")))
        found.append(
            ExplorerView(
                name=m.group(1) if m else f"cell {i}",
                cell=cell,
                canvas=cell.locator(".jupyter-matplotlib-canvas-div canvas").first,
                sliders=sliders,
                dropdowns=dropdowns,
                checkboxes=checkboxes,
            )
        )
    return found


def press_slider(page, handle, keys: Iterable[str], quiet_ms: float = 300) -> list[str]:
    """Focus a slider handle and press ``keys`` one by one, each once the kernel has answered
    the previous one; return the handle's value after each press."""
    handle.scroll_into_view_if_needed()
    handle.focus()
    values = []
    for key in keys:
        page.keyboard.press(key)
        wait_quiet(page, quiet_ms)
        values.append(handle.evaluate(HANDLE_VALUE))
    return values


def select_other_option(select) -> tuple[str, str] | None:
    """Choose the next option of a ``<select>``; return (old, new) values, None if only one."""
    options = select.evaluate("(s) => Array.from(s.options).map((o) => o.value)")
    old = select.evaluate("(s) => s.value")
    if len(options) < 2:
        return None
    new = options[(options.index(old) + 1) % len(options)]
    select.scroll_into_view_if_needed()
    select.select_option(new)
    return old, new


def running_sessions_and_kernels(server: LabServer) -> list[tuple[str, str]]:
    """``(kind, id)`` of every session, then every kernel, the server runs now."""
    headers = {"Authorization": f"token {server.token}"}
    out = []
    for kind in ("sessions", "kernels"):
        req = urllib.request.Request(f"{server.url}/api/{kind}", headers=headers)
        with urllib.request.urlopen(req, timeout=10) as resp:
            out += [(kind, item["id"]) for item in json.loads(resp.read())]
    return out


def shutdown_kernels(server: LabServer, which: list[tuple[str, str]] | None = None) -> None:
    """Shut down ``which`` sessions and kernels (:func:`running_sessions_and_kernels`; default:
    every one running now), so that the next test starts afresh. Each DELETE returns when its
    kernel has exited (a second or more): a caller may run this in a thread, given the ids
    taken before the next kernel starts."""
    headers = {"Authorization": f"token {server.token}"}
    for kind, ident in running_sessions_and_kernels(server) if which is None else which:
        req = urllib.request.Request(
            f"{server.url}/api/{kind}/{ident}", headers=headers, method="DELETE"
        )
        try:
            urllib.request.urlopen(req, timeout=30).close()
        except urllib.error.HTTPError as exc:  # its kernel went with its session
            if exc.code != 404:
                raise


KERNEL_LOG_PROBLEMS = re.compile(
    r"Traceback|restarting kernel|Kernel restarted|died|Segmentation fault|Fatal Python error|"
    r"core dumped|FT_Load_Glyph|RuntimeError|MemoryError"
)
"""Lines of the server log (which holds the kernels' own stderr) that say a kernel failed."""
