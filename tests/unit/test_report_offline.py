"""The report's pages load nothing from the network: MathJax is a local copy, by a relative URL.

``inferecon.report`` copies MathJax 2.7.9 from the ``jupyter-server-mathjax`` package into
``reports/_static/mathjax/`` and points nbconvert's ``mathjax_url`` at it; the page template
leaves out the require.js that nbconvert loads from a CDN. The browser test
(``tests/browser/test_report_offline.py``) checks that the formulas typeset with the network
blocked; these tests check the written files without a browser.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import report_project as project  # tests/, on pytest's pythonpath (pyproject.toml)

from inferecon import report

write_tiny_project = project.write_tiny_project
tiny_notebook = project.tiny_notebook


def script_srcs(html: str) -> list[str]:
    return re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']([^\"']*)[\"']", html)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory) -> tuple[Path, report.NotebookRun]:
    """The tiny project's report, built once (a kernel start) for the tests that read it."""
    root = tmp_path_factory.mktemp("tiny_report")
    write_tiny_project(root)
    out = root / "reports"
    (run,) = report.build_report(root, out, log=lambda *_: None)
    return out, run


def test_installed_mathjax_has_what_the_page_loads(tmp_path):
    url = report.install_mathjax(tmp_path)
    path, _, query = url.partition("?")
    assert not re.match(r"^[a-z]+:|^/", url), url  # relative: reports/ is copied around
    mj = tmp_path / report.MATHJAX_DIR
    assert (tmp_path / path).is_file() and (tmp_path / path).parent == mj
    assert 'MathJax.version="2.7.9"' in (mj / "MathJax.js").read_text()
    for name in query.removeprefix("config=").split(","):
        assert (mj / "config" / f"{name}.js").is_file(), name
    # the fonts and font data the local configuration asks for
    assert 'webFont: "STIX-Web"' in (mj / "config/local/inferecon.js").read_text()
    assert (mj / "jax/output/HTML-CSS/fonts/STIX-Web/fontdata.js").is_file()
    assert len(list((mj / "fonts/HTML-CSS/STIX-Web/woff").glob("*.woff"))) > 20
    # MathJax's licence travels with its files (Apache-2.0)
    assert "Apache License" in (mj / "LICENSE").read_text()
    # kept small: the SVG output, other languages and speech rules are left out
    assert not (mj / "jax/output/SVG").exists()
    assert sorted(p.name for p in (mj / "localization").iterdir()) == ["en"]
    size = sum(p.stat().st_size for p in mj.rglob("*") if p.is_file())
    assert 3e6 < size < 6e6, size  # 4.2 MB measured, of the package's 12 MB


def test_report_html_loads_no_script_from_the_network(tiny_report):
    out, run = tiny_report
    html = run.html.read_text()
    srcs = script_srcs(html)
    assert srcs, "no script tag found"
    for src in srcs:
        assert not re.match(r"^([a-z]+:)?//|^[a-z]+:", src, re.I), src  # no http(s)://, no //cdn
    assert not re.search(r"https?://[^\"']*mathjax", html, re.I)
    assert f'src="{report.MATHJAX_DIR}/MathJax.js?config=' in html
    assert "require.min.js" not in html
    for src in srcs:  # and none by an absolute path (reports/ is copied around)
        assert not src.startswith("/") and str(out.parent) not in src, src
    assert (out / report.MATHJAX_DIR / "MathJax.js").is_file()
    assert r"$E = m c^2$" in html  # left for MathJax to typeset in the browser


def test_widget_state_without_a_widget_view_is_dropped(tmp_path):
    # nbclient stores the widget state of every widget the kernel created; a static report
    # page shows none, and the state alone makes nbconvert fetch the renderer from a CDN
    nb = tiny_notebook()
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "version_major": 2,
            "version_minor": 0,
            "state": {},
        }
    }
    url = report.install_mathjax(tmp_path)
    html = report._to_html(nb, url)
    assert "unpkg.com" not in html and "embed-amd.js" not in html
    assert "widgets" in nb.metadata  # the caller's notebook is left as it was


def test_the_report_folder_is_readable_like_any_other(tiny_report):
    # tempfile.mkdtemp makes a private (0700) folder; renamed into place it kept that mode
    out, _run = tiny_report
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
