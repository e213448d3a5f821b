"""Shared fixtures and the CI rule: the Agg backend, the repository root, the reference folder.

**CI never skips what it declares.** A test that needs something outside the package (the
read-only ``../shared/reference`` folder, Debian's ``/usr/bin/chromium``, torch, ...) asks for it
through :func:`require_or_skip` (also as the fixture ``require_or_skip`` and the marker
``pytest.mark.requires(condition, reason=...)``). In a user's fresh clone a missing dependency
skips the test with that reason. Under ``CI=true`` (``.ci/run`` sets it) it fails the test
instead, and a safety net fails every other skip too, except the reasons on
:data:`CI_ALLOWED_SKIPS`: a skipped test shows up as failed, a skipped module fails the session.

**Speed.** ``make test`` runs the suite on every core with pytest-xdist (``-n auto``); each
worker starts the known long tests (:data:`SLOW_FIRST`) before the short ones, so that no
worker is left with a long test at the end while the other waits. Under ``CI=true`` hypothesis
runs its ``ci`` profile (:func:`_hypothesis_profiles`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("INFERECON_REFERENCE", ROOT.parent / "shared" / "reference"))

IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
"""True when the environment says this is CI (``CI=true``, as GitHub, GitLab and ``.ci/run``)."""

CI_ALLOWED_SKIPS: dict[str, str] = {
    # regular expression matched against the skip reason -> why CI may skip it.
    # Every other test CI collects must run there. Add an entry only for a skip that no
    # machine of CI's kind can avoid, with the reason written next to it.
    r"the Azure 2023 trace files are not at": (
        "the byte-identical rebuild of data/traffic_*.csv needs the two upstream Azure trace "
        "CSVs (1 MB, Azure/AzurePublicDataset@b469a11), which ../shared/reference does not hold; "
        "CI runs the derivation on synthetic upstream files instead, and the rebuild passed on "
        "the developer machine with the real files (2026-12-06)"
    ),
}
"""Skip reasons CI accepts (regex -> why). Anything else skipped under ``CI=true`` fails."""


def require_or_skip(condition: object, reason: str) -> None:
    """Go on if ``condition`` holds; else skip the test, or fail it under ``CI=true``.

    Parameters
    ----------
    condition : object
        Truthy when the test's declared dependency is present.
    reason : str
        What is missing and how to provide it; the skip or failure message.
    """
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true: a declared test dependency is missing: {reason}", pytrace=False)
    pytest.skip(reason)


_CI_SKIPPED_MODULES: list[tuple[str, str]] = []
"""(node id, reason) of each module skipped at collection under CI=true."""


def _ci_allows(reason: str) -> bool:
    return any(re.search(pattern, reason) for pattern in CI_ALLOWED_SKIPS)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text.removeprefix("Skipped: ")


def _hypothesis_profiles() -> None:
    """Register hypothesis' ``ci`` profile and load it under ``CI=true``.

    Same number of examples as everywhere (hypothesis' 100, or what a test's ``@settings``
    asks), drawn from a seed fixed per test (``derandomize``): a CI failure reproduces on
    any machine with the same code. No deadline and no too-slow health check: on 2 busy cores
    running two test workers, one example's time says nothing about the code. No example
    database (CI starts from a fresh clone; workers would share one folder).
    """
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the test extra is not installed: the property tests fail to import
        return
    settings.register_profile(
        "ci",
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    if IN_CI:
        settings.load_profile("ci")


_hypothesis_profiles()

SLOW_FIRST: tuple[str, ...] = (
    # node id prefixes of the known long tests, longest first (seconds each on the 2-core
    # machine, 2 workers, 2026-12-06). Only the order changes, and only under xdist.
    "tests/browser/test_notebooks_live.py::test_run_all_then_every_control[06",  # 77
    "tests/notebooks/test_notebooks.py::test_report_build",  # 46: six notebooks, static mode
    "tests/browser/test_notebooks_live.py::test_run_all_then_every_control[03",  # 41
    "tests/browser/test_notebooks_live.py::",  # 18-31: JupyterLab Run All, every control
    "tests/notebooks/test_explorers.py::test_sweep_every_control_min_default_max[",  # 1-10
    "tests/unit/test_gpu_decode.py::",  # 12 to set up: torch
    "tests/notebooks/test_notebooks.py::test_executes_top_to_bottom",  # 2-8 per notebook
    "tests/notebooks/test_notebooks.py::test_cli_report_exit_status",  # 9
    "tests/unit/test_readme.py::test_readme_images_exist_and_are_current",
    "tests/browser/test_report_offline.py::",
    "tests/notebooks/test_explorers.py::",
)
"""Known long tests (node id prefixes), started first on each pytest-xdist worker."""


ONE_WORKER_MODULES: tuple[str, ...] = (
    # modules whose module fixtures are costly to build twice: each runs on one worker
    "tests/browser/test_notebooks_live.py",  # a JupyterLab server and chromium (~6 s)
    "tests/unit/test_gpu_decode.py",  # torch and the script's tiny model run (~5 s)
    "tests/unit/test_planner.py",  # simulated searches (~5 s)
    "tests/unit/test_chinchilla_replication.py",  # fits of ~1 s each
    "tests/unit/test_decline.py",  # decompositions and forward looks of ~1 s each
)
"""Test modules that pytest-xdist hands to one worker whole (``--dist loadgroup``).

