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


class ModelFigures(Record):
    name: str
    training: TrainingFigures  # training + fine-tuning of this model
    inference: InferenceFigures
    crossover: Crossover
    units: FunctionalUnits | None = None
    efficiency: list[Efficiency] = Field(default_factory=list)
    cumulative: list[CumulativePoint] = Field(default_factory=list)
