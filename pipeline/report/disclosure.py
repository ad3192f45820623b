"""Build the Disclosure for a period from the warehouse (no rendering here)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipeline.config import PHASES, Config
from pipeline.method import checks, period, reconcile, uncertainty
from pipeline.method.cost import period_cost
from pipeline.method.coverage import inventory_coverage
from pipeline.method.lifecycle import crossover  # noqa: F401  (re-exported for callers)
from pipeline.report.factors import factors, notes
from pipeline.report.model import (
    HEADLINE_METRICS,
    BoundaryFigures,
    Comparison,
    DailyPhaseEnergy,
    DataQuality,
    Disclosure,
    InputFile,
    Period,
    PhaseFigures,
    Quantiles,
    SiteFigures,
    TeamFigures,
    Totals,
    UncertaintyFigures,
)
from pipeline.report.models_section import ai_act, model_figures, previous_month
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


def _f(row: dict, key: str) -> float:
    return float(row.get(key) or 0.0)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def cost_frames(cost: pl.DataFrame, df: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    """USD cost per (phase, model, team) with a `full_cost_usd` column (idle cost spread by the
    period's GPU-hours), and the USD totals by basis."""
    usd = cost.filter(pl.col("billing_currency") == "USD")
    by_basis = {
        b: float(usd.filter(pl.col("basis") == b).get_column("effective_cost").sum() or 0.0)
        for b in ("gpu_share", "tagged", "idle", "unattributed")
    }
    keyed = (
        usd.filter(pl.col("basis") != "unattributed")
        .with_columns(pl.col("model").fill_null(""), pl.col("team").fill_null(""))
        .group_by("phase", "model", "team")
        .agg(cost_usd=pl.col("effective_cost").sum())
    )
    jobs = (
        df.filter(pl.col("phase") != "idle")
        .group_by("phase", "model", "team")
        .agg(pl.col("gpu_hours").sum())
    )
    all_gpu_h = float(jobs.get_column("gpu_hours").sum() or 0.0)
    idle_usd = by_basis["idle"]
    spread = (
        jobs.join(keyed, on=["phase", "model", "team"], how="full", coalesce=True)
        .with_columns(pl.col("cost_usd").fill_null(0.0), pl.col("gpu_hours").fill_null(0.0))
        .with_columns(
            full_cost_usd=pl.when(pl.col("phase") == "idle")
            .then(0.0 if all_gpu_h else pl.col("cost_usd"))
            .otherwise(
                pl.col("cost_usd")
                + (pl.col("gpu_hours") / all_gpu_h * idle_usd if all_gpu_h else 0.0)
            )
        )
        .sort("phase", "model", "team")
    )
    return spread, by_basis


def _boundary(row: dict, cost: float, total_full_kwh: float) -> BoundaryFigures:
    return BoundaryFigures(
        energy_kwh=_f(row, "full_facility_energy_kwh"),
        it_energy_kwh=_f(row, "full_it_energy_kwh"),
        gpu_hours=_f(row, "full_gpu_hours"),
        co2e_kg_location=_f(row, "full_co2e_kg_location"),
        co2e_kg_market=_f(row, "full_co2e_kg_market"),
        water_l=_f(row, "full_water_l"),
        embodied_kg=_f(row, "full_embodied_kg"),
        cost_usd=cost,
        share_pct=100 * _f(row, "full_facility_energy_kwh") / total_full_kwh
        if total_full_kwh
        else 0.0,
    )


def _phases(df: pl.DataFrame, costs: pl.DataFrame, total_kwh: float) -> dict[str, PhaseFigures]:
    by_phase = period.totals(df, ["phase"])
    cost_by_phase = costs.group_by("phase").agg(
        pl.col("cost_usd").sum(), pl.col("full_cost_usd").sum()
    )
    cost_map = {r["phase"]: r for r in cost_by_phase.iter_rows(named=True)}
    out = {}
    for r in by_phase.iter_rows(named=True):
        c = cost_map.get(r["phase"], {})
        out[r["phase"]] = PhaseFigures(
            energy_kwh=_f(r, "facility_energy_kwh"),
            it_energy_kwh=_f(r, "it_energy_kwh"),
            gpu_hours=_f(r, "gpu_hours"),
            co2e_kg_location=_f(r, "co2e_kg_location"),
            co2e_kg_market=_f(r, "co2e_kg_market"),
            share_pct=100 * _f(r, "facility_energy_kwh") / total_kwh if total_kwh else 0.0,
            water_l=_f(r, "water_l"),
            embodied_kg=_f(r, "embodied_kg"),
            cost_usd=float(c.get("cost_usd") or 0.0),
            full_boundary=_boundary(r, float(c.get("full_cost_usd") or 0.0), total_kwh),
        )
    return out


def _sites(df: pl.DataFrame, coverage: pl.DataFrame, cfg: Config) -> list[SiteFigures]:
    by_site = period.totals(df, ["site"]).join(coverage, on="site", how="left")
    out = []
    for r in by_site.iter_rows(named=True):
        s = cfg.sites[r["site"]]
        fac, it = _f(r, "facility_energy_kwh"), _f(r, "it_energy_kwh")
        out.append(
            SiteFigures(
                site=r["site"],
                grid_zone=s.grid_zone,
                pue=fac / it if it else s.pue,
                mean_gco2e_per_kwh=1000 * _f(r, "co2e_kg_location") / fac if fac else None,
                gpu_hours=_f(r, "gpu_hours"),
                energy_kwh=fac,
                co2e_kg_location=_f(r, "co2e_kg_location"),
                co2e_kg_market=_f(r, "co2e_kg_market"),
                cfe_pct=100 * _f(r, "cfe_kwh") / fac if fac else None,
                hourly_matched_kwh=_f(r, "instrument_kwh"),
                annual_volume_kwh=_f(r, "annual_volume_kwh"),
                annual_matched_kwh=_f(r, "annual_matched_kwh"),
                water_l=_f(r, "water_l"),
            )
        )
    return out


def _teams(df: pl.DataFrame) -> list[TeamFigures]:
    jobs = df.filter(pl.col("phase") != "idle")
    by_team = period.totals(jobs, ["team"]).sort("facility_energy_kwh", descending=True)
    return [
        TeamFigures(
            team=r["team"] or "(no team)",
            gpu_hours=_f(r, "gpu_hours"),
            energy_kwh=_f(r, "facility_energy_kwh"),
            co2e_kg_location=_f(r, "co2e_kg_location"),
        )
        for r in by_team.iter_rows(named=True)
    ]


def _uncertainty(df: pl.DataFrame, cfg: Config) -> UncertaintyFigures:
    groups = {
        "total": pl.lit(True),
        **{f"phase:{p}": pl.col("phase") == p for p in (*PHASES, "idle")},
    }
    for m in sorted(set(df.get_column("model").to_list()) - {""}):
        groups[f"model:{m}:training"] = (pl.col("model") == m) & pl.col("phase").is_in(
            ["training", "fine_tuning"]
        )
        groups[f"model:{m}:inference"] = (pl.col("model") == m) & (pl.col("phase") == "inference")
    comps = period.components(df, groups)
    q = uncertainty.simulate(comps, cfg.uncertainty) if comps.height else comps
    return UncertaintyFigures(
        seed=cfg.uncertainty.seed,
        samples=cfg.uncertainty.samples,
        quantiles=[Quantiles(**r) for r in q.iter_rows(named=True)] if comps.height else [],
    )


@dataclass(frozen=True)
class _PeriodData:
    """A period's daily rows (annual instruments applied, idle spread) and its cost lines."""

    df: pl.DataFrame
    coverage: pl.DataFrame
    cost: pl.DataFrame
    costs: pl.DataFrame
    cost_basis: dict[str, float]
    t: dict


def _period_data(con: duckdb.DuckDBPyConnection, start_day: date, end_day: date) -> _PeriodData:
    p = {"start_day": start_day, "end_day": end_day}
    daily = frame(con, "select_period_daily_summary", p)
    df, coverage = period.prepare(daily, frame(con, "select_instruments"), start_day, end_day)
    cost = period_cost(con, start_day, end_day)
    costs, cost_basis = cost_frames(cost, df)
    return _PeriodData(df, coverage, cost, costs, cost_basis, period.totals(df).row(0, named=True))


def _totals(pd: _PeriodData) -> Totals:
    t, cost_basis = pd.t, pd.cost_basis
    total_kwh, it_kwh = _f(t, "facility_energy_kwh"), _f(t, "it_energy_kwh")
    return Totals(
        energy_kwh=total_kwh,
        it_energy_kwh=it_kwh,
        gpu_hours=_f(t, "gpu_hours"),
        co2e_kg_location=_f(t, "co2e_kg_location"),
        co2e_kg_market=_f(t, "co2e_kg_market"),
        water_l=_f(t, "water_l"),
        embodied_kg=_f(t, "embodied_kg"),
        cost_usd=sum(cost_basis.values()),
        gpu_energy_kwh=_f(t, "gpu_energy_kwh"),
        host_energy_kwh=_f(t, "host_energy_kwh"),
        facility_overhead_kwh=total_kwh - it_kwh,
        water_onsite_l=_f(t, "water_onsite_l"),
        water_offsite_l=_f(t, "water_offsite_l"),
        embodied_gpu_kg=_f(t, "embodied_gpu_kg"),
        embodied_server_kg=_f(t, "embodied_server_kg"),
        instrument_kwh=_f(t, "instrument_kwh") + _f(t, "annual_instrument_kwh"),
        cfe_pct=100 * _f(t, "cfe_kwh") / total_kwh if total_kwh else None,
        cost_attributed_usd=cost_basis["gpu_share"] + cost_basis["tagged"],
        cost_idle_usd=cost_basis["idle"],
        cost_unattributed_usd=cost_basis["unattributed"],
    )


def previous_window(start_day: date, end_day: date) -> tuple[date, date, str]:
    """The period a report compares with: the same days of the previous month for a period that
    starts on the 1st (a whole month, or a month to date), else the same number of days before."""
    days = (end_day - start_day).days
    if start_day.day == 1:
        first, last = previous_month(start_day)
        return first, min(last, first + timedelta(days=days)), "the same days of the previous month"
    return (
        start_day - timedelta(days=days + 1),
        start_day - timedelta(days=1),
        f"the {days + 1} days before",
    )


def comparison(
    con: duckdb.DuckDBPyConnection, start_day: date, end_day: date, current: Totals
) -> Comparison:
    """Headline totals of the previous period and the change in %, or why there are none: a
    previous period the warehouse covers only in part is not compared (the change would mislead)."""
    first, last, basis = previous_window(start_day, end_day)
    prev_period = Period(start=first, end=last, days=(last - first).days + 1)
    lo, _hi = one(con, "select_data_span")
    if lo is None or lo > last:
        return Comparison(
            basis=basis,
            period=prev_period,
            reason=f"no computed data for {first}..{last}: this is the first period",
        )
    if lo > first:
        return Comparison(
            basis=basis,
            period=prev_period,
            reason=f"the previous period {first}..{last} is only partly computed (data from {lo})",
        )
    prev = _totals(_period_data(con, first, last))
    return Comparison(
        basis=basis, period=prev_period, totals=prev, change_pct=headline_change(current, prev)
    )


def headline_change(current: Totals, previous: Totals) -> dict[str, float | None]:
    """(current − previous) / previous × 100 per headline metric; None where previous is 0."""
    out: dict[str, float | None] = {}
    for k in HEADLINE_METRICS:
        before, now = getattr(previous, k), getattr(current, k)
        out[k] = 100 * (now - before) / before if before else None
    return out


def build_disclosure(
    con: duckdb.DuckDBPyConnection, cfg: Config, start_day: date, end_day: date
) -> Disclosure:
    """Everything the report prints for days [start_day, end_day] (both included)."""
    p = {"start_day": start_day, "end_day": end_day}
    window = {
        "start": datetime.combine(start_day, datetime.min.time()),
        "end": datetime.combine(end_day + timedelta(days=1), datetime.min.time()),
    }
    pd = _period_data(con, start_day, end_day)
    df, costs, cost_basis, t = pd.df, pd.costs, pd.cost_basis, pd.t
    totals = _totals(pd)
    total_kwh, gpu_kwh = totals.energy_kwh, totals.gpu_energy_kwh
    other = (
        pd.cost.filter(pl.col("billing_currency") != "USD")
        .group_by("billing_currency")
        .agg(pl.col("effective_cost").sum())
        .sort("billing_currency")
    )
    manifest = frame(con, "select_manifest", {})
    phases = _phases(df, costs, total_kwh)
    sites = _sites(df, pd.coverage, cfg)
    models = model_figures(con, df, costs, p, cfg.checks.rebound_min_change)
    quality = DataQuality(
        measured_share=_f(t, "measured_kwh") / gpu_kwh if gpu_kwh else 0.0,
        quarantined_rows=int(manifest.get_column("rows_quarantined").sum() or 0),
        grid_fallback_hours=int(one(con, "select_grid_fallback_hours", window)[0]),
        unclassified_jobs=int(one(con, "select_unclassified_jobs", p)[0]),
        files=manifest.height,
        scheduler_estimated_share=_f(t, "scheduler_estimated_kwh") / gpu_kwh if gpu_kwh else 0.0,
        host_measured_share=_f(t, "host_measured_kwh") / _f(t, "host_energy_kwh")
        if _f(t, "host_energy_kwh")
        else 0.0,
        grid_hourly_share=1 - _f(t, "fallback_facility_kwh") / total_kwh if total_kwh else 1.0,
        unattributed_cost_usd=cost_basis["unattributed"],
        coverage=inventory_coverage(con, **window, edge_s=cfg.telemetry.max_gap_s),
        grid_conflicts=int(one(con, "select_grid_conflicts", window)[0]),
        gpu_sample_conflicts=int(one(con, "select_gpu_sample_conflicts", window)[0]),
    )
    return Disclosure(
        title=cfg.reporting.title,
        organisation=cfg.reporting.organisation,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        code_version=code_version(),
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
        teams=_teams(df),
        data_quality=quality,
        factors=factors(cfg),
        inputs=[
            InputFile(
                path=r["source_path"], sha256=r["sha256"], rows=r["rows_read"], format=r["format"]
            )
            for r in manifest.iter_rows(named=True)
        ],
        notes=notes(cfg, other),
        uncertainty=_uncertainty(df, cfg),
        checks=checks.period_checks(
            con,
            cfg,
            start_day,
            end_day,
            quality,
            reconcile.disclosed(totals, phases, sites, _f(t, "annual_instrument_kwh")),
        ),
        regulatory=ai_act(df, models, t, cfg),
    )
