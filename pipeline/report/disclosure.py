"""Build the Disclosure for a period from the warehouse (no rendering here)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipeline.config import Config
from pipeline.report.model import (
    Crossover,
    DailyPhaseEnergy,
    DataQuality,
    Disclosure,
    Factor,
    InferenceFigures,
    InputFile,
    ModelFigures,
    Period,
    PhaseFigures,
    SiteFigures,
    TeamFigures,
    Totals,
    TrainingFigures,
)
from pipeline.warehouse import frame, one

TRAILING_DAYS = 7


def code_version() -> str:
    """The git commit, `+dirty` when the tree has changes; else the package version."""
    repo = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return f"wattprint {version('wattprint')}"


def crossover(days: list[date], training_kwh: np.ndarray, inference_kwh: np.ndarray) -> Crossover:
    """When cumulative inference energy first reaches cumulative training energy, or how many days
    at the trailing inference rate until it does (None without training or inference)."""
    cum_t = np.cumsum(training_kwh)
    cum_i = np.cumsum(inference_kwh)
    total_t, total_i = (
        float(cum_t[-1]) if len(days) else 0.0,
        float(cum_i[-1]) if len(days) else 0.0,
    )
    if total_t > 0:
        reached = np.nonzero((cum_i >= cum_t) & (cum_t > 0))[0]
        if reached.size:
            return Crossover(
                reached=True,
                date=days[int(reached[0])],
                lifecycle_training_kwh=total_t,
                lifecycle_inference_kwh=total_i,
            )
    rate = float(np.mean(inference_kwh[-TRAILING_DAYS:])) if len(days) else 0.0
    projected = (total_t - total_i) / rate if total_t > 0 and rate > 0 else None
    return Crossover(
        reached=False,
        projected_days=projected,
        lifecycle_training_kwh=total_t,
        lifecycle_inference_kwh=total_i,
    )


def _sum(df: pl.DataFrame, col: str) -> float:
    return float(df.get_column(col).sum() or 0.0) if df.height else 0.0


def _models(con: duckdb.DuckDBPyConnection, p: dict) -> list[ModelFigures]:
    mp = frame(con, "select_period_model_phases", p)
    serving = frame(con, "select_period_serving", p)
    life = frame(con, "select_model_daily_lifecycle", {"end_day": p["end_day"]}).fill_null(0.0)
    names = sorted(
        set(mp.get_column("model").to_list()) | set(serving.get_column("model").to_list())
    )
    out = []
    for name in names:
        rows = mp.filter(pl.col("model") == name)
        train = rows.filter(pl.col("phase").is_in(["training", "fine_tuning"]))
        inf = rows.filter(pl.col("phase") == "inference")
        srv = serving.filter(pl.col("model") == name)
        requests = int(_sum(srv, "requests"))
        tokens = int(_sum(srv, "output_tokens"))
        inf_kwh = _sum(inf, "energy_kwh")
        lc = life.filter(pl.col("model") == name)
        out.append(
            ModelFigures(
                name=name,
                training=TrainingFigures(
                    gpu_hours=_sum(train, "gpu_hours"),
                    energy_kwh=_sum(train, "energy_kwh"),
                    co2e_kg_location=_sum(train, "co2e_kg_location"),
                    co2e_kg_market=_sum(train, "co2e_kg_market"),
                ),
                inference=InferenceFigures(
                    requests=requests,
                    output_tokens=tokens,
                    gpu_hours=_sum(inf, "gpu_hours"),
                    energy_kwh=inf_kwh,
                    co2e_kg_location=_sum(inf, "co2e_kg_location"),
                    wh_per_request=inf_kwh * 1000 / requests if requests else None,
                    wh_per_1k_output_tokens=inf_kwh * 1e6 / tokens if tokens else None,
                ),
                crossover=crossover(
                    lc.get_column("day").to_list(),
                    lc.get_column("training_kwh").to_numpy(),
                    lc.get_column("inference_kwh").to_numpy(),
                ),
            )
        )
    return out


def _factors(cfg: Config) -> list[Factor]:
    f: list[Factor] = []
    for name, s in cfg.sites.items():
        f.append(Factor(name=f"PUE, {name}", value=f"{s.pue:g}", unit="ratio", source=s.pue_source))
        for month, pue in sorted(s.pue_by_month.items()):
            f.append(
                Factor(
                    name=f"PUE, {name}, {month}",
                    value=f"{pue:g}",
                    unit="ratio",
                    source=s.pue_source,
                )
            )
        f.append(
            Factor(
                name=f"WUE, {name}", value=f"{s.wue_l_per_kwh:g}", unit="L/kWh", source=s.wue_source
            )
        )
        f.append(
            Factor(
                name=f"Annual grid intensity, {s.grid_zone} (fallback)",
                value=f"{s.annual_gco2e_per_kwh:g}",
                unit="gCO2e/kWh",
                source=s.annual_gco2e_source,
            )
        )
        if s.residual_mix_gco2e_per_kwh is not None:
            f.append(
                Factor(
                    name=f"Residual mix, {s.grid_zone}",
                    value=f"{s.residual_mix_gco2e_per_kwh:g}",
                    unit="gCO2e/kWh",
                    source=s.residual_mix_source or "not stated",
                )
            )
    for name, g in cfg.gpu_models.items():
        f.append(
            Factor(
                name=f"{name} TDP / idle power",
                value=f"{g.tdp_w:g} / {g.idle_w:g}",
                unit="W",
                source=g.source,
            )
        )
        f.append(
            Factor(
                name=f"{name} embodied carbon over lifetime",
                value=f"{g.embodied_kg:g} / {g.lifetime_years:g} y",
                unit="kgCO2e",
                source=g.source,
            )
        )
    f.append(
        Factor(
            name="Telemetry gap cap",
            value=f"{cfg.telemetry.max_gap_s:g}",
            unit="s",
            source="wattprint configuration: longer gaps are estimated",
        )
    )
    return f


def build_disclosure(
    con: duckdb.DuckDBPyConnection, cfg: Config, start_day: date, end_day: date
) -> Disclosure:
    """Everything the report prints for days [start_day, end_day] (both included)."""
    p = {"start_day": start_day, "end_day": end_day}
    window = {
        "start": datetime.combine(start_day, datetime.min.time()),
        "end": datetime.combine(end_day + timedelta(days=1), datetime.min.time()),
    }
    phases = frame(con, "select_period_phases", p)
    total_kwh = _sum(phases, "energy_kwh")
    cost = frame(con, "select_period_cost", p)
    usd = cost.filter(pl.col("currency") == "USD")
    other = cost.filter(pl.col("currency") != "USD")
    manifest = frame(con, "select_manifest", {})
    notes = [
        "Energy is GPU board energy from nvidia-smi power samples (trapezoid rule), cut exactly at "
        "hour and job boundaries; facility energy = IT energy × PUE.",
        "Idle is provisioned GPU capacity that no job held; it is reported as its own line.",
        "Inference energy per request uses facility energy of the model's serving jobs.",
    ]
    if any(s.residual_mix_gco2e_per_kwh is None for s in cfg.sites.values()):
        notes.append(
            "Market-based carbon uses the location-based intensity for sites without a "
            "configured residual-mix factor (no contractual instruments configured)."
        )
    if other.height:
        notes.append(
            "Billing lines in currencies other than USD are not included in cost: "
            + ", ".join(
                f"{r['currency'] or 'unknown'} {r['cost']:.2f}" for r in other.iter_rows(named=True)
            )
        )
    return Disclosure(
        title=cfg.reporting.title,
        organisation=cfg.reporting.organisation,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        code_version=code_version(),
        config_sha256=cfg.config_sha256,
        period=Period(start=start_day, end=end_day, days=(end_day - start_day).days + 1),
        totals=Totals(
            energy_kwh=total_kwh,
            it_energy_kwh=_sum(phases, "it_energy_kwh"),
            gpu_hours=_sum(phases, "gpu_hours"),
            co2e_kg_location=_sum(phases, "co2e_kg_location"),
            co2e_kg_market=_sum(phases, "co2e_kg_market"),
            water_l=_sum(phases, "water_l"),
            embodied_kg=_sum(phases, "embodied_kg"),
            cost_usd=_sum(usd, "cost"),
        ),
        phases={
            r["phase"]: PhaseFigures(
                energy_kwh=r["energy_kwh"],
                it_energy_kwh=r["it_energy_kwh"],
                gpu_hours=r["gpu_hours"],
                co2e_kg_location=r["co2e_kg_location"],
                co2e_kg_market=r["co2e_kg_market"],
                share_pct=100 * r["energy_kwh"] / total_kwh if total_kwh else 0.0,
            )
            for r in phases.iter_rows(named=True)
        },
        daily=[
            DailyPhaseEnergy(**r)
            for r in frame(con, "select_period_daily", p).iter_rows(named=True)
        ],
        models=_models(con, p),
        sites=[
            SiteFigures(**{**r, "pue": r["pue"] or cfg.sites[r["site"]].pue})
            for r in frame(con, "select_period_sites", p).iter_rows(named=True)
        ],
        teams=[
            TeamFigures(**{**r, "team": r["team"] or "(no team)"})
            for r in frame(con, "select_period_teams", p).iter_rows(named=True)
        ],
        data_quality=DataQuality(
            measured_share=_sum(phases, "measured_kwh") / _sum(phases, "it_energy_kwh")
            if _sum(phases, "it_energy_kwh")
            else 0.0,
            quarantined_rows=int(_sum(manifest, "rows_quarantined")),
            grid_fallback_hours=int(one(con, "select_grid_fallback_hours", window)[0]),
            unclassified_jobs=int(one(con, "select_unclassified_jobs", p)[0]),
            files=manifest.height,
        ),
        factors=_factors(cfg),
        inputs=[
            InputFile(
                path=r["source_path"], sha256=r["sha256"], rows=r["rows_read"], format=r["format"]
            )
            for r in manifest.iter_rows(named=True)
        ],
        notes=notes,
    )
