"""inferecon: the economics of AI inference, as numbers you can check.

The public API is flat: ``import inferecon as ie`` then ``ie.load_prices()``,
``ie.cheapest_frontier(...)``, ``ie.fit_decline(...)``. Topic modules hold the code and each
declares its public names in ``__all__``; this namespace is their union:

* :mod:`inferecon.datasets`: load and validate the bundled data and your own files;
* :mod:`inferecon.rates`: growth arithmetic (fold change, factor per year, halving time, trends);
* :mod:`inferecon.prices`: blended prices, the cheapest-model frontier, decline fits;
* :mod:`inferecon.specs`, :mod:`inferecon.efficiency`, :mod:`inferecon.serving`,
  :mod:`inferecon.calibration`: the roofline model of serving and its calibration;
* the AI factory: :mod:`inferecon.factory_assumptions` (units, cited defaults),
  :mod:`inferecon.token_costs`, :mod:`inferecon.token_energy`, :mod:`inferecon.token_revenue`,
  :mod:`inferecon.serving_frontier` and :mod:`inferecon.workload_bills`;
* :mod:`inferecon.frontier_check`: the frontier against measured serving sweeps;
* :mod:`inferecon.scaling`: scaling laws and compute-optimal allocation;
* :mod:`inferecon.testtime`: test-time compute (repeated sampling, voting, verifiers);
* :mod:`inferecon.traffic`, :mod:`inferecon.routing` and :mod:`inferecon.planner`: load curves
  from traces, requests routed across replicas, and the cheapest deployment that meets latency
  targets through a day of traffic; :mod:`inferecon.plan_sensitivity`: a plan re-priced, across
  volumes and latency targets, and with the calibration's error;
* :mod:`inferecon.decline`: why prices fell: a price ratio split into model, hardware, serving
  and residual factors (Shapley, with Monte Carlo intervals), for any two points of a
  cheapest-model frontier; each factor's rate carried forward and checked on later prices.

Figures and explorers live in :mod:`inferecon.viz`, imported on first use (``ie.viz``), so
``import inferecon`` does not load matplotlib or ipywidgets; the report build is
:mod:`inferecon.report`.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from .calibration import *  # noqa: F403
from .collectives import *  # noqa: F403
from .continuous_batching import *  # noqa: F403
from .datasets import *  # noqa: F403
from .decline import *  # noqa: F403
from .efficiency import *  # noqa: F403
from .expert_parallel import *  # noqa: F403
from .factory_assumptions import *  # noqa: F403
from .frontier_check import *  # noqa: F403
from .goodput_search import *  # noqa: F403
from .operator_times import *  # noqa: F403
from .plan_sensitivity import *  # noqa: F403
from .planner import *  # noqa: F403
from .prices import *  # noqa: F403
from .rates import *  # noqa: F403
from .routing import *  # noqa: F403
from .scaling import *  # noqa: F403
from .serving import *  # noqa: F403
from .serving_frontier import *  # noqa: F403
from .simulator import *  # noqa: F403
from .slo_metrics import *  # noqa: F403
from .specs import *  # noqa: F403
from .sweep_analysis import *  # noqa: F403
from .sweep_replay import *  # noqa: F403
from .testtime import *  # noqa: F403
from .token_costs import *  # noqa: F403
from .token_energy import *  # noqa: F403
from .token_revenue import *  # noqa: F403
from .traffic import *  # noqa: F403
from .trends import *  # noqa: F403
from .uncertainty import *  # noqa: F403
from .workload_bills import *  # noqa: F403
from .workloads import *  # noqa: F403

_TOPIC_NAMES = (
    "datasets", "rates", "prices", "specs", "efficiency", "serving", "calibration", "workloads",
    "continuous_batching", "simulator", "slo_metrics", "goodput_search", "sweep_replay",
    "sweep_analysis", "factory_assumptions", "token_costs", "token_energy", "token_revenue",
    "serving_frontier", "workload_bills", "operator_times", "trends", "scaling", "testtime",
    "collectives", "frontier_check", "expert_parallel", "decline", "traffic", "routing", "planner",
    "plan_sensitivity", "uncertainty",
)  # fmt: skip
"""The topic modules whose ``__all__`` make up the flat namespace (``ie.goodput`` is the
function of that name; its module is ``inferecon.goodput_search``: a module and a function never
share a name)."""

try:
    __version__ = version("inferecon")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = sorted(
    {name for topic in _TOPIC_NAMES for name in import_module(f".{topic}", __name__).__all__}
    | {"__version__", "viz"}
)


_DEPRECATED = {
    "all_in_kw_per_gpu": "default_all_in_kw_per_gpu",
    "DEFAULT_MAX_BATCH": "DEFAULT_MAX_RUNNING_REQUESTS",
}
"""Public names renamed in 0.1.0, still resolved (with a ``DeprecationWarning``) until 0.2.0;
kept out of ``__all__`` so the vocabulary test, which walks ``__all__``, never sees them."""


def __getattr__(name: str):
    """Import :mod:`inferecon.viz` on first access (it needs matplotlib and ipywidgets), and
    resolve the deprecated names of :data:`_DEPRECATED` with a warning."""
    if name == "viz":
        module = import_module(".viz", __name__)
        globals()["viz"] = module
        return module
    if name in _DEPRECATED:
        import warnings

        new = _DEPRECATED[name]
        warnings.warn(
            f"inferecon.{name} is deprecated since 0.1.0 and will be removed in 0.2.0; "
            f"use inferecon.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"viz"})
