"""The lifecycle statement as validated records (lifecycle.json, and `lifecycle[]` in the monthly
disclosure.json). Energy is facility energy (IT × PUE) unless a name says otherwise."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, model_validator

from pipeline.method.results import Crossover, CumulativePoint, Record
from pipeline.printable import visible_fields

Basis = Literal["fleet", "declared"]
Relation = Literal["own", "base"]


class Footprint(Record):
    """Sums over a set of lines."""

    gpu_hours: float = 0.0
    energy_kwh: float = 0.0
    it_energy_kwh: float = 0.0
    co2e_kg_location: float = 0.0
    co2e_kg_market: float = 0.0
    water_l: float = 0.0
    embodied_kg: float = 0.0
    cost_usd: float = 0.0


class LifecycleLine(Footprint):
    """One run that went into the model: a fleet job (one line per job: a failed run and its
    restart are two lines) or one declared-usage row."""

    model: str = Field(description="whose run this is: the model itself or one of its bases")
    relation: Relation
    phase: str
    basis: Basis
    name: str = Field(description="job name, or the declared run's id")
    job: str = Field(description="job_key (site/job id), or the declared row's file:line")
    state: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    measured_share: float = Field(0.0, description="share of GPU energy measured, 0-1")
    source: str


class MonthPoint(Record):
    month: str = Field(description="YYYY-MM (UTC)")
    training_kwh: float = Field(description="own training and fine-tuning")
    inference_kwh: float
    requests: int
    wh_per_request: float | None


class Projection(Record):
    """When inference will overtake training if nothing changes, and on what assumptions."""

    crossover_date: date | None
    inference_kwh_per_day: float | None = Field(description="the rate assumed")
    rate_from: date | None
    rate_to: date | None
    assumptions: str


class LifecycleStatement(Record):
    name: str = Field(description="the model (version) the statement is about")
    lineage: list[str] = Field(description="the model, then the bases it was fine-tuned from")
    start: date
    end: date
    generated_at: datetime
    code_version: str
    config_sha256: str
    training: Footprint = Field(description="own training and fine-tuning")
    base_training: Footprint = Field(description="the base models' training, stated apart")
    development: Footprint = Field(description="own evaluation and development")
    inference: Footprint
    requests: int
    output_tokens: int
    lines: list[LifecycleLine]
    monthly: list[MonthPoint]
    crossover: Crossover = Field(description="own training vs inference")
    crossover_with_base: Crossover = Field(
        description="training including the base models' (counted before the first day)"
    )
    projection: Projection | None = None
    cumulative: list[CumulativePoint] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _visible_text(self) -> LifecycleStatement:
        visible_fields(self)
        return self
