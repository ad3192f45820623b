"""Declared usage through the estimation path, per run × UTC day (docs/declared-usage.md).

A declared run (pipeline/readers/declared/) is priced as the scheduler estimate prices an
allocation without telemetry: GPU-hours × power, × PUE, × the grid factor; no host rows, no
telemetry. Its GPU-hours are spread evenly over its span, a partial first or last day pro rata
to the time it covers. Every row is labelled `basis = 'declared'`; declared usage is kept out of
the fleet's totals (they reconcile with telemetry and the bill) and enters a model's lifecycle.

    declared = declared_usage(con, cfg)   # .daily, .runs, .unresolved
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.method.declared_runs import Run, Unresolved, resolve
from pipeline.warehouse import frame

BASIS = "declared"
DAILY_SCHEMA = pl.Schema(
    {
        "run": pl.String,
        "model": pl.String,
        "phase": pl.String,
        "day": pl.Date,
        "gpu_model": pl.String,
        "gpus": pl.Int64,
        "gpu_hours": pl.Float64,
        "power_w": pl.Float64,
        "it_energy_kwh": pl.Float64,
        "pue": pl.Float64,
        "facility_energy_kwh": pl.Float64,
        "gco2e_per_kwh": pl.Float64,
        "co2e_kg_location": pl.Float64,
        "co2e_kg_market": pl.Float64,
        "water_l": pl.Float64,
        "embodied_kg": pl.Float64,
        "cost_usd": pl.Float64,
        "requests": pl.Float64,
        "pue_basis": pl.String,
        "power_basis": pl.String,
        "source": pl.String,
        "source_path": pl.String,
        "line": pl.Int64,
        "basis": pl.String,
    }
)
# what a run's totals take from its raw row
SPAN_SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "flops": pl.Float64,
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
    }
)
# a run's figures that add up over its days
SUMMED = (
    "gpu_hours",
    "it_energy_kwh",
    "facility_energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
    "requests",
)


@dataclass
class Declared:
    daily: pl.DataFrame  # run × UTC day (DAILY_SCHEMA)
    runs: pl.DataFrame  # one row per run: its totals over its whole span
    unresolved: list[Unresolved] = field(default_factory=list)


def _day_shares(start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    """(UTC day, share of the span in it) for each day the span [start, end) touches."""
    total = (end - start).total_seconds()
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while day < end:
        nxt = day + timedelta(days=1)
        out.append((day, (min(end, nxt) - max(start, day)).total_seconds() / total))
        day = nxt
    return out


def _run_days(run: Run) -> list[dict]:
    r = run.row
    rows = []
    for day, share in _day_shares(r["start_utc"], r["end_utc"]):
        gpu_hours = run.gpu_hours * share
        it_kwh = gpu_hours * run.power_w / 1000.0
        pue, pue_basis = run.pue(day)
        fac_kwh = it_kwh * pue
        rows.append(
            {
                "run": r["run"],
                "model": r["model"],
                "phase": r["phase"],
                "day": day.date(),
                "gpu_model": r["gpu_model"],
                "gpus": r["gpus"],
                "gpu_hours": gpu_hours,
                "power_w": run.power_w,
                "it_energy_kwh": it_kwh,
                "pue": pue,
                "facility_energy_kwh": fac_kwh,
                "gco2e_per_kwh": run.gco2e_per_kwh,
                "co2e_kg_location": fac_kwh * run.gco2e_per_kwh / 1000.0,
                "co2e_kg_market": fac_kwh * run.market_gco2e_per_kwh / 1000.0,
                "water_l": it_kwh * run.wue_l_per_kwh + fac_kwh * run.offsite_water_l_per_kwh,
                "embodied_kg": gpu_hours * run.embodied_kg_per_gpu_hour,
                "cost_usd": (r["cost_usd"] or 0.0) * share,
                "requests": (r["requests"] or 0) * share,
                "pue_basis": pue_basis,
                "power_basis": run.power_basis,
                "source": r["source"],
                "source_path": r["source_path"],
                "line": r["line"],
                "basis": BASIS,
            }
        )
    return rows


def declared_usage(con: duckdb.DuckDBPyConnection, cfg: Config) -> Declared:
    """Every declared run of the warehouse, per UTC day and in total, and the rows the config
    cannot resolve (an unknown GPU model or site)."""
    raw = frame(con, "select_declared_usage")
    rows: list[dict] = []
    unresolved: list[Unresolved] = []
    flops: list[dict] = []
    for row in raw.iter_rows(named=True):
        run = resolve(row, cfg)
        if isinstance(run, Unresolved):
            unresolved.append(run)
            continue
        rows.extend(_run_days(run))
        flops.append({k: row[k] for k in SPAN_SCHEMA})
    daily = pl.DataFrame(rows, schema=DAILY_SCHEMA)
    return Declared(daily, run_totals(daily, pl.DataFrame(flops, schema=SPAN_SCHEMA)), unresolved)


def declared_daily(con: duckdb.DuckDBPyConnection, cfg: Config) -> pl.DataFrame:
    """Declared usage per run × UTC day (DAILY_SCHEMA), labelled `basis = 'declared'`."""
    return declared_usage(con, cfg).daily


def run_totals(daily: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """One row per run (a file's line): its days summed, its span and declared FLOPs."""
    keys = ["source_path", "line"]
    firsts = [
        "run",
        "model",
        "phase",
        "gpu_model",
        "gpus",
        "power_w",
        "power_basis",
        "source",
        "basis",
    ]
    totals = (
        daily.group_by(keys, maintain_order=True)
        .agg(*(pl.col(c).first() for c in firsts), *(pl.col(c).sum() for c in SUMMED))
        .join(spans, on=keys, how="left")
    )
    return totals.with_columns(pl.col("requests").round().cast(pl.Int64))


def period_share(daily: pl.DataFrame, start_day, end_day) -> pl.DataFrame:
    """Per run, its days inside [start_day, end_day] summed (the runs with days there)."""
    inside = daily.filter(pl.col("day").is_between(start_day, end_day))
    return inside.group_by("source_path", "line", maintain_order=True).agg(
        *(pl.col(c).sum() for c in SUMMED)
    )
