"""Notebooks: each .ipynb matches its paired MyST source (.md), hygiene (stripped, parameters
cell, no absolute paths), executed top to bottom with their defaults (live ipympl mode), and the
report build (static mode, atomic, loud)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import report_project as project  # tests/, on pytest's pythonpath (pyproject.toml)
from jupytext.cli import jupytext as jupytext_cli

from inferecon.report import ReportError, build_report, execute_notebook, find_notebooks

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = find_notebooks(ROOT / "notebooks")
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.md"))
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
FIX = "run `make notebooks` (sync each pair, strip outputs, format) and commit both files"


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_price_decline.ipynb"]


def test_every_notebook_has_its_text_source_and_back():
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES], (
        "each notebooks/NN_topic.ipynb needs notebooks/NN_topic.md and vice versa; " + FIX
    )
    config = (ROOT / "notebooks" / "jupytext.toml").read_text()
    assert re.search(r'^formats = "ipynb,md:myst"$', config, re.M)


def _cells(nb) -> list[tuple[str, str, dict]]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_paired_source_matches_notebook(path):
    """Same cells, sources, tags and metadata in the .ipynb and its .md; minimal metadata."""
    source = path.with_suffix(".md")
    text, nb = jupytext.read(source), nbformat.read(path, as_version=4)
    a, b = _cells(text), _cells(nb)
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        assert x == y, f"{path.name} cell {i} differs from {source.name}: {FIX}"
    assert len(a) == len(b), f"{path.name} has {len(b)} cells, {source.name} {len(a)}: {FIX}"
    assert nb.metadata == {"kernelspec": KERNELSPEC}, f"{path.name} metadata not minimal: {FIX}"
    assert text.metadata["kernelspec"] == KERNELSPEC
    assert "jupytext_version" not in source.read_text(), "version stamp in the header: " + FIX


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_resyncing_a_pair_changes_no_bytes(path, tmp_path):
    """``jupytext --sync`` from either side leaves both files as committed (ids included)."""
    for name in (path.name, path.with_suffix(".md").name, "jupytext.toml"):
        shutil.copy(path.parent / name, tmp_path / name)
    ipynb, md = tmp_path / path.name, tmp_path / path.with_suffix(".md").name
    before = ipynb.read_bytes(), md.read_bytes()
    for newer, older in ((md, ipynb), (ipynb, md)):
        t = older.stat().st_mtime
        os.utime(newer, (t + 10, t + 10))
        # jupytext's command line, run in this process (a subprocess costs ~2 s of start-up)
        assert jupytext_cli(["--sync", "--quiet", str(newer)]) == 0
        assert (ipynb.read_bytes(), md.read_bytes()) == before, f"{path.name}: {FIX}"


def test_an_edit_in_jupyterlab_reaches_both_files(tmp_path):
    """JupyterLab saves through Jupytext's contents manager (the server extension installed
    with jupytext): an edit of the .ipynb reaches the .md, and an edit of the .md the .ipynb."""
    path = NOTEBOOKS[0]
    for name in (path.name, path.with_suffix(".md").name, "jupytext.toml"):
        shutil.copy(path.parent / name, tmp_path / name)
    cm = jupytext.TextFileContentsManager(root_dir=str(tmp_path))
    model = cm.get(path.name)
    model["content"].cells[0].source += "\n\nEdited as a notebook."
    cm.save(model, path.name)
    assert (
        jupytext.read(tmp_path / path.with_suffix(".md").name)
        .cells[0]
        .source.endswith("Edited as a notebook.")
    )
    model = cm.get(path.with_suffix(".md").name, type="notebook")
    assert "parameters" in model["content"].cells[1].metadata["tags"]
    model["content"].cells[0].source += "\n\nEdited as text."
    cm.save(model, path.with_suffix(".md").name)
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    assert nb.cells[0].source.endswith("Edited as text.")
    assert [c.id for c in nb.cells] == [c.id for c in nbformat.read(path, as_version=4).cells]


NETWORK_OR_INSTALL = (
    r"^\s*[!%]\s*pip|pip install|urlopen|^\s*(import|from) (requests|httpx|urllib)\b|"
    r"\brequests\.(get|post|put|request|Session)\("
)
"""Installs in cells and network calls (the package's ``result.requests`` is neither)."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_hygiene(path):
    raw = json.loads(path.read_text())
    nb = nbformat.reads(path.read_text(), as_version=4)
    nbformat.validate(nb)
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: outputs not stripped"
            assert cell.get("execution_count") is None, f"{path.name}: execution count kept"
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "parameters" in cells[1].metadata.get("tags", []), "second cell must be parameters"
    assert "import inferecon as ie" in cells[2].source
    text = path.read_text()
    assert not re.search(r"(/home/|/work/|/root/|C:\\\\)", text), "absolute path in notebook"
    for c in cells:
        if c.cell_type == "code":
            assert not re.search(NETWORK_OR_INSTALL, c.source, re.M)
            # notebooks are thin: no function or class definitions
            assert not re.search(r"^\s*(def|class) ", c.source, re.M), c.source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executes_top_to_bottom_with_defaults(path, tmp_path):
    nb = execute_notebook(path, cwd=tmp_path)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    # no warnings printed to a cell's stderr (a reader would see them)
    warned = [
        o["text"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.get("name") == "stderr" and "Warning" in o["text"]
    ]
    assert not warned, warned
    # the live (ipympl) explorers rendered as widgets
    widget_views = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widget_views, "no explorer widget was displayed"
    assert not any(tmp_path.iterdir()), "default run must not write files (EXPORT_DIR=None)"


def test_report_build_writes_html_and_figures_atomically(tmp_path):
    out = tmp_path / "reports"
    runs = build_report(ROOT, out, log=lambda *_: None)
    assert [r.notebook.name for r in runs] == [p.name for p in NOTEBOOKS]
    for p in NOTEBOOKS:
        html = (out / f"{p.stem}.html").read_text()
        assert "data:image/png" in html, "static figures must be embedded in the HTML"
        assert "Traceback" not in html
    figs = out / "figures"
    for stem in (
        "price_decline",
        "open_closed_gap",
        "test_time_strategies",
        "test_time_cost",
        "coverage_data",
        "serving_frontier",
        "roofline",
        "cost_per_token",
        "calibration",
        "scaling_landscape",
        "inference_aware",
        "scaling_fit",
    ):
        for ext in ("svg", "png", "pdf", "csv"):
            assert (figs / f"{stem}.{ext}").stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reports")]


def test_failing_cell_fails_loudly_and_keeps_previous_report(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "previous.html").write_text("old report")
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# broken"),
            nbformat.v4.new_code_cell(
                "INTERACTIVE = True\nEXPORT_DIR = None", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("raise RuntimeError('boom in cell four')"),
        ]
    )
    nbformat.write(nb, nbdir / "01_broken.ipynb")
    with pytest.raises(ReportError) as info:
        build_report(tmp_path, out, log=lambda *_: None)
    msg = str(info.value)
    assert "01_broken.ipynb" in msg and "cell 5" in msg and "boom in cell four" in msg
    assert (out / "previous.html").read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "reports"]


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nbformat.write(nb, nbdir / "01_x.ipynb")
    with pytest.raises(ReportError, match="parameters"):
        build_report(tmp_path, tmp_path / "reports", log=lambda *_: None)
    assert not (tmp_path / "reports").exists()


def test_cli_report_exit_status(tmp_path):
    # the command line on a one-notebook project whose last cell fails: the exit status, the
    # message naming notebook and error, and no report left. The report stops at the first
    # failure; executing the real notebooks first would test nothing that
    # test_report_build_writes_html_and_figures_atomically does not, so the project is
    # tests/report_project.py's tiny notebook (a kernel start, not a notebook's computation)
    bad = project.tiny_notebook()
    bad.cells.append(nbformat.v4.new_code_cell("1/0"))
    (tmp_path / "notebooks").mkdir()
    nbformat.write(bad, tmp_path / "notebooks" / "99_bad.ipynb")
    res = subprocess.run(
        [sys.executable, "-m", "inferecon", "report"], cwd=tmp_path, capture_output=True, text=True
    )
    assert res.returncode == 1
    assert "99_bad.ipynb" in res.stderr and "ZeroDivisionError" in res.stderr
    assert "cell 5" in res.stderr, res.stderr[-800:]  # 3 cells, the injected one, 1/0
    assert not (tmp_path / "reports").exists()
