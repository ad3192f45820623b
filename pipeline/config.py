"""The wattprint configuration file (`wattprint.yaml`), validated with pydantic.

Every factor that the method applies by default carries a `source` string; the report prints it.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import hostlist
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.plausibility import WUE_MAX_L_PER_KWH
from pipeline.readers._sacct_layout import field_names
from pipeline.readers.base import ReadContext

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


class GpuModel(_Strict):
    tdp_w: float = Field(..., gt=0)
    idle_w: float = Field(..., ge=0)
    embodied_kg: float = Field(0.0, ge=0)
    lifetime_years: float = Field(4.0, gt=0)
    average_power_w: float | None = Field(
        None,
        gt=0,
        description="estimation path: board power of an allocated GPU with no telemetry "
        "(else idle + (TDP - idle) x the phase's utilisation from `estimation`)",
    )
    source: str = "not stated"

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> GpuModel:
        if self.idle_w > self.tdp_w:
            raise ValueError(f"idle_w {self.idle_w} exceeds tdp_w {self.tdp_w}")
        return self


class ServerModel(_Strict):
    """The non-GPU part of a GPU server: CPUs, DRAM, NICs, fans, storage."""

    overhead_w: float = Field(
        0.0, ge=0, description="non-GPU power of one server when no node power is measured"
    )
    embodied_kg: float = Field(0.0, ge=0, description="server embodied carbon, GPUs excluded")
    lifetime_years: float = Field(4.0, gt=0)
    source: str = "not stated"


class HostGroup(_Strict):
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


PhaseName = Literal["training", "fine_tuning", "inference", "evaluation", "development"]


class PhaseRule(_Strict):
    """A regex on one job field; `model` and `team` may use the pattern's named groups.

    A Kubernetes pod is matched with its name as `job_name` and its namespace as both `account`
    and `namespace` (sacct jobs have no namespace)."""

    name: str
    field: Literal["job_name", "account", "partition", "user_name", "comment", "namespace"] = (
        "job_name"
    )
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
    max_fill_s: float = Field(
        21600.0,
        gt=0,
        description="gaps longer than this are not filled from the bounding samples; the "
        "host-hours they leave without telemetry take the allocation estimate instead",
    )
    nvidia_smi_fields: list[str] | None = Field(
        None,
        description="the --query-gpu field list of nvidia-smi logs written with "
        "--format=csv,noheader, in order (e.g. [timestamp, index, uuid, name, power.draw]); "
        "such logs carry no header line to say which column is which",
    )

    @model_validator(mode="after")
    def _fill_above_gap(self) -> Telemetry:
        if self.max_fill_s < self.max_gap_s:
            raise ValueError(f"max_fill_s {self.max_fill_s} is below max_gap_s {self.max_gap_s}")
        return self


class Scheduler(_Strict):
    sacct_fields: list[str] | None = Field(
        None,
        description="the --format field list of sacct exports written with --noheader, in "
        "order (e.g. [JobID, JobName, User, Account, Partition, State, Start, End, Elapsed, "
        "NodeList, AllocTRES, Comment]); such exports carry no header line to say which field "
        "is which",
    )

    @field_validator("sacct_fields")
    @classmethod
    def _sacct_fields(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else field_names(v)


ESTIMATION_SOURCE = (
    "wattprint default: training and fine-tuning at full TDP, as the Llama 2 model card method "
    "(Touvron et al. 2023, GPU-hours x peak power); other phases are assumptions to replace with "
    "your fleet's measured averages"
)


class Estimation(_Strict):
    """Power of allocated GPUs that report no telemetry (scheduler records only)."""

    utilisation_by_phase: dict[str, float] = Field(
        default_factory=lambda: {
            "training": 1.0,
            "fine_tuning": 1.0,
            "inference": 0.6,
            "evaluation": 0.6,
            "development": 0.3,
            "unclassified": 1.0,
        }
    )
    source: str = ESTIMATION_SOURCE

    @field_validator("utilisation_by_phase")
    @classmethod
    def _phases(cls, v: dict[str, float]) -> dict[str, float]:
        for phase, u in v.items():
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)}")
            if not 0.0 <= u <= 1.0:
                raise ValueError(f"utilisation {u} for {phase} is outside 0-1")
        missing = [p for p in PHASES if p not in v]
        if missing:
            raise ValueError(f"no utilisation for {', '.join(missing)}")
        return v


class Instrument(_Strict):
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


class UncertaintyBand(_Strict):
    rel_sd: float = Field(..., ge=0, le=1, description="relative standard deviation, 0-1")
    source: str


class Uncertainty(_Strict):
    """Seeded Monte Carlo over the uncertain inputs; every spread states where it comes from."""

    seed: int = 20261123
    samples: int = Field(2000, ge=100, le=100_000)
    measured_power: UncertaintyBand = UncertaintyBand(
        rel_sd=0.025,
        source="nvidia-smi --help-query-gpu: power.draw accurate to +/-5 W; taken as +/-5 % "
        "(2 sd) to cover sensor bias at low load; applied to energy-counter readings too (same "
        "on-board sensor)",
    )
    estimated_power: UncertaintyBand = UncertaintyBand(
        rel_sd=0.2,
        source="wattprint assumption: power-model and average-power estimates +/-40 % (2 sd)",
    )
    host_power_configured: UncertaintyBand = UncertaintyBand(
        rel_sd=0.25, source="wattprint assumption: configured non-GPU server watts +/-50 % (2 sd)"
    )
    host_power_measured: UncertaintyBand = UncertaintyBand(
        rel_sd=0.03, source="wattprint assumption: BMC node power meters +/-6 % (2 sd)"
    )
    pue: UncertaintyBand = UncertaintyBand(
        rel_sd=0.05, source="wattprint assumption: published PUE +/-10 % (2 sd)"
    )
    grid_hourly: UncertaintyBand = UncertaintyBand(
        rel_sd=0.1, source="wattprint assumption: hourly grid intensity +/-20 % (2 sd)"
    )
    grid_fallback: UncertaintyBand = UncertaintyBand(
        rel_sd=0.3, source="wattprint assumption: monthly-mean or annual fallback +/-60 % (2 sd)"
    )
    embodied: UncertaintyBand = UncertaintyBand(
        rel_sd=0.5, source="wattprint assumption: embodied-carbon estimates +/-100 % (2 sd)"
    )


class Billing(_Strict):
    """How billing lines map to hosts: ResourceName or ResourceId equal to a host name, a `host`
    tag, else this map of ResourceId → host."""

    resource_hosts: dict[str, str] = Field(default_factory=dict)


class Checks(_Strict):
    """Thresholds of the warning checks (conservation and reconciliation always block)."""

    min_measured_share: float = Field(0.8, ge=0, le=1)
    min_grid_hourly_share: float = Field(0.9, ge=0, le=1)
    # docs/checks-coverage.md: 1 % of a month is 7 hours of the whole fleet
    min_inventory_coverage: float = Field(
        0.99, ge=0, le=1, description="measured GPU-hours / GPU-hours the inventory expects"
    )
    # docs/checks-coverage.md: the 5 % materiality level of EU ETS verification (2018/2067 Art. 23)
    rebound_min_change: float = Field(
        0.05, ge=0, description="the fall in Wh/request and the rise in energy a rebound needs"
    )


class Reporting(_Strict):
    title: str = "AI energy and carbon disclosure"
    organisation: str = "Example AI Lab"

    @model_validator(mode="before")
    @classmethod
    def _recipients_moved(cls, data: object) -> object:
        if isinstance(data, dict) and "recipients" in data:
            raise ValueError("recipients: moved to delivery.recipients (with delivery.smtp)")
        return data


# an addr-spec without display name or comments: local@domain, domain labels separated by dots
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEFAULT_SMTP_PORT = {"starttls": 587, "ssl": 465, "none": 25}


def _check_address(v: str) -> str:
    if not _ADDRESS.fullmatch(v):
        raise ValueError(f"{v!r} is not an e-mail address like name@example.org")
    return v


class Smtp(_Strict):
    """The SMTP server that e-mails the report. The login is read from the environment variables
    named here, never from the file."""

    host: str = Field(..., min_length=1)
    port: int = Field(..., ge=1, le=65535, description="default 587 starttls, 465 ssl, 25 none")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    from_addr: str
    user_env: str = "WATTPRINT_SMTP_USER"
    password_env: str = "WATTPRINT_SMTP_PASSWORD"
    timeout_s: float = Field(30.0, gt=0, le=600)

    @model_validator(mode="before")
    @classmethod
    def _defaults_and_no_secrets(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for key in ("user", "username", "password", "pass"):
            if key in data:
                raise ValueError(
                    f"{key}: SMTP credentials are read from the environment variables named by "
                    "user_env and password_env, not from the file"
                )
        if "port" not in data and data.get("security", "starttls") in _DEFAULT_SMTP_PORT:
            data = {**data, "port": _DEFAULT_SMTP_PORT[data.get("security", "starttls")]}
        return data

    @field_validator("from_addr")
    @classmethod
    def _from(cls, v: str) -> str:
        return _check_address(v)

    @field_validator("user_env", "password_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not _ENV_NAME.fullmatch(v):
            raise ValueError(f"{v!r} is not an environment variable name")
        return v


class Delivery(_Strict):
    """Where a month's report goes: e-mailed through `smtp` to `recipients`, and/or copied to
    `publish_dir`/<YYYY-MM>/. Nothing set: no delivery."""

    smtp: Smtp | None = None
    recipients: list[str] = Field(default_factory=list)
    publish_dir: Path | None = Field(None, description="relative to the config file")

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for r in v:
            _check_address(r)
            if r.lower() in seen:
                raise ValueError(f"{r!r} is listed twice")
            seen.add(r.lower())
        return v

    @model_validator(mode="after")
    def _email_complete(self) -> Delivery:
        if self.smtp is not None and not self.recipients:
            raise ValueError("smtp is set but recipients is empty: whom should the report go to?")
        if self.recipients and self.smtp is None:
            raise ValueError("recipients are set but smtp is not: which server sends the e-mail?")
        return self


class Config(_Strict):
    start_date: date = Field(..., description="first day of the daily partitions")
    timezone: str = Field("UTC", description="time zone of files that name no site or host")
    paths: Paths = Paths()
    telemetry: Telemetry = Telemetry()
    scheduler: Scheduler = Scheduler()
    sites: dict[str, Site]
    gpu_models: dict[str, GpuModel]
    server_models: dict[str, ServerModel] = Field(default_factory=dict)
    host_groups: list[HostGroup]
    phase_rules: list[PhaseRule] = Field(default_factory=list)
    estimation: Estimation = Estimation()
    instruments: list[Instrument] = Field(default_factory=list)
    billing: Billing = Billing()
    uncertainty: Uncertainty = Uncertainty()
    checks: Checks = Checks()
    reporting: Reporting = Reporting()
    delivery: Delivery = Field(default_factory=Delivery)
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
            if g.server_model is not None and g.server_model not in self.server_models:
                raise ValueError(
                    f"host_groups[{i}].server_model: unknown server model {g.server_model!r}"
                )
            for h in g.expanded:
                if h in seen:
                    raise ValueError(
                        f"host_groups[{i}].hosts: host {h!r} already in host_groups[{seen[h]}]"
                    )
                seen[h] = i
        for i, inst in enumerate(self.instruments):
            if inst.site not in self.sites:
                raise ValueError(f"instruments[{i}].site: unknown site {inst.site!r}")
        for rid, host in self.billing.resource_hosts.items():
            if host not in seen:
                raise ValueError(f"billing.resource_hosts.{rid}: unknown host {host!r}")
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

    @property
    def publish_path(self) -> Path | None:
        p = self.delivery.publish_dir
        return None if p is None else self.resolve(p)

    def host_rows(self) -> list[dict]:
        """One row per host: the inventory the SQL joins against."""
        rows = []
        for g in self.host_groups:
            m = self.gpu_models[g.gpu_model]
            s = self.sites[g.site]
            srv = self.server_models.get(g.server_model) if g.server_model else None
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
                        "average_power_w": m.average_power_w,
                        "server_model": g.server_model,
                        "host_overhead_w": srv.overhead_w if srv else 0.0,
                        "in_service_from": g.in_service_from,
                        "in_service_to": g.in_service_to,
                    }
                )
        return rows

    def read_context(self) -> ReadContext:
        """What readers need from the config: site time zones, the noheader field lists and each
        host's GPU count."""
        fields = self.telemetry.nvidia_smi_fields
        sacct = self.scheduler.sacct_fields
        return ReadContext(
            timezone_for_path=self.timezone_for_path,
            nvidia_smi_fields=tuple(fields) if fields else None,
            sacct_fields=tuple(sacct) if sacct else None,
            gpus_per_host={h: g.gpus for g in self.host_groups for h in g.expanded},
        )

    @property
    def reader_sha256(self) -> str:
        """A fingerprint of what reading a landing file depends on (time zones, field lists, the
        inventory, GPU and server models, which set the plausible ranges): the manifest keeps
        it, and a change reads every file again, so a corrected inventory re-judges rows it
        quarantined."""
        parts = {
            "timezone": self.timezone,
            "sites": {k: s.timezone for k, s in self.sites.items()},
            "telemetry": self.telemetry.model_dump(mode="json"),
            "scheduler": self.scheduler.model_dump(mode="json"),
            "host_groups": [g.model_dump(mode="json") for g in self.host_groups],
            "gpu_models": {k: m.model_dump(mode="json") for k, m in self.gpu_models.items()},
            # node power's plausible range uses the server models' overhead
            "server_models": {k: m.model_dump(mode="json") for k, m in self.server_models.items()},
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

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
