"""Fixtures for the browser tests: an isolated JupyterLab server and a headless Debian chromium.

The server and browser helpers live in ``lab_harness.py`` (shared with
``benchmarks/browser_latency.py``). The server runs from the test's own ``tmp_path`` (a copy of
the notebook), never from the repository's ``notebooks/`` folder: JupyterLab autosaves, and
would write outputs into the committed notebook.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _load_harness():
    path = Path(__file__).with_name("lab_harness.py")
    name = "inferecon_lab_harness"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


harness = _load_harness()
NOTEBOOK = harness.NOTEBOOKS / "01_price_decline.ipynb"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can print diagnostics on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


@pytest.fixture
def lab_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator:
    """Start JupyterLab on 127.0.0.1 serving a tmp copy of the notebook; stop it afterwards."""
    root = tmp_path / "lab_root"
    (name,) = harness.copy_notebooks(root, [NOTEBOOK.name])
    server = harness.start_lab(root, tmp_path)
    server.notebook = name

    def stop() -> None:
        server.stop()
        if _failed(request):
            print(f"\n--- JupyterLab server log tail ({server.log_path}) ---\n{server.log_tail()}")

    request.addfinalizer(stop)
    yield server


@pytest.fixture
def page_log():
    return harness.PageLog()


@pytest.fixture
def lab_page(lab_server, page_log, tmp_path: Path, request):
    """A chromium page (1600x1400) whose console output is collected in ``page_log``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = harness.launch_chromium(p)
        context = browser.new_context(viewport=harness.VIEWPORT)
        page = context.new_page()
        page_log.attach(page)
        yield page
        if _failed(request):
            failure_png = tmp_path / "failure.png"
            page.screenshot(path=str(failure_png), full_page=True)
            print(f"\n--- failure screenshot: {failure_png} ---")
            print("--- browser console (last 60) ---")
            print("\n".join(page_log.messages[-60:]) or "<empty>")
        context.close()
        browser.close()
