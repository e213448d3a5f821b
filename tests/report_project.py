"""A one-notebook project for ``inferecon.report.build_report``: two formulas, a parameters
cell, one exported PNG. Shared by the report tests in ``tests/unit`` and ``tests/browser``
(each loads it by path)."""

from __future__ import annotations

from pathlib import Path

import nbformat

# a 1x1 PNG: build_report requires every report to export at least one figure
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
    "2mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
INLINE_TEX = r"E = m c^2"
DISPLAY_TEX = r"\frac{\mathrm{USD}}{\mathrm{Mtok}} = \frac{3600 \times 10^{-6}}{x}"
FORMULA_MARKDOWN = (
    f"# Offline formulas\n\nInline ${INLINE_TEX}$ and a display formula:\n\n$${DISPLAY_TEX}$$\n"
)


def tiny_notebook():
    """Markdown with two formulas, a parameters cell, and a cell that writes one PNG."""
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(FORMULA_MARKDOWN),
            nbformat.v4.new_code_cell(
                "INTERACTIVE = True\nEXPORT_DIR = None", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell(
                f"import base64, pathlib\npng = base64.b64decode({PNG_B64!r})\n"
                "if EXPORT_DIR:\n    pathlib.Path(EXPORT_DIR, 'tiny.png').write_bytes(png)"
            ),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )


def write_tiny_project(root: Path) -> Path:
    """``root/notebooks/01_formulas.ipynb``, for ``build_report(root, ...)``."""
    (root / "notebooks").mkdir(parents=True)
    path = root / "notebooks" / "01_formulas.ipynb"
    nbformat.write(tiny_notebook(), path)
    return path
