"""A model's section of the disclosure (`models[]` in disclosure.json): training and inference
figures, functional units, and the lifecycle (crossover, cumulative energy, efficiency)."""

from __future__ import annotations

from pydantic import Field

from pipeline.method.results import Crossover, CumulativePoint, Efficiency, Record, UnitFigures


class TrainingFigures(Record):
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float
    co2e_kg_market: float
    water_l: float = 0.0
    embodied_kg: float = 0.0
    cost_usd: float = 0.0
    estimated_share: float = Field(0.0, description="share of GPU energy not measured, 0-1")


class InferenceFigures(Record):
    requests: int
    output_tokens: int
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float
    wh_per_request: float | None
    wh_per_1k_output_tokens: float | None
    co2e_kg_market: float = 0.0
    water_l: float = 0.0
    cost_usd: float = 0.0


class BoundaryBreakdown(Record):
    """Full-boundary Wh per request, by where the energy went."""

    accelerator_wh: float
    host_wh: float
    idle_wh: float
    facility_overhead_wh: float


class FunctionalUnits(Record):
    accelerator: UnitFigures = Field(description="GPU board energy of serving jobs only")
    full_boundary: UnitFigures = Field(
        description="+ host, idle capacity share, facility overhead, embodied excluded"
    )
    breakdown_per_request: BoundaryBreakdown | None
    sci_gco2e_per_request: float | None = Field(
        description="SCI = (E × I + M) per request, full boundary, location-based I"
    )


class PromptStat(Record):
    """Per prompt: the mean and nearest-rank percentiles (each one a request that was served)."""

    mean: float
    p10: float
    median: float
    p90: float


class BoundaryShares(Record):
    """The median prompt's energy by where it went, in % of its full-boundary Wh."""

    accelerator_pct: float
    host_pct: float
    idle_pct: float
    facility_overhead_pct: float


class PromptFigures(Record):
    """Per-prompt figures from the request log (docs/per-prompt.md): each serving model-hour's
    full-boundary footprint apportioned to its logged requests by token-weighted work. The
    figures are None when none of the model's logged requests fell in an hour with energy."""

    requests: int = Field(description="logged requests in hours with serving energy")
    input_token_weight: float = Field(description="w_in: weight = input × w_in + output tokens")
    wh: PromptStat | None = None
    gco2e_location: PromptStat | None = None
    gco2e_market: PromptStat | None = None
    water_ml: PromptStat | None = None
    cost_usd: PromptStat | None = None
    median_breakdown: BoundaryBreakdown | None = Field(None, description="the median prompt's Wh")
    median_shares: BoundaryShares | None = None
    measured_requests: int = Field(0, description="requests with energy measured by the server")
    measured_median_wh: float | None = Field(None, description="median of the measured energy")
    hours_with_requests: int = 0
    hours_without_requests: int = Field(0, description="model-hours with energy, no request")
    energy_kwh_without_requests: float = 0.0
    requests_without_energy: int = Field(0, description="requests in hours with no energy")


class ModelFigures(Record):
    name: str
    training: TrainingFigures  # training + fine-tuning of this model
    inference: InferenceFigures
    crossover: Crossover
    units: FunctionalUnits | None = None
    per_prompt: PromptFigures | None = None
    efficiency: list[Efficiency] = Field(default_factory=list)
    cumulative: list[CumulativePoint] = Field(default_factory=list)
