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
    load_reasoning_tokens,
    load_sampling_counts,
    load_test_time_results,
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
from .testtime import (
    CoveragePowerLaw,
    best_of_n_accuracy,
    beta_expected_coverage,
    compute_matched_inference_multiplier,
    cost_per_solved_fixed_budget,
    coverage,
    coverage_curve,
    expected_cost_to_first_success,
    expected_over_difficulty,
    fit_coverage_power_law,
    inference_flops,
    majority_vote_accuracy,
    pass_at_k,
    plurality_vote_accuracy,
    pretraining_flops,
    usd_per_sample,
)

try:
    __version__ = version("inferecon")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "A16Z_INPUT_SHARE",
    "annualised_factor",
    "BENCHMARKS",
    "best_model_price",
    "best_of_n_accuracy",
    "best_score_by_group",
    "beta_expected_coverage",
    "blended_price",
    "cheapest_frontier",
    "compute_matched_inference_multiplier",
    "cost_per_solved_fixed_budget",
    "coverage",
    "coverage_curve",
    "CoveragePowerLaw",
    "data_path",
    "DataValidationError",
    "DAYS_PER_YEAR",
    "DeclineFit",
    "EPOCH_INPUT_SHARE",
    "expected_cost_to_first_success",
    "expected_over_difficulty",
    "factor_per_year_to_halving_time_months",
    "factor_per_year_to_oom_per_year",
    "fit_coverage_power_law",
    "fit_decline",
    "fit_log_linear_trend",
    "fold_decline",
    "frontier_fold_decline",
    "halving_time_months_to_factor_per_year",
    "inference_flops",
    "load_prices",
    "load_published_rates",
    "load_reasoning_tokens",
    "load_sampling_counts",
    "load_test_time_results",
    "majority_vote_accuracy",
    "oom_per_year_to_factor_per_year",
    "pass_at_k",
    "plurality_vote_accuracy",
    "pretraining_flops",
    "Problem",
    "read_epoch_prices",
    "TrendFit",
    "usd_per_sample",
    "viz",
    "years_between",
]
