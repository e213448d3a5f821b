"""Load and validate the package's datasets (and users' files in the same schemas).

Every loader reads the CSV as text, checks every row of every column against the dataset's
schema, and raises one :class:`DataValidationError` listing *all* problems (file, line,
column, rule) before anything is returned: a file is loaded whole or not at all.

The validation machinery (column rules, errors, locating files) is in
:mod:`inferecon.datasets.validation`; each topic's schemas and loaders in its own module
(``prices``, ``testtime``, ``hardware``, ``models``, ``measurements``, ``serving``, ``scaling``,
``factory``, ``profiles``, ``sweeps``, ``decline_inputs``, ``traffic``); this module holds the
table of every dataset, :data:`DATASETS`, which ``python -m inferecon check-data`` validates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import (
    decline_inputs,
    factory,
    hardware,
    measurements,
    models,
    prices,
    profiles,
    scaling,
    serving,
    sweeps,
    testtime,
    traffic,
    validation,
)
from .decline_inputs import *  # noqa: F403
from .factory import *  # noqa: F403
from .hardware import *  # noqa: F403
from .measurements import *  # noqa: F403
from .models import *  # noqa: F403
from .prices import *  # noqa: F403
from .prices import EPOCH_FILES
from .prices import REASONING_NAME_PATTERN as REASONING_NAME_PATTERN  # as before the split
from .profiles import *  # noqa: F403
from .scaling import *  # noqa: F403
from .serving import *  # noqa: F403
from .sweeps import *  # noqa: F403
from .testtime import *  # noqa: F403
from .traffic import *  # noqa: F403
from .validation import *  # noqa: F403

__all__ = [
    *validation.__all__,
    *prices.__all__,
    *testtime.__all__,
    *hardware.__all__,
    *models.__all__,
    *measurements.__all__,
    *serving.__all__,
    *scaling.__all__,
    *factory.__all__,
    *profiles.__all__,
    *sweeps.__all__,
    *decline_inputs.__all__,
    *traffic.__all__,
    "Dataset",
    "DATASETS",
    "BUNDLED_FILES",
    "dataset_for_file",
]


# --------------------------------------------------------------------------- the table of datasets


@dataclass(frozen=True)
class Dataset:
    """One dataset the package knows: its schema, its loader and, if bundled, its file.

    ``load(path)`` validates a file (``load(None)`` the bundled one, when ``file`` is set).
    ``aliases`` are upstream file names that also select this dataset (e.g. Epoch AI's).
    """

    name: str
    schema: validation.Schema
    load: Callable[..., pd.DataFrame]
    file: str | None = None
    aliases: tuple[str, ...] = ()


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("llm_prices", prices.PRICES_SCHEMA, prices.load_prices, "llm_prices.csv"),
        Dataset(
            "published_rates",
            prices.PUBLISHED_RATES_SCHEMA,
            prices.load_published_rates,
            "published_rates.csv",
        ),
        Dataset(
            "reasoning_tokens",
            testtime.REASONING_TOKENS_SCHEMA,
            testtime.load_reasoning_tokens,
            "reasoning_tokens.csv",
        ),
        Dataset(
            "test_time_results",
            testtime.TEST_TIME_RESULTS_SCHEMA,
            testtime.load_test_time_results,
            "test_time_results.csv",
        ),
        Dataset("gpus", hardware.GPUS_SCHEMA, hardware.load_gpus, "gpus.csv"),
        Dataset("models", models.MODELS_SCHEMA, models.load_models, "models.csv"),
        Dataset(
            "decode_measurements",
            measurements.DECODE_MEASUREMENTS_SCHEMA,
            measurements.load_decode_measurements,
            "h200_decode.csv",
        ),
        Dataset(
            "measured_ceilings",
            measurements.MEASURED_CEILINGS_SCHEMA,
            measurements.load_measured_ceilings,
            "h200_ceilings.csv",
        ),
        Dataset(
            "published_throughput",
            serving.PUBLISHED_THROUGHPUT_SCHEMA,
            serving.load_published_throughput,
            "published_throughput.csv",
        ),
        Dataset(
            "scaling_laws",
            scaling.SCALING_LAWS_SCHEMA,
            scaling.load_scaling_laws,
            "scaling_laws.csv",
        ),
        Dataset(
            "notable_models",
            scaling.NOTABLE_MODELS_SCHEMA,
            scaling.load_notable_models,
            "notable_models.csv",
        ),
        Dataset(
            "post_training",
            scaling.POST_TRAINING_SCHEMA,
            scaling.load_post_training,
            "post_training.csv",
        ),
        Dataset(
            "chinchilla_points",
            scaling.CHINCHILLA_POINTS_SCHEMA,
            scaling.load_chinchilla_points,
            "chinchilla_points.csv",
        ),
        Dataset(
            "sardana_runs",
            scaling.SARDANA_RUNS_SCHEMA,
            scaling.load_sardana_runs,
            "sardana_runs.csv",
            aliases=("trainingresults.csv",),
        ),
        Dataset(
            "operator_timings",
            profiles.OPERATOR_TIMINGS_SCHEMA,
            profiles.load_operator_timings,
            "operator_timings.csv",
        ),
        Dataset(
            "collective_timings",
            profiles.COLLECTIVE_TIMINGS_SCHEMA,
            profiles.load_collective_timings,
            "collective_timings.csv",
        ),
        Dataset(
            "engine_profiles",
            decline_inputs.ENGINE_PROFILES_SCHEMA,
            decline_inputs.load_engine_profiles,
            "engine_profiles.csv",
        ),
        Dataset(
            "serving_scenarios",
            decline_inputs.SERVING_SCENARIOS_SCHEMA,
            decline_inputs.load_serving_scenarios,
            "serving_scenarios.csv",
        ),
        # users' file formats; those with a file name are bundled too
        Dataset("sampling_counts", testtime.SAMPLING_COUNTS_SCHEMA, testtime.load_sampling_counts),
        Dataset(
            "published_serving_sweeps",
            serving.PUBLISHED_SERVING_SWEEPS_SCHEMA,
            serving.load_published_serving_sweeps,
            "published_serving_sweeps.csv",
        ),
        Dataset(
            "request_lengths",
            serving.REQUEST_LENGTHS_SCHEMA,
            serving.load_request_lengths,
            "request_lengths.csv",
        ),
        Dataset(
            "accelerators",
            hardware.ACCELERATORS_SCHEMA,
            hardware.load_accelerators,
            "accelerators.csv",
        ),
        Dataset(
            "factory_assumptions",
            factory.FACTORY_ASSUMPTIONS_SCHEMA,
            factory.load_factory_assumptions,
            "factory_assumptions.csv",
        ),
        Dataset("training_runs", scaling.TRAINING_RUNS_SCHEMA, scaling.load_training_runs),
        Dataset("request_trace", serving.REQUEST_TRACE_SCHEMA, serving.load_request_trace),
        Dataset(
            "moe_serving_sweeps",
            sweeps.MOE_SERVING_SWEEPS_SCHEMA,
            sweeps.load_moe_serving_sweeps,
            "moe_serving_sweeps.csv",
        ),
        Dataset(
            "inferencemax_results",
            sweeps.MOE_SERVING_SWEEPS_SCHEMA,
            sweeps.read_inferencemax_results,
            aliases=("agg_bmk.json",),
        ),
        Dataset(
            "epoch_prices",
            prices.PRICES_SCHEMA,
            prices.read_epoch_prices,
            aliases=EPOCH_FILES,
        ),
        Dataset(
            "epoch_chinchilla",
            scaling.TRAINING_RUNS_SCHEMA,
            scaling.read_epoch_chinchilla,
            aliases=("svg_extracted_data.csv",),
        ),
        Dataset(
            "traffic_minute_counts",
            traffic.TRAFFIC_MINUTE_COUNTS_SCHEMA,
            traffic.load_traffic_minute_counts,
            "traffic_minute_counts.csv",
        ),
        Dataset(
            "traffic_lengths",
            traffic.TRAFFIC_LENGTHS_SCHEMA,
            traffic.load_traffic_lengths,
            "traffic_lengths.csv",
        ),
        Dataset(
            "azure_llm_trace",
            traffic.AZURE_LLM_TRACE_SCHEMA,
            traffic.load_azure_llm_trace,
            aliases=tuple(traffic.AZURE_LLM_TRACE_FILES.values()),
        ),
    )
}
"""Every dataset by name: what ``python -m inferecon check-data`` validates. A bundled file
missing from this table fails the test suite (``tests/data``)."""


BUNDLED_FILES: dict[str, Dataset] = {d.file: d for d in DATASETS.values() if d.file}
"""The bundled data files by file name."""


def dataset_for_file(path: str | Path) -> Dataset | None:
    """The dataset a file's name selects, or None.

    A name selects a dataset when it is a bundled file's name (``models.csv``), an upstream
    alias (Epoch AI's ``aa_data_with_math5.csv``) or the dataset's name plus ``.csv``
    (``sampling_counts.csv``).

    Parameters
    ----------
    path : str or Path
        The file (only its name is read).

    Returns
    -------
    Dataset or None
    """
    name = Path(path).name
    if name in BUNDLED_FILES:
        return BUNDLED_FILES[name]
    for d in DATASETS.values():
        if name in d.aliases or name == f"{d.name}.csv":
            return d
    return None
