"""The method's results that the disclosure prints as they are, as validated records: inventory
coverage (`data_quality.coverage` in disclosure.json), functional units, and a model's lifecycle
(crossover, cumulative energy, efficiency). They live here, below the disclosure, because
`pipeline/method/` computes them; `pipeline/disclosure/model.py` composes them. Field names carry
units.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """A validated record: a field it does not declare is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


_Date = date  # a field below is named `date`


# ----------------------------------------------------------------------------- inventory coverage
# GPU-hours the inventory expects against those measured, estimated and missing, per site, with
# the gaps (pipeline/method/coverage.py).


class SiteCoverage(Record):
    site: str
    expected_gpu_hours: float = Field(description="inventory GPUs × hours in service")
    measured_gpu_hours: float = Field(description="covered by measured telemetry pieces")
    estimated_gpu_hours: float = Field(description="gaps filled + scheduler-estimated")
    missing_gpu_hours: float = Field(description="expected − measured − estimated")


class CoverageGap(Record):
    """Consecutive hours of one host lacking telemetry for some GPU-hours (hour resolution)."""

    host: str
    site: str
    from_utc: datetime
    to_utc: datetime
    gpu_hours: float = Field(description="GPU-hours without telemetry in [from_utc, to_utc)")
    missing_gpu_hours: float = Field(description="of which the scheduler did not estimate either")


class UnknownHost(Record):
    """A host that sent telemetry but is not in the inventory: its energy is not counted."""

    host: str
    samples: int
    gpus: int
    first_utc: datetime
    last_utc: datetime


class InventoryCoverage(Record):
    expected_gpu_hours: float
    measured_gpu_hours: float
    estimated_gpu_hours: float
    missing_gpu_hours: float
    sites: list[SiteCoverage]
    gaps: list[CoverageGap] = Field(description="the largest gaps, largest first")
    gap_count: int = Field(description="all gaps, listed or not")
    hosts_without_telemetry: list[str] = Field(description="inventory hosts with no piece at all")
    unknown_hosts: list[UnknownHost]

    @property
    def measured_share(self) -> float | None:
        """Measured / expected GPU-hours, 0-1; None when nothing was expected."""
        e = self.expected_gpu_hours
        return self.measured_gpu_hours / e if e else None


# ----------------------------------------------------------------------------- functional units


class UnitFigures(Record):
    """Per request and per 1,000 output tokens, at one boundary (pipeline/method/units.py)."""

    wh_per_request: float | None
    gco2e_location_per_request: float | None
    gco2e_market_per_request: float | None
    water_ml_per_request: float | None
    cost_usd_per_request: float | None
    wh_per_1k_output_tokens: float | None
    gco2e_location_per_1k_output_tokens: float | None
    gco2e_market_per_1k_output_tokens: float | None
    water_ml_per_1k_output_tokens: float | None
    cost_usd_per_1k_output_tokens: float | None


# ----------------------------------------------------------------------------- lifecycle
# pipeline/method/lifecycle.py


class Efficiency(Record):
    """Energy per request against total inference energy: previous period vs this one."""

    basis: str  # "previous month" or "week over week"
    previous_wh_per_request: float | None
    current_wh_per_request: float | None
    previous_inference_kwh: float
    current_inference_kwh: float
    rebound: bool | None = Field(
        description="Wh per request fell and inference energy per day rose, both by more than "
        "rebound_threshold_pct (Jevons); None: no comparable previous period"
    )
    wh_per_request_change_pct: float | None = Field(
        None, description="(current − previous) / previous Wh per request × 100"
    )
    inference_kwh_per_day_change_pct: float | None = Field(
        None, description="(current − previous) / previous inference kWh per day × 100"
    )
    rebound_threshold_pct: float = Field(
        5.0, description="the materiality both changes must exceed for a rebound, %"
    )


class CumulativePoint(Record):
    day: date
    training_kwh: float
    inference_kwh: float


class Crossover(Record):
    reached: bool
    date: _Date | None = None
    projected_days: float | None = None
    lifecycle_training_kwh: float
    lifecycle_inference_kwh: float
    lifecycle_requests: int = 0
    training_wh_per_request_amortised: float | None = Field(
        None, description="lifecycle training energy / requests served so far"
    )
    inference_share_pct: float | None = Field(
        None, description="inference share of lifecycle (training + inference) energy, 0-100"
    )
