"""The whole configuration file: the `Config` model (sections, cross-references, derived paths and
what readers need) and `load_config`, which names the file and key of every problem."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from pipeline.config import gpu_library
from pipeline.config.base import ConfigError, Strict
from pipeline.config.delivery import Delivery, Reporting
from pipeline.config.fleet import GpuModel, HostGroup, Instrument, Paths, ServerModel, Site
from pipeline.config.messages import EXAMPLE, validation_line
from pipeline.config.method import (
    Billing,
    Checks,
    Estimation,
    PhaseRule,
    Prompts,
    Scheduler,
    Telemetry,
    Uncertainty,
)
from pipeline.config.models import ModelInfo, check_lineage
from pipeline.readers.base import ReadContext
from pipeline.user_errors import one_line

if TYPE_CHECKING:
    from pipeline.warehouse.catalog import SharedCatalog


class Config(Strict):
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
    models: dict[str, ModelInfo] = Field(
        default_factory=dict, description="lineage and training compute per model name"
    )
    estimation: Estimation = Estimation()
    instruments: list[Instrument] = Field(default_factory=list)
    billing: Billing = Billing()
    uncertainty: Uncertainty = Uncertainty()
    checks: Checks = Checks()
    prompts: Prompts = Prompts()
    reporting: Reporting = Reporting()
    delivery: Delivery = Field(default_factory=Delivery)
    # set by load_config, not by the file
    base_dir: Path = Path(".")
    config_sha256: str = ""

    @field_validator("gpu_models", mode="before")
    @classmethod
    def _library_keys(cls, models: Any) -> Any:
        """An entry without tdp_w or idle_w is the library GPU its key names; without both and
        a key of no library GPU, an error with the likely name."""
        if not isinstance(models, dict):
            return models
        out = {}
        for key, entry in models.items():
            entry = {} if entry is None else entry
            if isinstance(entry, dict) and entry.get("library") is None:
                given = [entry.get(f) is not None for f in ("tdp_w", "idle_w")]
                # a key of no library GPU with one of the two given: "required key is missing"
                if not all(given) and (not any(given) or gpu_library.lookup(key) is not None):
                    entry = {**entry, "library": key}
            out[key] = entry
        return out

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
        for name, info in self.models.items():
            check_lineage(self.models, name, info)
        for rid, host in self.billing.resource_hosts.items():
            if host not in seen:
                raise ValueError(f"billing.resource_hosts.{rid}: unknown host {host!r}")
        return self

    def gpu_model(self, name: str) -> GpuModel | None:
        """The factors of a GPU model named in the inventory or in declared usage: the config's
        `gpu_models` entry of that key (case, spaces and dashes aside), else the one entry for
        the same library GPU, else the library's GPU of that name or alias; None if none."""
        if name in self.gpu_models:
            return self.gpu_models[name]
        key = gpu_library.normalise(name)
        for k, m in self.gpu_models.items():
            if gpu_library.normalise(k) == key:
                return m
        gpu = gpu_library.lookup(name)
        if gpu is None:
            return None
        same = [
            m
            for k, m in self.gpu_models.items()
            if m.library == gpu.name or gpu_library.lookup(k) is gpu
        ]
        return same[0] if len(same) == 1 else GpuModel(library=gpu.name)

    def lineage(self, model: str) -> list[str]:
        """The model and the bases it was fine-tuned from, nearest first."""
        chain = [model]
        while (info := self.models.get(chain[-1])) is not None and info.base_model:
            chain.append(info.base_model)
        return chain

    def resolve(self, p: Path) -> Path:
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def landing_dir(self) -> Path:
        return self.resolve(self.paths.landing)

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.paths.warehouse)

    @property
    def lake_root(self) -> str | None:
        """Where the telemetry lake is: `paths.lake` (a folder, relative to the config, or
        s3://...); None: the folder beside the warehouse file (`wattprint.lake`), wherever the
        file is moved."""
        lake = self.paths.lake
        if lake is None:
            return None
        return lake if lake.startswith("s3://") else str(self.resolve(Path(lake)))

    def shared_catalog(self) -> SharedCatalog | None:
        """The shared catalog of derived tables `paths.catalog` names, or None."""
        from pipeline.warehouse.catalog import SharedCatalog
        from pipeline.warehouse.lake import root_for

        c = self.paths.catalog
        if c is None:
            return None
        uri = c.uri
        if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
            uri = "sqlite:///" + str(self.resolve(Path(uri.removeprefix("sqlite:///"))))
        lake = self.lake_root or str(root_for(self.warehouse_path))
        location = c.location or f"{lake}/catalog"
        if "://" not in location:
            location = str(self.resolve(Path(location)))
        return SharedCatalog(uri, location, c.namespace)

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
            "gpu_models": {  # as before the library: a new field is no reason to read again
                k: m.model_dump(mode="json", exclude={"library", "memory_gb"})
                for k, m in self.gpu_models.items()
            },
            # node power's plausible range uses the server models' overhead
            "server_models": {k: m.model_dump(mode="json") for k, m in self.server_models.items()},
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def timezone_for_path(self, path: Path) -> str:
        """The site time zone of a file kept under a folder named for a host or site. Inside the
        landing folder only the folders below it count: where the landing folder itself lives
        (/srv/stockholm/landing) says nothing of a file's site."""
        hosts = {h: g.site for g in self.host_groups for h in g.expanded}
        try:
            path = Path(path).resolve().relative_to(self.landing_dir.resolve())
        except ValueError:
            pass  # a file outside the landing folder (validate): all its folders count
        for part in reversed(path.parts[:-1]):
            if part in hosts:
                return self.sites[hosts[part]].timezone
            if part in self.sites:
                return self.sites[part].timezone
        return self.timezone


def load_config(path: str | Path) -> Config:
    """The config file, validated; ConfigError names the file and key of a mistake. The files and
    folders it names are checked by `check_references` (pipeline/config/references.py), which
    every command runs when it loads the config; the Dagster definitions load a config without
    it, so that the UI opens on a config whose files are not there yet (the example's)."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as e:
        raise ConfigError(
            f"{path}: cannot read configuration ({e.strerror}): expected a readable wattprint "
            f"config file; give its path with --config (an example: {EXAMPLE})"
        ) from e
    try:
        data = yaml.safe_load(raw_bytes) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {one_line(str(e))}; correct the file") from e
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys at the top level (start_date: ..., sites: ...); "
            f"see {EXAMPLE}"
        )
    for key in ("base_dir", "config_sha256"):
        if key in data:
            raise ConfigError(f"{path}: {key}: is set by wattprint, not by the file; remove it")
    data["base_dir"] = path.resolve().parent
    data["config_sha256"] = hashlib.sha256(raw_bytes).hexdigest()
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(validation_line(path, Config, e)) from e
