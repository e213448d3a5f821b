"""Why prices fell: a price ratio split into measured factors whose product is exactly the ratio.

Between two serving scenarios (a start and an end, e.g. the AI Index's GPT-3.5 of November 2022
at USD 20 per million tokens and Gemini 1.5 Flash-8B of October 2024 at USD 0.07), the fall of
the list price per million tokens, ``P_start / P_end``, is written as

    P_start / P_end = model x hardware x serving x residual

* **model**: the serving cost's change from the model alone (active parameters and shape at
  equal capability: a 22x smaller model reads 22x fewer bytes per decoded token);
* **hardware**: from the GPU and its price per GPU-hour (bandwidth and FLOP/s per dollar);
* **serving**: from the engine profile (batching, KV-memory use, precision, host overheads),
  utilisation and the request mix;
* **residual**: ``(P_start / P_end) / (C_start / C_end)``, what the costs do not explain:
  margins, competition, subsidy (list prices can be below cost).

**Any two frontier points** (:func:`frontier_scenarios`): open-weight ends take their shape and
size from ``data/models.csv`` (the model factor then rests on no size estimate); closed ones need
a size range. **The forward look** (:func:`forward_look`) carries each factor's own rate (model
sizes at equal capability, the accelerators' price-performance trend, the next engine profile)
past the window and checks it against the later frontier prices; :func:`published_rates_beside`
sets the published rates (``data/published_rates.csv``) beside the split's.

The topic is split by what each part computes; this module gathers their public names (the flat
``ie.*`` API takes them from here, and ``from inferecon.decline import ...`` keeps working):

* :mod:`inferecon.decline_scenarios`: :class:`ServingScenario` and :func:`serving_scenario`;
* :mod:`inferecon.scenario_costs`: the cost of a scenario on the calibrated serving model;
* :mod:`inferecon.decline_draws`: the Monte Carlo draws of every range, and intervals;
* :mod:`inferecon.shapley`: :func:`shapley_split` and :func:`one_at_a_time_splits`;
* :mod:`inferecon.price_decomposition`: :func:`decompose_price_decline`, :func:`decline_shares`;
* :mod:`inferecon.frontier_pairs`: :func:`frontier_scenarios`, :func:`frontier_known_sizes`;
* :mod:`inferecon.decline_rates`: :func:`forward_look`, :func:`published_rates_beside`;
* :mod:`inferecon.decline_tables`: the tables and closing note of notebook 07.

10,000 draws take a few tens of milliseconds (``benchmarks/decline_bench.py``).
"""

from __future__ import annotations

from . import (
    decline_rates,
    decline_scenarios,
    decline_tables,
    frontier_pairs,
    price_decomposition,
    shapley,
)
from .decline_rates import *  # noqa: F403
from .decline_scenarios import *  # noqa: F403
from .decline_tables import *  # noqa: F403
from .frontier_pairs import *  # noqa: F403
from .price_decomposition import *  # noqa: F403
from .shapley import *  # noqa: F403

__all__ = sorted(
    name
    for module in (
        decline_scenarios,
        shapley,
        price_decomposition,
        frontier_pairs,
        decline_rates,
        decline_tables,
    )  # fmt: skip
    for name in module.__all__
)
