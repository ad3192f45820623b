"""Declared runs resolved against the config: each raw_declared_usage row with the GPU model's
factors, its power, its site's factors and its GPU-hours, or the reason it cannot be resolved.

A run's figures, in order (docs/declared-usage.md):
- GPU-hours: `gpu_hours` when declared, else gpus × the span;
- power: `average_power_w` when declared, else the estimation path's power model
  (pipeline/method/estimation.py) for the GPU model and the run's phase;
- grid factor: `grid_gco2e_per_kwh` when declared, else the site's annual factor; market-based:
  `market_gco2e_per_kwh`, else the site's residual mix, else the location factor;
- PUE: `pue` when declared, else the site's PUE for the month, else 1.0 (IT energy only,
  flagged "PUE not declared");
- water and embodied carbon: the site's WUE and off-site water factor, the GPU model's embodied
  carbon over its lifetime per GPU-hour (as for the fleet's hosts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeline.config import Config, Site
from pipeline.inventory import HOURS_PER_YEAR
from pipeline.method.estimation import estimated_power_w

PUE_NOT_DECLARED = "PUE not declared: IT energy only (PUE 1.0)"


@dataclass(frozen=True)
class Unresolved:
    """A declared row the config cannot price: it is reported, never dropped."""

    source_path: str
    line: int
    run: str
    reason: str


@dataclass(frozen=True)
class Run:
    """One declared run with everything its days need."""

    row: dict[str, Any]  # the raw_declared_usage row
    gpu_hours: float
    power_w: float
    power_basis: str
    embodied_kg_per_gpu_hour: float
    site: Site | None

    @property
    def span_h(self) -> float:
        return (self.row["end_utc"] - self.row["start_utc"]).total_seconds() / 3600.0

    def pue(self, day: datetime) -> tuple[float, str]:
        """The PUE of the run on `day` and where it comes from."""
        if self.row["pue"] is not None:
            return self.row["pue"], "declared"
        if self.site is not None:
            return self.site.pue_for(day.strftime("%Y-%m")), f"site {self.row['site']}"
        return 1.0, PUE_NOT_DECLARED

    @property
    def gco2e_per_kwh(self) -> float:
        declared = self.row["grid_gco2e_per_kwh"]
        if declared is not None or self.site is None:
            return declared
        return self.site.annual_gco2e_per_kwh

    @property
    def market_gco2e_per_kwh(self) -> float:
        declared = self.row["market_gco2e_per_kwh"]
        if declared is not None:
            return declared
        if self.row["grid_gco2e_per_kwh"] is None and self.site is not None:
            residual = self.site.residual_mix_gco2e_per_kwh
            return residual if residual is not None else self.gco2e_per_kwh
        return self.gco2e_per_kwh

    @property
    def wue_l_per_kwh(self) -> float:
        return self.site.wue_l_per_kwh if self.site is not None else 0.0

    @property
    def offsite_water_l_per_kwh(self) -> float:
        return self.site.offsite_water_l_per_kwh if self.site is not None else 0.0


def resolve(row: dict[str, Any], cfg: Config) -> Run | Unresolved:
    """The run of one raw_declared_usage row, or why the config cannot price it."""
    reasons = []
    gpu = cfg.gpu_model(row["gpu_model"])
    if gpu is None:
        reasons.append(
            f"gpu_model {row['gpu_model']!r} is not a GPU model the config knows (gpu_models "
            "or the GPU library): add it to gpu_models or correct the row"
        )
    site = None
    if row["site"] is not None:
        site = cfg.sites.get(row["site"])
        if site is None:
            known = ", ".join(sorted(cfg.sites)) or "none"
            reasons.append(
                f"site {row['site']!r} is not a site of the config (sites: {known}): correct "
                "the row, add the site, or give grid_gco2e_per_kwh instead"
            )
    if reasons or gpu is None:
        return Unresolved(row["source_path"], row["line"], row["run"], "; ".join(reasons))
    span_h = (row["end_utc"] - row["start_utc"]).total_seconds() / 3600.0
    gpu_hours = row["gpu_hours"] if row["gpu_hours"] is not None else row["gpus"] * span_h
    if row["average_power_w"] is not None:
        power_w, basis = row["average_power_w"], "declared"
    else:
        util = cfg.estimation.utilisation_by_phase[row["phase"]]
        power_w = estimated_power_w(gpu.average_power_w, gpu.idle_w, gpu.tdp_w, util)
        basis = (
            f"{row['gpu_model']} average power"
            if gpu.average_power_w is not None
            else f"{row['gpu_model']} idle + (TDP - idle) x {util:g} ({row['phase']})"
        )
    return Run(
        row=row,
        gpu_hours=gpu_hours,
        power_w=power_w,
        power_basis=basis,
        embodied_kg_per_gpu_hour=gpu.embodied_kg / (gpu.lifetime_years * HOURS_PER_YEAR),
        site=site,
    )
