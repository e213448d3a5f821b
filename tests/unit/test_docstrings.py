"""Every public function of the flat API documents its parameters and what it returns
(numpydoc sections), so a contributor and a reader find the units."""

from __future__ import annotations

import inspect

import pytest

import inferecon as ie


def _public_functions():
    for name in ie.__all__:
        obj = getattr(ie, name)
        if inspect.isfunction(obj):
            yield name, obj


@pytest.mark.parametrize(
    ("name", "func"), list(_public_functions()), ids=[n for n, _ in _public_functions()]
)
def test_public_function_has_numpydoc_parameters_and_returns(name, func):
    doc = inspect.getdoc(func) or ""
    params = [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if params:
        assert "Parameters\n----------" in doc, f"{name}: no Parameters section"
        section = doc.split("Parameters\n----------", 1)[1]
        for p in params:  # every parameter is described (alone or in a "a, b : type" line)
            assert any(
                p in [x.strip() for x in line.split(":", 1)[0].split(",")]
                for line in section.splitlines()
                if line and not line.startswith(" ")
            ), f"{name}: parameter {p!r} undocumented"
    assert "Returns\n-------" in doc, f"{name}: no Returns section"


def test_the_flat_namespace_is_derived_and_light():
    # __all__ is the union of the topic modules' __all__, nothing hand-kept
    import importlib

    names = set()
    for topic in ie._TOPIC_NAMES:
        names |= set(importlib.import_module(f"inferecon.{topic}").__all__)
    assert set(ie.__all__) == names | {"__version__", "viz"}
    assert all(hasattr(ie, n) for n in ie.__all__)


def test_import_inferecon_does_not_load_the_figure_stack():
    import subprocess
    import sys

    code = (
        "import sys, inferecon as ie; "
        "bad = [m for m in ('matplotlib', 'ipywidgets', 'scipy.optimize') if m in sys.modules]; "
        "print(bad); ie.viz; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second = out.stdout.splitlines()
    assert first == "[]", first  # the math API alone
    assert second == "True"  # ie.viz loads on first use
