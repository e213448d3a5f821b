"""Shared by the tools/make_notebook_NN.py scripts: write cells as a stripped notebook with
stable cell ids, so regenerating an unchanged notebook changes no bytes."""

from pathlib import Path

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def write_notebook(cells, filename: str) -> Path:
    """Write ``cells`` to ``notebooks/<filename>`` (ids c00, c01, ...; Python 3 kernel)."""
    for i, c in enumerate(cells):
        c["id"] = f"c{i:02d}"
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    out = Path(__file__).resolve().parent.parent / "notebooks" / filename
    nbf.write(nb, out)
    return out
