"""Build the Disclosure for a period from the warehouse: every section, its checks and its
provenance (no rendering here)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.disclosure import figures
from pipeline.disclosure.annex import ai_act
from pipeline.disclosure.checks import period_checks
from pipeline.disclosure.comparison import comparison
from pipeline.disclosure.declared import declared_section
from pipeline.disclosure.factors import factors, notes
from pipeline.disclosure.figures import number
from pipeline.disclosure.model import DailyPhaseEnergy, DataQuality, Disclosure, InputFile, Period
from pipeline.disclosure.models_section import model_figures
from pipeline.lifecycle.build import statements
from pipeline.method import reconcile
from pipeline.method.coverage import inventory_coverage
from pipeline.method.declared import declared_usage
from pipeline.warehouse import frame, one


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


def build_disclosure(
    con: duckdb.DuckDBPyConnection, cfg: Config, start_day: date, end_day: date
) -> Disclosure:
    """Everything the report prints for days [start_day, end_day] (both included)."""
    p = {"start_day": start_day, "end_day": end_day}
    window = {
        "start": datetime.combine(start_day, datetime.min.time()),
        "end": datetime.combine(end_day + timedelta(days=1), datetime.min.time()),
    }
    pd = figures.period_data(con, start_day, end_day)
    df, costs, cost_basis, t = pd.df, pd.costs, pd.cost_basis, pd.t
    totals = figures.totals(pd)
    total_kwh, gpu_kwh = totals.energy_kwh, totals.gpu_energy_kwh
    other = (
        pd.cost.filter(pl.col("billing_currency") != "USD")
        .group_by("billing_currency")
        .agg(pl.col("effective_cost").sum())
        .sort("billing_currency")
    )
    manifest = frame(con, "select_manifest", {})
    phases = figures.phases(df, costs, total_kwh)
    sites = figures.sites(df, pd.coverage, cfg)
    declared = declared_usage(con, cfg)
    declared_here = declared_section(declared, start_day, end_day)
    models = model_figures(
        con,
        df,
        costs,
        p,
        cfg.checks.rebound_min_change,
        cfg.prompts.input_token_weight,
        declared.daily,
    )
    quality = DataQuality(
        measured_share=number(t, "measured_kwh") / gpu_kwh if gpu_kwh else 0.0,
        quarantined_rows=int(manifest.get_column("rows_quarantined").sum() or 0),
        grid_fallback_hours=int(one(con, "select_grid_fallback_hours", window)[0]),
        unclassified_jobs=int(one(con, "select_unclassified_jobs", p)[0]),
        files=manifest.height,
        scheduler_estimated_share=number(t, "scheduler_estimated_kwh") / gpu_kwh
        if gpu_kwh
        else 0.0,
        host_measured_share=number(t, "host_measured_kwh") / number(t, "host_energy_kwh")
        if number(t, "host_energy_kwh")
        else 0.0,
        grid_hourly_share=1 - number(t, "fallback_facility_kwh") / total_kwh if total_kwh else 1.0,
        unattributed_cost_usd=cost_basis["unattributed"],
        coverage=inventory_coverage(con, **window, edge_s=cfg.telemetry.max_gap_s),
        grid_conflicts=int(one(con, "select_grid_conflicts", window)[0]),
        gpu_sample_conflicts=int(one(con, "select_gpu_sample_conflicts", window)[0]),
        declared_unresolved_rows=len(declared.unresolved),
    )
    version = code_version()
    return Disclosure(
        title=cfg.reporting.title,
        organisation=cfg.reporting.organisation,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        code_version=version,
        config_sha256=cfg.config_sha256,
        period=Period(start=start_day, end=end_day, days=(end_day - start_day).days + 1),
        totals=totals,
        previous=comparison(con, start_day, end_day, totals),
        phases=phases,
        daily=[
            DailyPhaseEnergy(**r)
            for r in frame(con, "select_period_daily", p).iter_rows(named=True)
        ],
        models=models,
        sites=sites,
        teams=figures.teams(df),
        data_quality=quality,
        factors=factors(cfg),
        inputs=[
            InputFile(
                path=r["source_path"],
                sha256=r["sha256"],
                rows=r["rows_read"],
                format=r["format"],
                size_bytes=r["size_bytes"],
            )
            for r in manifest.iter_rows(named=True)
        ],
        notes=notes(cfg, other),
        uncertainty=figures.uncertainty_figures(df, cfg),
        checks=period_checks(
            con,
            cfg,
            start_day,
            end_day,
            quality,
            reconcile.disclosed(totals, phases, sites, number(t, "annual_instrument_kwh")),
            declared_only=df.height == 0 and bool(declared_here.runs),
        ),
        regulatory=ai_act(df, models, t, cfg, declared.runs),
        declared=declared_here,
        lifecycle=statements(con, cfg, [m.name for m in models], end_day, version, declared.daily),
    )
