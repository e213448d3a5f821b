"""A report page typesets its formulas with the network blocked, in headless Debian chromium.

Builds a one-notebook report through :func:`inferecon.report.build_report` (a tiny notebook
with an inline and a display formula, written to ``tmp_path``; not the project's notebooks),
then opens the page twice, as a reader would: from disk (``file://``) and from a server on
127.0.0.1. Every request that would leave the machine is aborted and recorded. The page must
typeset both formulas with MathJax's HTML-CSS output and its STIX-Web fonts, all loaded from
``reports/_static/mathjax/``, with no ``$...$`` left as text and no request leaving the machine.
"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
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

import report_project as project  # noqa: E402  (tests/, on pytest's pythonpath)

from inferecon.report import build_report  # noqa: E402

MATHJAX_DIR = "_static/mathjax"  # where the report keeps MathJax (inferecon.report.MATHJAX_DIR)

TYPESET_TIMEOUT_MS = 60_000  # measured 1.4-1.7 s on the 2-core machine
# "Requests" that never leave the machine: the page's own files, inline data, and the
# about:blank font MathJax 2's HTML-CSS output declares (MathJax_Blank) to time web-font loads
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
# what MathJax must typeset with what it loaded from _static (not a fallback)
TYPESET_JS = """() => {
  const hub = window.MathJax && MathJax.Hub;
  if (!hub || !MathJax.isReady || hub.queue.pending || hub.queue.running) return null;
  return {
    inline: document.querySelectorAll("span.MathJax").length,
    display: document.querySelectorAll("div.MathJax_Display span.MathJax").length,
    errors: document.querySelectorAll(".MathJax_Error, .merror").length,
    tex: hub.getAllJax().map(j => j.originalText.trim()),
    output: hub.getAllJax().map(j => j.outputJax),
    font: MathJax.OutputJax["HTML-CSS"].fontInUse,
    webfonts: [...document.fonts].filter(f => f.status === "loaded")
      .map(f => f.family.replace(/"/g, "")).filter(f => f.startsWith("STIXMathJax_")),
  };
}"""


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("offline_report")
    project.write_tiny_project(root)
    build_report(root, root / "reports", log=lambda *_: None)
    return root / "reports"


@pytest.fixture(scope="module")
def local_server(report_dir):
    """The report folder served on 127.0.0.1 (an ephemeral port)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(report_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    harness = sys.modules["inferecon_lab_harness"]  # loaded by tests/browser/conftest.py
    with sync_playwright() as p:
        b = harness.launch_chromium(p)
        yield b
        b.close()


@pytest.mark.parametrize("how", ["file", "http"])
def test_report_formulas_render_with_the_network_blocked(
    how, browser, report_dir, local_server, tmp_path
):
    if how == "file":
        url, local = (report_dir / "01_formulas.html").as_uri(), LOCAL_SCHEMES
    else:
        url, local = local_server + "01_formulas.html", (local_server, *LOCAL_SCHEMES)
    page = browser.new_page()
    requests: list[str] = []
    left_machine: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))

    def block_the_network(route):
        if route.request.url.startswith(local):
            route.continue_()
        else:
            left_machine.append(route.request.url)
            route.abort("internetdisconnected")

    page.route("**/*", block_the_network)
    try:
        page.goto(url)  # returns on "load": every script in the page was requested
        assert left_machine == [], f"requests that would leave the machine: {left_machine}"
        state = page.wait_for_function(TYPESET_JS, timeout=TYPESET_TIMEOUT_MS).json_value()
        text = page.inner_text(".jp-RenderedMarkdown")
    except BaseException:
        page.screenshot(path=str(tmp_path / f"report_offline_{how}.png"), full_page=True)
        print(f"requests: {requests}\nblocked: {left_machine}\nfailed: {failed}")
        raise
    finally:
        page.close()

    assert left_machine == [], f"requests that would leave the machine: {left_machine}"
    mathjax = [u for u in requests if f"/{MATHJAX_DIR}/" in u]
    assert any("/MathJax.js?config=" in u for u in mathjax), requests
    assert any(u.split("?")[0].endswith(".woff") for u in mathjax), "no web font loaded"
    assert set(failed) <= {"about:blank"}, failed  # only MathJax's own font-timing probe
    # both formulas typeset by MathJax's HTML-CSS output, with the STIX-Web fonts from _static
    assert state["tex"] == [project.INLINE_TEX, project.DISPLAY_TEX]
    assert state["inline"] == 2 and state["display"] == 1 and state["errors"] == 0, state
    assert state["output"] == ["HTML-CSS", "HTML-CSS"], state
    assert state["font"] == "STIX-Web" and "STIXMathJax_Main" in state["webfonts"], state
    # no TeX left as text on the page
    assert "$" not in text and "\\frac" not in text and "^2" not in text, text
    assert re.search(r"Inline\s.+\sand a display formula", text, re.S), text
