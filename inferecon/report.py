"""The main job: execute every notebook with its default parameters and write ``reports/``.

``python -m inferecon report`` (``make report``):

1. finds ``notebooks/NN_*.ipynb`` in reading order;
2. executes each with nbclient after injecting report parameters below its cell tagged
   ``parameters`` (``INTERACTIVE = False``, ``EXPORT_DIR = <figures folder>``), so figures
   render statically and every explorer exports SVG, PNG, PDF and the CSV of its data;
3. writes an executed HTML per notebook (``reports/NN_topic.html``) and the figures under
   ``reports/figures/``; the pages typeset formulas with a local MathJax copied into
   ``reports/_static/mathjax/`` and referenced by a relative URL, so they render offline and
   wherever the folder is copied (:func:`install_mathjax`);
4. builds all of it in a temporary sibling folder and renames it into place only when every
   notebook succeeded: ``reports/`` is either the previous complete report or the new one.

A failing cell stops the build with :class:`ReportError` naming the notebook, the cell number
and the error; the previous ``reports/`` is left untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = [
    "ReportError",
    "NotebookRun",
    "build_report",
    "find_notebooks",
    "execute_notebook",
    "inject_parameters",
    "install_mathjax",
    "project_root",
]

MATHJAX_DIR = "_static/mathjax"
"""Where the report keeps its MathJax, relative to the report folder (and so to each page)."""

MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe,local/inferecon"
"""MathJax 2 configurations the pages load: the combined TeX/MathML one that the package ships,
the ``Safe`` extension (nbconvert's default) and :data:`MATHJAX_LOCAL_CONFIG`."""

MATHJAX_LOCAL_CONFIG = """\
/* inferecon's report: use the STIX-Web fonts copied beside this file (the only web fonts that
   jupyter-server-mathjax ships, as the classic notebook did) and hide the menu entries whose
   files the report leaves out (SVG output, other languages). */
MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
  MathMenu: {showRenderer: false, showLocale: false, showFontMenu: false}
});
MathJax.Ajax.loadComplete("[MathJax]/config/local/inferecon.js");
"""

# What the report leaves out of jupyter-server-mathjax's MathJax 2.7.9 (12 MB; 4.2 MB remain):
# the SVG output and its fonts (2.9 MB; the pages use HTML-CSS), the translations other than
# English (2.1 MB; the menu entries that would load either are hidden, MATHJAX_LOCAL_CONFIG) and
# the accessibility explorer's speech rules other than English (2.7 MB; English is kept).
_MATHJAX_LEFT_OUT = ("jax/output/SVG/", "localization/", "extensions/a11y/mathmaps/")
_MATHJAX_KEPT = ("localization/en/", "extensions/a11y/mathmaps/en.js")


class ReportError(RuntimeError):
    """A notebook failed during the report build."""

    def __init__(self, notebook: Path, cell_index: int | None, message: str):
        self.notebook = notebook
        self.cell_index = cell_index
        where = f"cell {cell_index}" if cell_index is not None else "before any cell ran"
        super().__init__(f"{notebook.name}, {where}: {message}")


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: its path, HTML output and wall time in seconds."""

    notebook: Path
    html: Path
    seconds: float


def project_root() -> Path:
    """The source checkout holding ``notebooks/`` (the current directory or above the package)."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (base / "notebooks").is_dir():
            return base
    raise FileNotFoundError("no notebooks/ folder found (run from the project root)")


def find_notebooks(folder: Path) -> list[Path]:
    """Notebooks named ``NN_topic.ipynb`` in ``folder``, in reading order."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def inject_parameters(nb, params: dict) -> None:
    """Insert a cell assigning ``params`` right after the cell tagged ``parameters``.

    Raises ``ValueError`` when the notebook has no such cell (every notebook must have one).
    """
    idx = next(
        (
            i
            for i, c in enumerate(nb.cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        None,
    )
    if idx is None:
        raise ValueError("notebook has no cell tagged 'parameters'")
    src = "# Parameters injected by the report build\n" + "\n".join(
        f"{k} = {v!r}" for k, v in params.items()
    )
    cell = nbformat.v4.new_code_cell(src, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(idx + 1, cell)


def execute_notebook(
    path: Path, params: dict | None = None, timeout: int = 600, cwd: Path | None = None
):
    """Execute ``path`` (with ``params`` injected) and return the executed notebook.

    Raises
    ------
    ReportError
        Naming the notebook and the failing cell (numbered from 1 as shown in JupyterLab,
        counting the injected cell).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    if params:
        try:
            inject_parameters(nb, params)
        except ValueError as exc:
            raise ReportError(path, None, str(exc)) from exc
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        failing = None
        for i, c in enumerate(nb.cells, start=1):
            if c.cell_type == "code" and any(
                o.get("output_type") == "error" for o in c.get("outputs", [])
            ):
                failing = i
                break
        msg = str(exc).strip().splitlines()
        raise ReportError(path, failing, "\n".join(msg[-12:])) from exc
    return nb


def _mathjax_source() -> Path:
    """The MathJax 2 files of the ``jupyter-server-mathjax`` package (a dependency)."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError(
            "the report needs jupyter-server-mathjax for its offline MathJax "
            "(pip install jupyter-server-mathjax)"
        ) from exc
    return Path(jupyter_server_mathjax.__file__).resolve().parent / "static"


def _mathjax_wanted(rel: str) -> bool:
    return rel.startswith(_MATHJAX_KEPT) or not rel.startswith(_MATHJAX_LEFT_OUT)


def install_mathjax(outdir: Path) -> str:
    """Copy the MathJax files a report page needs into ``outdir/_static/mathjax``.

    The files come from the ``jupyter-server-mathjax`` package (MathJax 2.7.9, the version
    nbconvert's HTML template configures), less what no page loads by default (see
    ``_MATHJAX_LEFT_OUT``), plus a small configuration of our own (:data:`MATHJAX_LOCAL_CONFIG`)
    and MathJax's licence.

    Parameters
    ----------
    outdir : Path
        The report folder; pages written directly in it load MathJax by the returned URL.

    Returns
    -------
    str
        The ``mathjax_url`` for nbconvert's HTML exporter, relative to ``outdir``.
    """
    src = _mathjax_source()
    dest = Path(outdir) / MATHJAX_DIR
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and _mathjax_wanted(rel):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    local = dest / "config" / "local" / "inferecon.js"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(MATHJAX_LOCAL_CONFIG, encoding="utf-8")
    return f"{MATHJAX_DIR}/MathJax.js?config={MATHJAX_CONFIG}"


# nbconvert's "lab" page, less the require.js that its <head> loads from a CDN: a report page
# is static (INTERACTIVE = False) and nothing on it uses require.js.
_PAGE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
"""


def _to_html(nb, mathjax_url: str) -> str:
    """The executed notebook as a report page that loads nothing from the network.

    MathJax comes from ``mathjax_url`` (relative, see :func:`install_mathjax`); require.js is
    left out; the widget state nbclient stored is dropped when no output shows a widget (it
    would make the page fetch the widget renderer from a CDN, to render nothing).
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    widget_view = "application/vnd.jupyter.widget-view+json"
    if not any(
        widget_view in o.get("data", {})
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    ):
        nb = nbformat.from_dict(nb)  # a copy: the caller's notebook keeps its metadata
        nb.metadata.pop("widgets", None)
    exporter = HTMLExporter(
        template_name="lab",
        template_file="inferecon_report.html.j2",
        extra_loaders=[DictLoader({"inferecon_report.html.j2": _PAGE_TEMPLATE})],
        mathjax_url=mathjax_url,
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


def build_report(
    root: Path | None = None,
    out: Path | None = None,
    *,
    notebooks: list[Path] | None = None,
    log=print,
) -> list[NotebookRun]:
    """Execute every notebook and write the report atomically.

    Parameters
    ----------
    root : Path, optional
        Project root holding ``notebooks/`` (found automatically).
    out : Path, optional
        Report folder (default ``<root>/reports``). Replaced only on success.
    notebooks : list of Path, optional
        A subset to run (default: all ``NN_*.ipynb``).
    log : callable
        Progress printer.

    Returns
    -------
    list of NotebookRun
    """
    root = Path(root) if root else project_root()
    out = Path(out) if out else root / "reports"
    nbs = notebooks if notebooks is not None else find_notebooks(root / "notebooks")
    if not nbs:
        raise ReportError(root / "notebooks", None, "no notebooks named NN_topic.ipynb found")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    # mkdtemp makes the folder private (0700); the report is for reading, like any folder the
    # user makes (0777 less the umask)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    runs: list[NotebookRun] = []
    try:
        figures = tmp / "figures"
        figures.mkdir()
        mathjax_url = install_mathjax(tmp)
        for nb_path in nbs:
            t0 = time.perf_counter()
            log(f"[report] executing {nb_path.name} ...")
            nb = execute_notebook(
                nb_path, {"INTERACTIVE": False, "EXPORT_DIR": str(figures)}, cwd=nb_path.parent
            )
            html = tmp / f"{nb_path.stem}.html"
            html.write_text(_to_html(nb, mathjax_url), encoding="utf-8")
            dt = time.perf_counter() - t0
            runs.append(NotebookRun(nb_path, out / html.name, dt))
            log(f"[report]   ok in {dt:.1f} s -> {html.name}")
        n_fig = len(list(figures.glob("*.png")))
        if n_fig == 0:
            raise ReportError(nbs[0], None, "no figure was exported (EXPORT_DIR unused?)")
        _swap_into_place(tmp, out)
        log(f"[report] wrote {out} ({len(runs)} notebooks, {n_fig} figures)")
        return runs
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` with renames only (the old report survives any failure)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_readme_figures(outdir: Path) -> list[Path]:
    """Export the headline figures shown in README.md (default scenarios) to ``outdir``."""
    import matplotlib

    matplotlib.use("Agg")
    from .viz import headline_explorers

    written = []
    for name, make in headline_explorers().items():
        ex = make()
        written += ex.export(outdir, formats=("png", "svg"), name=name)
        ex.close()
    return written
