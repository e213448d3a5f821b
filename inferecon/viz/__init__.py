"""Figures and interactive explorers (matplotlib + ipywidgets, ipympl when available)."""

import functools

from .decline import (
    DeclineWaterfallExplorer,
    decline_shares_figure,
    forward_look_figure,
    show_static,
)
from .explorer import (
    Explorer,
    display_mode,
    export_figures,
    fit_axes_to_data,
    notice,
    setup_notebook,
)
from .factory import (
    FactoryCostExplorer,
    FactoryFrontierExplorer,
    HardwareTrendExplorer,
    MarginPaybackExplorer,
    WorkloadBillExplorer,
)
from .frontier_check import frontier_check_figure
from .goodput import GoodputExplorer, PublishedSweepsExplorer, ServingLoadExplorer
from .planner import GPU_SETS, PRECISION_SETS, TRAFFIC, PlanExplorer
from .prices import OpenClosedExplorer, PriceDeclineExplorer
from .scaling import (
    InferenceAwareExplorer,
    LossLandscapeExplorer,
    ScalingFitExplorer,
)
from .serving import (
    CalibrationExplorer,
    CostEnergyExplorer,
    RooflineExplorer,
    ThroughputLatencyExplorer,
)
from .style import FORMATS, STYLE_PATH, add_source, house_style, savefig, slug
from .testtime import (
    CostBreakEvenExplorer,
    CoverageDataExplorer,
    SamplingStrategiesExplorer,
)

__all__ = [
    "FORMATS",
    "GPU_SETS",
    "PRECISION_SETS",
    "TRAFFIC",
    "STYLE_PATH",
    "CalibrationExplorer",
    "CostBreakEvenExplorer",
    "CostEnergyExplorer",
    "CoverageDataExplorer",
    "DeclineWaterfallExplorer",
    "Explorer",
    "FactoryCostExplorer",
    "FactoryFrontierExplorer",
    "GoodputExplorer",
    "HardwareTrendExplorer",
    "MarginPaybackExplorer",
    "WorkloadBillExplorer",
    "InferenceAwareExplorer",
    "LossLandscapeExplorer",
    "OpenClosedExplorer",
    "PlanExplorer",
    "PriceDeclineExplorer",
    "PublishedSweepsExplorer",
    "RooflineExplorer",
    "SamplingStrategiesExplorer",
    "ScalingFitExplorer",
    "ServingLoadExplorer",
    "ThroughputLatencyExplorer",
    "add_source",
    "decline_shares_figure",
    "display_mode",
    "explorers",
    "export_figures",
    "fit_axes_to_data",
    "forward_look_figure",
    "frontier_check_figure",
    "notice",
    "headline_explorers",
    "house_style",
    "savefig",
    "setup_notebook",
    "show_static",
    "slug",
]


def explorers() -> dict[str, type[Explorer]]:
    """Every explorer class, by name (used by tests and benchmarks)."""
    return {
        "price_decline": PriceDeclineExplorer,
        "open_closed_gap": OpenClosedExplorer,
        "test_time_strategies": SamplingStrategiesExplorer,
        "test_time_cost": CostBreakEvenExplorer,
        "coverage_data": CoverageDataExplorer,
        "serving_frontier": ThroughputLatencyExplorer,
        "roofline": RooflineExplorer,
        "cost_per_token": CostEnergyExplorer,
        "calibration": CalibrationExplorer,
        "serving_load": ServingLoadExplorer,
        "goodput": GoodputExplorer,
        "published_sweeps": PublishedSweepsExplorer,
        "scaling_landscape": LossLandscapeExplorer,
        "inference_aware": InferenceAwareExplorer,
        "scaling_fit": ScalingFitExplorer,
        "factory_cost": FactoryCostExplorer,
        "factory_frontier": FactoryFrontierExplorer,
        "factory_margin": MarginPaybackExplorer,
        "hardware_trends": HardwareTrendExplorer,
        "workload_bill": WorkloadBillExplorer,
        "decline_waterfall": DeclineWaterfallExplorer,
        "deployment_plan": PlanExplorer,
    }


def headline_explorers():
    """Factories of the README's headline figures, by file stem."""
    return {
        "price_decline": PriceDeclineExplorer,
        "open_closed_gap": OpenClosedExplorer,
        "test_time_strategies": SamplingStrategiesExplorer,
        "test_time_cost": CostBreakEvenExplorer,
        "serving_frontier": ThroughputLatencyExplorer,
        "cost_per_token": CostEnergyExplorer,
        "goodput": GoodputExplorer,
        "scaling_landscape": LossLandscapeExplorer,
        "inference_aware": InferenceAwareExplorer,
        "factory_frontier": FactoryFrontierExplorer,
        "factory_cost": FactoryCostExplorer,
        "decline_waterfall": functools.partial(DeclineWaterfallExplorer, monte_carlo=True),
        "deployment_plan": PlanExplorer,
    }
