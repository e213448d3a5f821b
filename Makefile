# inferecon: two set-up commands (make report, make test); both create .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pip extras installed into .venv; CI adds gpu-test (torch, CPU build) for the benchmark's tests:
# `make test EXTRAS=test,gpu-test` (.ci/run does).
EXTRAS ?= test
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: report test lab bench figures notebooks check-notebooks format check-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

report: $(STAMP)  ## execute every notebook, write reports/ (HTML + figures) and README figures
	$(PY) -m inferecon report
	$(PY) -m inferecon figures --out docs/figures

# test workers (pytest-xdist): one per core; `make test TEST_WORKERS=0` runs in this process.
# --dist loadgroup: a worker takes the next test when it is free (the long tests, which
# tests/conftest.py puts first, spread over the workers), except that the tests of one
# module of tests/conftest.py ONE_WORKER_MODULES run on one worker (fixtures costly to build twice:
# a JupyterLab server and chromium, torch, fits). --no-loadscope-reorder keeps that order
# (xdist would otherwise put the groups with most tests first). Bytecode is written even where
# the environment sets PYTHONDONTWRITEBYTECODE (as this project's machines do): otherwise each of
# the ~20 Python processes of a run (workers, notebook kernels, subprocesses) compiles the
# package and pytest rewrites every test module again (~5 s of CPU per worker).
TEST_WORKERS ?= auto

test: $(STAMP)  ## lint, then the whole test suite on every core (under CI=true a missing test dependency fails)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

lab: $(STAMP)  ## JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)  ## speed benchmarks as tables: import time, computation, slider latency in process and in JupyterLab + chromium (skipped without /usr/bin/chromium); BENCH_ARGS="--no-report --browser-n 20" etc.
	$(PY) benchmarks/run.py $(BENCH_ARGS)

figures: $(STAMP)
	$(PY) -m inferecon figures --out docs/figures

# Each notebooks/NN_topic.ipynb is paired with notebooks/NN_topic.md (Jupytext, MyST Markdown;
# notebooks/jupytext.toml). The .md is what you edit and review; JupyterLab saves both.
NB_PAIRS := $(wildcard notebooks/[0-9][0-9]_*.md notebooks/[0-9][0-9]_*.ipynb)
# what stripping keeps: cell sources and metadata (tags), the notebook's kernelspec
NB_STRIP := --ClearOutputPreprocessor.enabled=True \
	--ClearOutputPreprocessor.remove_metadata_fields=collapsed \
	--ClearOutputPreprocessor.remove_metadata_fields=scrolled \
	--ClearOutputPreprocessor.remove_metadata_fields=execution \
	--ClearOutputPreprocessor.remove_metadata_fields=ExecuteTime \
	--ClearMetadataPreprocessor.enabled=True \
	--ClearMetadataPreprocessor.clear_cell_metadata=False \
	--ClearMetadataPreprocessor.preserve_nb_metadata_mask=kernelspec

notebooks: $(STAMP)  ## sync each .md/.ipynb pair (the newer file wins), strip outputs, format
	$(VENV)/bin/jupytext --sync $(NB_PAIRS)
	$(VENV)/bin/jupyter nbconvert --to notebook --inplace --log-level=WARN $(NB_STRIP) \
		notebooks/[0-9][0-9]_*.ipynb
	$(PY) -m ruff format notebooks
	$(VENV)/bin/jupytext --sync notebooks/[0-9][0-9]_*.ipynb

check-notebooks: $(STAMP)  ## fail if a notebook differs from its paired .md or keeps outputs
	$(PY) -m pytest -q tests/notebooks/test_notebooks.py -k "paired or hygiene or text_source or resyncing or jupyterlab"
	$(PY) -m pytest -q tests/notebooks/test_prose_numbers.py

check-data: $(STAMP)
	$(PY) -m inferecon check-data

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf reports exports .pytest_cache .ruff_cache
