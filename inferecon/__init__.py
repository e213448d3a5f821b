"""inferecon: the economics of AI inference, as numbers you can check.

The public API is flat: ``import inferecon as ie`` then ``ie.load_prices()``,
``ie.cheapest_frontier(...)``, ``ie.fit_decline(...)``. Topic modules hold the code:
:mod:`inferecon.rates`, :mod:`inferecon.prices`, :mod:`inferecon.datasets`; figures and
explorers live in :mod:`inferecon.viz`; the report build in :mod:`inferecon.report`.
"""

from importlib.metadata import PackageNotFoundError, version

from . import viz
from .datasets import (
    BENCHMARKS,
    DataValidationError,
    Problem,
    data_path,
    load_prices,
    load_published_rates,
    read_epoch_prices,
)
from .prices import (
    A16Z_INPUT_SHARE,
    EPOCH_INPUT_SHARE,
    DeclineFit,
    best_model_price,
    best_score_by_group,
    blended_price,
    cheapest_frontier,
    fit_decline,
    frontier_fold_decline,
)
from .rates import (
    DAYS_PER_YEAR,
    TrendFit,
    annualised_factor,
    factor_per_year_to_halving_time_months,
    factor_per_year_to_oom_per_year,
    fit_log_linear_trend,
    fold_decline,
    halving_time_months_to_factor_per_year,
    oom_per_year_to_factor_per_year,
    years_between,
)

try:
    __version__ = version("inferecon")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "A16Z_INPUT_SHARE",
    "BENCHMARKS",
    "DAYS_PER_YEAR",
    "DataValidationError",
    "DeclineFit",
    "EPOCH_INPUT_SHARE",
    "Problem",
    "TrendFit",
    "__version__",
    "annualised_factor",
    "best_model_price",
    "best_score_by_group",
    "blended_price",
    "cheapest_frontier",
    "data_path",
    "factor_per_year_to_halving_time_months",
    "factor_per_year_to_oom_per_year",
    "fit_decline",
    "fit_log_linear_trend",
    "fold_decline",
    "frontier_fold_decline",
    "halving_time_months_to_factor_per_year",
    "load_prices",
    "load_published_rates",
    "oom_per_year_to_factor_per_year",
    "read_epoch_prices",
    "viz",
    "years_between",
]
