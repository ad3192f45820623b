"""The disclosure: every number the report prints, as one validated document.

`disclosure.json` is this model dumped; the HTML/PDF templates read only this model, so the PDF
can never print a figure that the JSON lacks. Field names carry units.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, model_validator

from pipeline.disclosure.declared import DeclaredUsage
from pipeline.disclosure.model_figures import ModelFigures
from pipeline.lifecycle.model import LifecycleStatement
from pipeline.method.results import InventoryCoverage, Record
from pipeline.printable import visible_fields


class Period(Record):
    start: date  # first day included
    end: date  # last day included
    days: int


class Totals(Record):
    energy_kwh: float = Field(description="facility energy: IT energy × PUE")
    it_energy_kwh: float = Field(description="IT energy: GPU board energy + host overhead")
    gpu_hours: float
    co2e_kg_location: float
    co2e_kg_market: float = Field(description="after hourly and annual instruments")
    water_l: float = Field(description="on-site + off-site")
    embodied_kg: float = Field(description="GPU + server embodied carbon for the hours held")
    cost_usd: float = Field(description="total of the period's USD billing lines (EffectiveCost)")
    gpu_energy_kwh: float = 0.0
    host_energy_kwh: float = 0.0
    facility_overhead_kwh: float = Field(0.0, description="facility − IT energy")
    water_onsite_l: float = 0.0
    water_offsite_l: float = 0.0
    embodied_gpu_kg: float = 0.0
    embodied_server_kg: float = 0.0
    instrument_kwh: float = Field(0.0, description="consumption covered by instruments")
    cfe_pct: float | None = Field(None, description="hourly carbon-free energy %, 0-100")
    cost_attributed_usd: float = Field(0.0, description="to jobs by GPU share, or by tags")
    cost_idle_usd: float = Field(0.0, description="mapped to hosts but no job held them")
    cost_unattributed_usd: float = Field(0.0, description="mapped to no host and no tag")


HEADLINE_METRICS: tuple[str, ...] = (
    "energy_kwh",
    "it_energy_kwh",
    "gpu_hours",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
)


class Comparison(Record):
    """The previous period's headline totals and the change to this period's, in %."""

    basis: str = Field(description="how the previous period was chosen")
    period: Period | None = None
    totals: Totals | None = Field(None, description="None when the previous period has no data")
    change_pct: dict[str, float | None] = Field(
        default_factory=dict,
        description="(this − previous) / previous × 100 per headline metric; None if previous is 0",
    )
    reason: str | None = Field(None, description="why there is no comparison")


class BoundaryFigures(Record):
    """A phase with its share of idle capacity (full boundary)."""

    energy_kwh: float
    it_energy_kwh: float
    gpu_hours: float
    co2e_kg_location: float
    co2e_kg_market: float
    water_l: float
    embodied_kg: float
    cost_usd: float
    share_pct: float


class PhaseFigures(Record):
    energy_kwh: float
    it_energy_kwh: float
    gpu_hours: float
    co2e_kg_location: float
    co2e_kg_market: float
    share_pct: float = Field(description="share of facility energy in the period, 0-100")
    water_l: float = 0.0
    embodied_kg: float = 0.0
    cost_usd: float = Field(0.0, description="attributed USD cost (idle: mapped, unheld)")
    full_boundary: BoundaryFigures | None = Field(
        None, description="with idle capacity spread by GPU-hours (idle: what could not be)"
    )


class DailyPhaseEnergy(Record):
    day: date
    phase: str
    energy_kwh: float = Field(description="facility energy")


class SiteFigures(Record):
    site: str
    grid_zone: str
    pue: float
    mean_gco2e_per_kwh: float | None
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float
    co2e_kg_market: float = 0.0
    cfe_pct: float | None = None
    hourly_matched_kwh: float = 0.0
    annual_volume_kwh: float = 0.0
    annual_matched_kwh: float = 0.0
    water_l: float = 0.0


class TeamFigures(Record):
    team: str
    gpu_hours: float
    energy_kwh: float
    co2e_kg_location: float


class DataQuality(Record):
    measured_share: float = Field(
        description="share of GPU energy measured (energy counter or power samples), 0-1"
    )
    quarantined_rows: int
    grid_fallback_hours: int = Field(description="site-hours priced with a fallback intensity")
    unclassified_jobs: int
    files: int
    scheduler_estimated_share: float = Field(
        0.0, description="share of GPU energy estimated from allocations without telemetry, 0-1"
    )
    host_measured_share: float = Field(0.0, description="share of host overhead measured, 0-1")
    grid_hourly_share: float = Field(
        1.0, description="share of facility energy priced with hourly grid data, 0-1"
    )
    unattributed_cost_usd: float = 0.0
    coverage: InventoryCoverage | None = Field(
        None, description="GPU-hours the inventory expects: measured, estimated, missing"
    )
    # two files disagreeing on one reading, resolved by precedence (docs/checks-plausibility.md)
    grid_conflicts: int = Field(0, description="zone-slots two grid files give different values")
    gpu_sample_conflicts: int = Field(
        0, description="GPU samples (host, GPU, time) two files give different readings"
    )
    declared_unresolved_rows: int = Field(
        0, description="declared-usage rows the config cannot price (listed in `declared`)"
    )


class Quantiles(Record):
    group: str  # "total", "phase:<phase>", "model:<model>:training|inference"
    metric: str  # energy_kwh, it_energy_kwh, co2e_kg_location, co2e_kg_market, embodied_kg
    central: float
    p5: float
    p50: float
    p95: float


class UncertaintyFigures(Record):
    seed: int
    samples: int
    quantiles: list[Quantiles]


class CheckOutcome(Record):
    name: str
    passed: bool
    blocking: bool
    detail: str


class AiActModel(Record):
    """EU AI Act Annex XI §1.2 fields for one model's training in the period."""

    model: str
    training_gpu_hours: float
    training_days: int = Field(description="days with training or fine-tuning jobs")
    energy_kwh: float = Field(description="facility energy of the model's training")
    energy_basis: str = Field(
        description="how the facility energy is known, part by part with its share, e.g. "
        "'facility energy: GPU 62% measured, host 20% configured, facility overhead 18% from PUE'"
    )
    training_flops: float | None = Field(
        None, description="training compute in FLOP, declared or estimated (6 x N x D)"
    )
    training_compute_basis: str = Field(
        "not known", description="'declared', 'estimated: 6 × N × D' or 'not known'"
    )
    training_compute_source: str = Field("", description="where the figure or its inputs come from")
    # each part's share of energy_kwh, 0-100; they sum to 100
    gpu_measured_pct: float = 0.0
    gpu_estimated_pct: float = 0.0
    host_measured_pct: float = 0.0
    host_configured_pct: float = 0.0
    facility_overhead_pct: float = 0.0


