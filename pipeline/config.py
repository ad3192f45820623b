"""The wattprint configuration file (`wattprint.yaml`), validated with pydantic.

Every factor that the method applies by default carries a `source` string; the report prints it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import hostlist
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PHASES = ("training", "fine_tuning", "inference", "evaluation", "development", "unclassified")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    landing: Path = Path("landing")
    warehouse: Path = Path("warehouse/wattprint.duckdb")
    reports: Path = Path("reports")


class Site(_Strict):
    grid_zone: str
    timezone: str = "UTC"
    pue: float = Field(1.2, ge=1.0, le=3.0)
    pue_by_month: dict[str, float] = Field(
        default_factory=dict, description="YYYY-MM -> PUE; overrides `pue` for that month"
    )
    pue_source: str = "Uptime Institute Global Data Center Survey 2023: average PUE 1.58"
    wue_l_per_kwh: float = Field(0.0, ge=0.0)
    wue_source: str = "not configured"
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


class GpuModel(_Strict):
    tdp_w: float = Field(..., gt=0)
    idle_w: float = Field(..., ge=0)
    embodied_kg: float = Field(0.0, ge=0)
    lifetime_years: float = Field(4.0, gt=0)
    source: str = "not stated"

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> GpuModel:
        if self.idle_w > self.tdp_w:
            raise ValueError(f"idle_w {self.idle_w} exceeds tdp_w {self.tdp_w}")
        return self


class HostGroup(_Strict):
    hosts: str = Field(..., description="Slurm-style host list, e.g. gpu[001-004,007]")
    site: str
    gpu_model: str
    gpus: int = Field(8, ge=1, le=64)

    @cached_property
    def expanded(self) -> list[str]:
        return hostlist.expand_hostlist(self.hosts)


PhaseName = Literal["training", "fine_tuning", "inference", "evaluation", "development"]


class PhaseRule(_Strict):
    """A regex on one job field; `model` and `team` may use the pattern's named groups."""

    name: str
    field: Literal["job_name", "account", "partition", "user_name", "comment"] = "job_name"
    pattern: str
    phase: PhaseName
    model: str | None = None
    team: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"pattern {v!r} is not a valid regex: {e}") from e
        return v


class Telemetry(_Strict):
    max_gap_s: float = Field(
        900.0, gt=0, description="longer gaps between samples are missing and filled by estimate"
    )


class Reporting(_Strict):
    title: str = "AI energy and carbon disclosure"
    organisation: str = "Example AI Lab"
    recipients: list[str] = Field(default_factory=list)


class Config(_Strict):
    start_date: date = Field(..., description="first day of the daily partitions")
    timezone: str = Field("UTC", description="time zone of files that name no site or host")
    paths: Paths = Paths()
    telemetry: Telemetry = Telemetry()
    sites: dict[str, Site]
    gpu_models: dict[str, GpuModel]
    host_groups: list[HostGroup]
    phase_rules: list[PhaseRule] = Field(default_factory=list)
    reporting: Reporting = Reporting()
    # set by load_config, not by the file
    base_dir: Path = Path(".")
    config_sha256: str = ""

    @model_validator(mode="after")
    def _references(self) -> Config:
        seen: dict[str, int] = {}
        for i, g in enumerate(self.host_groups):
            if g.site not in self.sites:
                raise ValueError(f"host_groups[{i}].site: unknown site {g.site!r}")
            if g.gpu_model not in self.gpu_models:
                raise ValueError(f"host_groups[{i}].gpu_model: unknown GPU model {g.gpu_model!r}")
            for h in g.expanded:
                if h in seen:
                    raise ValueError(
                        f"host_groups[{i}].hosts: host {h!r} already in host_groups[{seen[h]}]"
                    )
                seen[h] = i
        return self

    def resolve(self, p: Path) -> Path:
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def landing_dir(self) -> Path:
        return self.resolve(self.paths.landing)

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.paths.warehouse)

    @property
    def reports_dir(self) -> Path:
        return self.resolve(self.paths.reports)

    def host_rows(self) -> list[dict]:
        """One row per host: the inventory the SQL joins against."""
        rows = []
        for g in self.host_groups:
            m = self.gpu_models[g.gpu_model]
            s = self.sites[g.site]
            for h in g.expanded:
                rows.append(
                    {
                        "host": h,
                        "site": g.site,
                        "grid_zone": s.grid_zone,
                        "gpu_model": g.gpu_model,
                        "gpus": g.gpus,
                        "tdp_w": m.tdp_w,
                        "idle_w": m.idle_w,
                    }
                )
        return rows

    def timezone_for_path(self, path: Path) -> str:
        """The site time zone of a file kept under a folder named for a host or site."""
        hosts = {h: g.site for g in self.host_groups for h in g.expanded}
        for part in reversed(path.parts[:-1]):
            if part in hosts:
                return self.sites[hosts[part]].timezone
            if part in self.sites:
                return self.sites[part].timezone
        return self.timezone


def _format_errors(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for e in err.errors():
        key = ".".join(str(x) for x in e["loc"]) or "(top level)"
        lines.append(f"  {key}: {e['msg']}")
    return "\n".join(lines)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read configuration: {e.strerror}") from e
    try:
        data = yaml.safe_load(raw_bytes) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    for key in ("base_dir", "config_sha256"):
        if key in data:
            raise ConfigError(f"{path}: {key}: is set by wattprint, not by the file")
    data["base_dir"] = path.resolve().parent
    data["config_sha256"] = hashlib.sha256(raw_bytes).hexdigest()
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_errors(path, e)) from e
