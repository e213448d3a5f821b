# inferecon: two set-up commands (make report, make test); both create .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: report test lab bench figures notebooks format check-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

report: $(STAMP)  ## execute every notebook, write reports/ (HTML + figures) and README figures
	$(PY) -m inferecon report
	$(PY) -m inferecon figures --out docs/figures

test: $(STAMP)  ## lint, then the whole test suite (browser tests need /usr/bin/chromium)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lab: $(STAMP)  ## JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)  ## speed benchmarks as tables: import time, computation, slider latency in process and in JupyterLab + chromium (skipped without /usr/bin/chromium); BENCH_ARGS="--no-report --browser-n 20" etc.
	$(PY) benchmarks/run.py $(BENCH_ARGS)

figures: $(STAMP)
	$(PY) -m inferecon figures --out docs/figures

notebooks: $(STAMP)  ## regenerate notebooks/ from tools/make_notebook_NN.py (stripped, formatted)
	for f in tools/make_notebook_*.py; do $(PY) $$f || exit 1; done
	$(PY) -m ruff format notebooks

check-data: $(STAMP)
	$(PY) -m inferecon check-data

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf reports exports .pytest_cache .ruff_cache
