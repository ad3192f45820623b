"""The period's figures, from the daily summary and the cost lines: totals, phases (own and full
boundary), sites, teams, and the uncertainty of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from pipeline.config import PHASES, Config
from pipeline.disclosure.model import (
    BoundaryFigures,
    PhaseFigures,
    Quantiles,
    SiteFigures,
    TeamFigures,
    Totals,
    UncertaintyFigures,
)
from pipeline.method import period, uncertainty
from pipeline.method.cost import period_cost
from pipeline.warehouse import frame


def number(row: dict, key: str) -> float:
    """A figure of a totals row; 0.0 where it is NULL."""
    return float(row.get(key) or 0.0)


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
        energy_kwh=number(row, "full_facility_energy_kwh"),
        it_energy_kwh=number(row, "full_it_energy_kwh"),
        gpu_hours=number(row, "full_gpu_hours"),
        co2e_kg_location=number(row, "full_co2e_kg_location"),
        co2e_kg_market=number(row, "full_co2e_kg_market"),
        water_l=number(row, "full_water_l"),
        embodied_kg=number(row, "full_embodied_kg"),
        cost_usd=cost,
        share_pct=100 * number(row, "full_facility_energy_kwh") / total_full_kwh
        if total_full_kwh
        else 0.0,
    )


def phases(df: pl.DataFrame, costs: pl.DataFrame, total_kwh: float) -> dict[str, PhaseFigures]:
    by_phase = period.totals(df, ["phase"])
    cost_by_phase = costs.group_by("phase").agg(
        pl.col("cost_usd").sum(), pl.col("full_cost_usd").sum()
    )
    cost_map = {r["phase"]: r for r in cost_by_phase.iter_rows(named=True)}
    out = {}
    for r in by_phase.iter_rows(named=True):
        c = cost_map.get(r["phase"], {})
        out[r["phase"]] = PhaseFigures(
            energy_kwh=number(r, "facility_energy_kwh"),
            it_energy_kwh=number(r, "it_energy_kwh"),
            gpu_hours=number(r, "gpu_hours"),
            co2e_kg_location=number(r, "co2e_kg_location"),
            co2e_kg_market=number(r, "co2e_kg_market"),
            share_pct=100 * number(r, "facility_energy_kwh") / total_kwh if total_kwh else 0.0,
            water_l=number(r, "water_l"),
            embodied_kg=number(r, "embodied_kg"),
            cost_usd=float(c.get("cost_usd") or 0.0),
            full_boundary=_boundary(r, float(c.get("full_cost_usd") or 0.0), total_kwh),
        )
    return out


def sites(df: pl.DataFrame, coverage: pl.DataFrame, cfg: Config) -> list[SiteFigures]:
    by_site = period.totals(df, ["site"]).join(coverage, on="site", how="left")
    out = []
    for r in by_site.iter_rows(named=True):
        s = cfg.sites[r["site"]]
        fac, it = number(r, "facility_energy_kwh"), number(r, "it_energy_kwh")
        out.append(
            SiteFigures(
                site=r["site"],
                grid_zone=s.grid_zone,
                pue=fac / it if it else s.pue,
                mean_gco2e_per_kwh=1000 * number(r, "co2e_kg_location") / fac if fac else None,
                gpu_hours=number(r, "gpu_hours"),
                energy_kwh=fac,
                co2e_kg_location=number(r, "co2e_kg_location"),
                co2e_kg_market=number(r, "co2e_kg_market"),
                cfe_pct=100 * number(r, "cfe_kwh") / fac if fac else None,
                hourly_matched_kwh=number(r, "instrument_kwh"),
                annual_volume_kwh=number(r, "annual_volume_kwh"),
                annual_matched_kwh=number(r, "annual_matched_kwh"),
                water_l=number(r, "water_l"),
            )
        )
    return out


def teams(df: pl.DataFrame) -> list[TeamFigures]:
    jobs = df.filter(pl.col("phase") != "idle")
    by_team = period.totals(jobs, ["team"]).sort("facility_energy_kwh", descending=True)
    return [
        TeamFigures(
            team=r["team"] or "(no team)",
            gpu_hours=number(r, "gpu_hours"),
            energy_kwh=number(r, "facility_energy_kwh"),
            co2e_kg_location=number(r, "co2e_kg_location"),
        )
        for r in by_team.iter_rows(named=True)
    ]


def uncertainty_figures(df: pl.DataFrame, cfg: Config) -> UncertaintyFigures:
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
class PeriodData:
    """A period's daily rows (annual instruments applied, idle spread) and its cost lines."""

    df: pl.DataFrame
    coverage: pl.DataFrame
    cost: pl.DataFrame
    costs: pl.DataFrame
    cost_basis: dict[str, float]
    t: dict


def period_data(con: duckdb.DuckDBPyConnection, start_day: date, end_day: date) -> PeriodData:
    p = {"start_day": start_day, "end_day": end_day}
    daily = frame(con, "select_period_daily_summary", p)
    df, coverage = period.prepare(daily, frame(con, "select_instruments"), start_day, end_day)
    cost = period_cost(con, start_day, end_day)
    costs, cost_basis = cost_frames(cost, df)
    return PeriodData(df, coverage, cost, costs, cost_basis, period.totals(df).row(0, named=True))


def totals(pd: PeriodData) -> Totals:
    t, cost_basis = pd.t, pd.cost_basis
    total_kwh, it_kwh = number(t, "facility_energy_kwh"), number(t, "it_energy_kwh")
    return Totals(
        energy_kwh=total_kwh,
        it_energy_kwh=it_kwh,
        gpu_hours=number(t, "gpu_hours"),
        co2e_kg_location=number(t, "co2e_kg_location"),
        co2e_kg_market=number(t, "co2e_kg_market"),
        water_l=number(t, "water_l"),
        embodied_kg=number(t, "embodied_kg"),
        cost_usd=sum(cost_basis.values()),
        gpu_energy_kwh=number(t, "gpu_energy_kwh"),
        host_energy_kwh=number(t, "host_energy_kwh"),
        facility_overhead_kwh=total_kwh - it_kwh,
        water_onsite_l=number(t, "water_onsite_l"),
        water_offsite_l=number(t, "water_offsite_l"),
        embodied_gpu_kg=number(t, "embodied_gpu_kg"),
        embodied_server_kg=number(t, "embodied_server_kg"),
        instrument_kwh=number(t, "instrument_kwh") + number(t, "annual_instrument_kwh"),
        cfe_pct=100 * number(t, "cfe_kwh") / total_kwh if total_kwh else None,
        cost_attributed_usd=cost_basis["gpu_share"] + cost_basis["tagged"],
        cost_idle_usd=cost_basis["idle"],
        cost_unattributed_usd=cost_basis["unattributed"],
    )
