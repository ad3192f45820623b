"""The disclosure: every number the report prints, as one validated document.

`disclosure.json` is this model dumped; the HTML/PDF templates read only this model, so the PDF
can never print a figure that the JSON lacks. Field names carry units.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

_Date = date  # a field below is named `date`


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Period(_M):
    start: date  # first day included
    end: date  # last day included
    days: int


class Totals(_M):
    energy_kwh: float = Field(description="facility energy: IT energy × PUE")
    it_energy_kwh: float = Field(description="IT energy: GPU energy (host overhead: method issue)")
    gpu_hours: float
    co2e_kg_location: float
    co2e_kg_market: float
    water_l: float
    embodied_kg: float
    cost_usd: float


class PhaseFigures(_M):
    energy_kwh: float
    it_energy_kwh: float
    gpu_hours: float
    co2e_kg_location: float
    co2e_kg_market: float
    share_pct: float = Field(description="share of facility energy in the period, 0-100")


class DailyPhaseEnergy(_M):
    day: date
    phase: str
    energy_kwh: float = Field(description="facility energy")


class TrainingFigures(_M):
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float
    co2e_kg_market: float


class InferenceFigures(_M):
    requests: int
    output_tokens: int
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float
    wh_per_request: float | None
    wh_per_1k_output_tokens: float | None


class Crossover(_M):
    reached: bool
    date: _Date | None = None
    projected_days: float | None = None
    lifecycle_training_kwh: float
    lifecycle_inference_kwh: float


class ModelFigures(_M):
    name: str
    training: TrainingFigures  # training + fine-tuning of this model
    inference: InferenceFigures
    crossover: Crossover


class SiteFigures(_M):
    site: str
    grid_zone: str
    pue: float
    mean_gco2e_per_kwh: float | None
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float


class TeamFigures(_M):
    team: str
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float


class DataQuality(_M):
    measured_share: float = Field(description="share of GPU energy from measured samples, 0-1")
    quarantined_rows: int
    grid_fallback_hours: int = Field(description="site-hours priced with a fallback intensity")
    unclassified_jobs: int
    files: int


class Factor(_M):
    name: str
    value: str
    unit: str
    source: str


class InputFile(_M):
    path: str
    sha256: str
    rows: int
    format: str


class Disclosure(_M):
    schema_version: int = 1
    title: str
    organisation: str
    generated_at: datetime
    code_version: str
    config_sha256: str
    period: Period
    totals: Totals
    phases: dict[str, PhaseFigures]  # training, fine_tuning, inference, ..., idle
    daily: list[DailyPhaseEnergy]
    models: list[ModelFigures]
    sites: list[SiteFigures]
    teams: list[TeamFigures]
    data_quality: DataQuality
    factors: list[Factor]
    inputs: list[InputFile]
    notes: list[str] = Field(default_factory=list, description="method caveats printed verbatim")
