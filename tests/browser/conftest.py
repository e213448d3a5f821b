"""Fixtures for the browser tests: an isolated JupyterLab server and a headless Debian chromium.

The server runs from the test's own ``tmp_path`` (a copy of the notebook), never from the
repository's ``notebooks/`` folder: JupyterLab autosaves, and would write outputs into the
committed notebook. Jupyter's config, data, runtime and IPython folders point into ``tmp_path``
as well, so nothing from the user's home leaks in; the venv's ``share/jupyter`` stays on the data
path (it is ``sys.prefix``-based), so the ipywidgets and ipympl lab extensions are found.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "01_price_decline.ipynb"
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
SERVER_START_TIMEOUT_S = 90.0
LOG_TAIL_CHARS = 6000


@dataclass
class LabServer:
    """A running JupyterLab server serving ``root``."""

    url: str
    token: str
    root: Path
    notebook: str
    log_path: Path
    process: subprocess.Popen

    def lab_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        if not self.log_path.exists():
            return "<no server log>"
        return self.log_path.read_text(errors="replace")[-chars:]


@dataclass
class PageLog:
    """Console messages and page errors seen by the browser page."""

    messages: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith(("[error]", "[pageerror]"))]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can print diagnostics on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _isolated_env(tmp: Path) -> dict[str, str]:
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
    # Keep every cell in the DOM (no virtual scrolling), so locators see all outputs.
    _write_json(
        settings / "notebook-extension" / "tracker.jupyterlab-settings",
        {"windowingMode": "none"},
    )
    return env


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


@pytest.fixture
def lab_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 serving a tmp copy of the notebook; stop it afterwards."""
    root = tmp_path / "lab_root"
    root.mkdir()
    shutil.copy2(NOTEBOOK, root / NOTEBOOK.name)
    env = _isolated_env(tmp_path)
    port = _free_port()
    token = secrets.token_hex(24)
    log_path = tmp_path / "jupyterlab.log"
    cmd = [
        sys.executable,
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
        notebook=NOTEBOOK.name,
        log_path=log_path,
        process=process,
    )

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log_file.close()
        if _failed(request):
            print(f"\n--- JupyterLab server log tail ({log_path}) ---\n{server.log_tail()}")

    request.addfinalizer(stop)
    _wait_for_status(server, SERVER_START_TIMEOUT_S)
    yield server


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def lab_page(lab_server: LabServer, page_log: PageLog, tmp_path: Path, request):
    """A chromium page (1600x1400) whose console output is collected in ``page_log``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1600, "height": 1400})
        page = context.new_page()
        page.on("console", lambda m: page_log.messages.append(f"[{m.type}] {m.text}"))
        page.on("pageerror", lambda e: page_log.messages.append(f"[pageerror] {e}"))
        yield page
        if _failed(request):
            failure_png = tmp_path / "failure.png"
            page.screenshot(path=str(failure_png), full_page=True)
            print(f"\n--- failure screenshot: {failure_png} ---")
            print("--- browser console (last 60) ---")
            print("\n".join(page_log.messages[-60:]) or "<empty>")
        context.close()
        browser.close()
