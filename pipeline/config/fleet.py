"""The fleet in the configuration: paths, sites, GPU and server models, host groups and contractual
instruments. Every factor the method applies by default carries a `source` string."""

from __future__ import annotations

import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import hostlist
from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)

from pipeline.config import gpu_library
from pipeline.config.base import Strict
from pipeline.plausibility import WUE_MAX_L_PER_KWH


class CatalogPaths(Strict):
    """The shared catalog of derived tables (pipeline/warehouse/catalog.py)."""

    uri: str = Field(
        ...,
        description="SQLAlchemy URL of the Iceberg SQL catalog: sqlite:///file (relative to the "
        "config) or postgresql+psycopg2://user@host/db (password from WATTPRINT_CATALOG_PASSWORD)",
    )
    location: str | None = Field(
        None, description="where the tables' files go: a folder or s3://...; default <lake>/catalog"
    )
    namespace: str = Field("wattprint", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @field_validator("uri")
    @classmethod
    def _no_secret(cls, uri: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(uri)
        except ArgumentError as e:
            raise ValueError(f"not a database URL: {uri!r} ({e})") from None
        if url.password:
            raise ValueError(
                "the catalog URL holds a password; remove it and set WATTPRINT_CATALOG_PASSWORD"
            )
        return uri


class Paths(Strict):
    landing: Path = Path("landing")
    warehouse: Path = Path("warehouse/wattprint.duckdb")
    reports: Path = Path("reports")
    # the telemetry lake (GPU samples as Parquet): a folder, or s3://bucket/prefix on S3-compatible
    # storage (credentials and endpoint from the environment: AWS_*); default beside the warehouse
    lake: str | None = None
    # the shared catalog of derived tables for many writers (Iceberg); none by default
    catalog: CatalogPaths | None = None


class Site(Strict):
    grid_zone: str
    timezone: str = "UTC"
    pue: float = Field(1.58, ge=1.0, le=3.0)
    pue_by_month: dict[str, float] = Field(
        default_factory=dict, description="YYYY-MM -> PUE; overrides `pue` for that month"
    )
    pue_source: str = "Uptime Institute Global Data Center Survey 2023: average PUE 1.58"
    wue_l_per_kwh: float = Field(0.0, ge=0.0, le=WUE_MAX_L_PER_KWH)  # see pipeline/plausibility.py
    wue_source: str = "not configured"
    offsite_water_l_per_kwh: float = Field(
        0.0, ge=0.0, description="water consumed generating a kWh on this grid (off-site)"
    )
    offsite_water_source: str = "not configured"
    annual_gco2e_per_kwh: float = Field(..., ge=0.0)
    annual_gco2e_source: str = "not stated"
    residual_mix_gco2e_per_kwh: float | None = Field(None, ge=0.0)
    residual_mix_source: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown IANA time zone {v!r}") from e
        return v

    @field_validator("pue_by_month")
    @classmethod
    def _month_keys(cls, v: dict[str, float]) -> dict[str, float]:
        for k, pue in v.items():
            if not re.fullmatch(r"\d{4}-\d{2}", k):
                raise ValueError(f"month key {k!r} is not YYYY-MM")
            if not 1.0 <= pue <= 3.0:
                raise ValueError(f"PUE {pue} for {k} is outside 1.0-3.0")
        return v

    def pue_for(self, month: str) -> float:
        return self.pue_by_month.get(month, self.pue)


class GpuModel(Strict):
    """A GPU model's factors: given here, or taken from the GPU factor library (`library:`,
    pipeline/config/gpu_library.yaml) with any value given here overriding the library's."""

    library: str | None = Field(
        None, description="a GPU of the factor library whose values this entry takes"
    )
    tdp_w: float = Field(..., gt=0)
    idle_w: float = Field(..., ge=0)
    memory_gb: float | None = Field(None, gt=0)
    embodied_kg: float = Field(0.0, ge=0)
    lifetime_years: float = Field(4.0, gt=0)
    average_power_w: float | None = Field(
        None,
        gt=0,
        description="estimation path: board power of an allocated GPU with no telemetry "
        "(else idle + (TDP - idle) x the phase's utilisation from `estimation`)",
    )
    source: str = "not stated"
    # field -> the library's citation, for each value taken from the library
    _library_sources: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _from_library(cls, data: Any, handler: ModelWrapValidatorHandler[GpuModel]) -> GpuModel:
        if not isinstance(data, dict) or data.get("library") is None:
            return handler(data)
        gpu = gpu_library.resolve(str(data["library"]))
        taken = [f for f in gpu_library.LIBRARY_FIELDS if data.get(f) is None]
        own = len(taken) < len(gpu_library.LIBRARY_FIELDS) or data.get("average_power_w")
        source = data.get("source")
        if source is None:  # no value of its own: the library's citations, else none stated
            source = "not stated" if own else "; ".join(f"{f}: {gpu.source(f)}" for f in taken)
        merged = {**data, **{f: gpu.values()[f] for f in taken}, "library": gpu.name}
        model = handler({**merged, "source": source})
        model._library_sources = {f: gpu.source(f) for f in taken}
        return model

    def source_of(self, field: str) -> str:
        """The citation of one value: the library's when it came from the library, else the
        entry's `source`."""
        return self._library_sources.get(field, self.source)

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> GpuModel:
        if self.idle_w > self.tdp_w:
            raise ValueError(f"idle_w {self.idle_w} exceeds tdp_w {self.tdp_w}")
        return self


class ServerModel(Strict):
    """The non-GPU part of a GPU server: CPUs, DRAM, NICs, fans, storage."""

    overhead_w: float = Field(
        0.0, ge=0, description="non-GPU power of one server when no node power is measured"
    )
    embodied_kg: float = Field(0.0, ge=0, description="server embodied carbon, GPUs excluded")
    lifetime_years: float = Field(4.0, gt=0)
    source: str = "not stated"


class HostGroup(Strict):
    hosts: str = Field(..., description="Slurm-style host list, e.g. gpu[001-004,007]")
    site: str
    gpu_model: str
    gpus: int = Field(8, ge=1, le=64)
    server_model: str | None = Field(None, description="key of `server_models`; none: GPUs only")
    in_service_from: date | None = Field(
        None, description="first UTC day the hosts are expected to report; none: always"
    )
    in_service_to: date | None = Field(
        None, description="last UTC day (inclusive) the hosts are expected to report; none: always"
    )

    @cached_property
    def expanded(self) -> list[str]:
        return hostlist.expand_hostlist(self.hosts)

    @model_validator(mode="after")
    def _service_span(self) -> HostGroup:
        a, b = self.in_service_from, self.in_service_to
        if a is not None and b is not None and b < a:
            raise ValueError(f"in_service_to {b} is before in_service_from {a}")
        return self


class Instrument(Strict):
    """A contractual instrument (PPA, REC, GO...) for market-based Scope 2.

    Without `hourly_profile` the volume is matched annually: prorated by time to each reporting
    period and set against the site's consumption in it. With a profile (CSV `hour_utc,mwh`) each
    hour's delivery is matched against that hour's consumption.
    """

    name: str
    kind: Literal["PPA", "REC", "GO", "I-REC", "green_tariff", "other"] = "PPA"
    site: str
    start: date
    end: date = Field(..., description="last day covered (inclusive)")
    mwh: float | None = Field(None, ge=0, description="volume over the whole term")
    hourly_profile: Path | None = None
    gco2e_per_kwh: float = Field(0.0, ge=0, description="emission factor of the instrument")
    source: str = "not stated"

    @model_validator(mode="after")
    def _volume(self) -> Instrument:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.mwh is None) == (self.hourly_profile is None):
            raise ValueError("give exactly one of mwh (annual matching) or hourly_profile")
        return self
