"""The disclosure's inventory coverage (`data_quality.coverage` in disclosure.json): GPU-hours the
inventory expects against those measured, estimated and missing, per site, with the gaps."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteCoverage(_M):
    site: str
    expected_gpu_hours: float = Field(description="inventory GPUs × hours in service")
    measured_gpu_hours: float = Field(description="covered by measured telemetry pieces")
    estimated_gpu_hours: float = Field(description="gaps filled + scheduler-estimated")
    missing_gpu_hours: float = Field(description="expected − measured − estimated")


class CoverageGap(_M):
    """Consecutive hours of one host lacking telemetry for some GPU-hours (hour resolution)."""

    host: str
    site: str
    from_utc: datetime
    to_utc: datetime
    gpu_hours: float = Field(description="GPU-hours without telemetry in [from_utc, to_utc)")
    missing_gpu_hours: float = Field(description="of which the scheduler did not estimate either")


class UnknownHost(_M):
    """A host that sent telemetry but is not in the inventory: its energy is not counted."""

    host: str
    samples: int
    gpus: int
    first_utc: datetime
    last_utc: datetime


class InventoryCoverage(_M):
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