class Regulatory(Record):
    ai_act: list[AiActModel]
    scope2_location_kg: float
    scope2_market_kg: float
    scope2_instrument_kwh: float
    scope2_residual_factor_note: str


class Factor(Record):
    name: str
    value: str
    unit: str
    source: str


class InputFile(Record):
    path: str
    sha256: str
    rows: int
    format: str
    size_bytes: int | None = Field(None, description="None in reports made before it was kept")


class Disclosure(Record):
    schema_version: int = 2
    title: str
    organisation: str
    generated_at: datetime
    code_version: str
    config_sha256: str
    period: Period
    totals: Totals
    previous: Comparison | None = None
    phases: dict[str, PhaseFigures]  # training, fine_tuning, inference, ..., idle
    daily: list[DailyPhaseEnergy]
    models: list[ModelFigures]
    sites: list[SiteFigures]
    teams: list[TeamFigures]
    data_quality: DataQuality
    factors: list[Factor]
    inputs: list[InputFile]
    notes: list[str] = Field(default_factory=list, description="method caveats printed verbatim")
    uncertainty: UncertaintyFigures | None = None
    checks: list[CheckOutcome] = Field(default_factory=list)
    regulatory: Regulatory | None = None
    declared: DeclaredUsage = Field(
        default_factory=DeclaredUsage, description="declared runs: apart from the fleet's totals"
    )
    lifecycle: list[LifecycleStatement] = Field(
        default_factory=list,
        description="each model's whole life up to the period's end (pipeline/lifecycle/)",
    )

    @model_validator(mode="after")
    def _visible_text(self) -> Disclosure:
        # Names from input files may hide code points (a right-to-left override, zero-width
        # characters): every output prints them as visible escapes (pipeline/printable.py).
        visible_fields(self)
        return self