xdist's own ``xdist_group`` mark does nothing under pytest 9 (xdist 3.8 renames the items'
``_nodeid``, which pytest 9 no longer reads), so :func:`pytest_xdist_make_scheduler` groups
by module path instead."""


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup``: xdist's load scheduling, each of :data:`ONE_WORKER_MODULES` one
    unit of work (in collection order, which :func:`pytest_collection_modifyitems` sets)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return ModuleGroups(config, log)


def _slow_rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(SLOW_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(SLOW_FIRST)


CHROMIUM = Path("/usr/bin/chromium")

SHARED_EXECUTIONS: dict[str, str] = {
    # node id prefix of a test whose notebook execution another test repeats, stricter ->
    # the prefix of that test (the notebook's file name follows both)
    "tests/notebooks/test_notebooks.py::test_executes_top_to_bottom_with_defaults[": (
        "tests/browser/test_notebooks_live.py::test_run_all_then_every_control["
    ),
}
"""Notebook executions run once (issue 17: execute each notebook once and share it).

nbclient's headless run of a notebook with its defaults (live ipympl mode) is a subset of the
browser test's Run All in JupyterLab with the same defaults: that test fails on any error,
on any stderr output in a cell or from the kernel (warnings included), when no explorer
figure rendered, and when the run wrote a file (``EXPORT_DIR = None``). Where Debian chromium
is present and both tests of a notebook are collected, the headless one is deselected (not
skipped: the run says how many, and why). Without chromium, or with the browser tests left
out (``-m "not browser"``, ``-k``), the headless run executes as before.
"""


@pytest.hookimpl(trylast=True)  # after -k / -m have deselected what they deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the executions that a collected, stricter test repeats
    (:data:`SHARED_EXECUTIONS`); then, under pytest-xdist, the long tests first.

    xdist hands out tests in collection order a few at a time, so a long test collected last
    would run alone at the end; each worker collects, and sorts the same way (a stable sort:
    the rest keep their order).
    """
    _deselect_shared_executions(config, items)
    if hasattr(config, "workerinput"):  # set on xdist's workers only
        items.sort(key=_slow_rank)


def _deselect_shared_executions(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not CHROMIUM.exists():
        return
    ids = {item.nodeid for item in items}
    covered = []
    for item in items:
        for prefix, stricter in SHARED_EXECUTIONS.items():
            if item.nodeid.startswith(prefix):
                notebook = item.nodeid[len(prefix) :]
                if stricter + notebook in ids:
                    covered.append(item)
    if covered:
        config.hook.pytest_deselected(items=covered)
        items[:] = [item for item in items if item not in covered]
        _SHARED.append(len(covered))


_SHARED: list[int] = []


def pytest_configure(config: pytest.Config) -> None:
    _CI_SKIPPED_MODULES.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="requires"):
        if len(mark.args) != 1 or set(mark.kwargs) != {"reason"}:
            raise TypeError("use pytest.mark.requires(condition, reason='...')")
        require_or_skip(mark.args[0], mark.kwargs["reason"])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Under CI=true, a skip not on :data:`CI_ALLOWED_SKIPS` is reported as a failure."""
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = _skip_reason(report)
        if not _ci_allows(reason):
            report.outcome = "failed"
            report.longrepr = (
                f"CI=true: this test was skipped, and CI may not skip it ({reason}). Install "
                "what it declares, or add the reason to CI_ALLOWED_SKIPS in tests/conftest.py "
                "with a comment that says why no CI machine can run it."
            )
    return report


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember modules skipped at collection (a module-level ``importorskip``)."""
    if IN_CI and report.skipped:
        reason = _skip_reason(report)
        if not _ci_allows(reason):
            _CI_SKIPPED_MODULES.append((report.nodeid, reason))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _SHARED:
        terminalreporter.write_line(
            f"{_SHARED[-1]} headless notebook executions deselected: the browser test runs each "
            "of those notebooks with the same defaults, stricter (tests/conftest.py "
            "SHARED_EXECUTIONS)"
        )
    if _CI_SKIPPED_MODULES:
        terminalreporter.write_sep(
            "=", "CI=true: modules skipped at collection (this fails the run)", red=True
        )
        for nodeid, reason in _CI_SKIPPED_MODULES:
            terminalreporter.write_line(f"{nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true, a module skipped at collection fails the session."""
    if _CI_SKIPPED_MODULES and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", name="require_or_skip")
def _require_or_skip_fixture() -> Callable[[object, str], None]:
    """:func:`require_or_skip` for test modules (they cannot import this conftest)."""
    return require_or_skip


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def reference() -> Path:
    """``../shared/reference`` (published datasets used as test oracles).

    Skips in a user's clone, where the folder is absent; fails under ``CI=true``.
    """
    require_or_skip(
        REFERENCE.is_dir(),
        f"reference data not found at {REFERENCE}: the fidelity tests need the project's "
        "shared/reference folder beside the checkout, or INFERECON_REFERENCE=<folder> "
        "(absent in a user's fresh clone; some of its files may not be redistributed)",
    )
    return REFERENCE


@pytest.fixture(scope="session")
def epoch_dir(reference) -> Path:
    d = reference / "epoch-llm-inference-price-trends"
    require_or_skip(d.is_dir(), f"{d} not found (Epoch AI's price-trend files)")
    return d
