"""Period-level method steps over the daily summary, run when a report period is known.

* Annual contractual instruments: a period gets the share of an instrument's volume that its days
  are of the instrument's term, set against the site's consumption the hourly-matched instruments
  left uncovered (GHG Protocol Scope 2 market-based, annual matching).
* Full boundary: idle capacity of a site-day is spread over the jobs that ran there that day, in
  proportion to their GPU-hours (as Google's per-prompt disclosure counts idle machines). The
  own-boundary figures keep idle as its own line; `full_<metric>` columns hold the spread view.
"""

from __future__ import annotations

from datetime import date

import polars as pl

# additive columns of daily_summary (sums over any grouping are meaningful)
ADDITIVE = (
    "gpu_hours",
    "gpu_energy_kwh",
    "host_energy_kwh",
    "host_measured_kwh",
    "it_energy_kwh",
    "measured_kwh",
    "scheduler_estimated_kwh",
    "facility_energy_kwh",
    "fallback_facility_kwh",
    "co2e_kg_location",
    "co2e_kg_location_fallback",
    "instrument_kwh",
    "annual_instrument_kwh",
    "co2e_kg_market",
    "co2e_kg_market_residual",
    "co2e_kg_market_fallback",
    "cfe_kwh",
    "water_onsite_l",
    "water_offsite_l",
    "water_l",
    "embodied_gpu_kg",
    "embodied_server_kg",
    "embodied_kg",
)
# what the full-boundary view spreads from idle onto jobs
SPREAD = (
    "gpu_hours",
    "gpu_energy_kwh",
    "host_energy_kwh",
    "it_energy_kwh",
    "facility_energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
)
SITE_DAY = ["day", "site"]


def annual_volumes(instruments: pl.DataFrame, start_day: date, end_day: date) -> pl.DataFrame:
    """Per site: kWh of annual (unprofiled) instruments falling in [start_day, end_day], prorated
    by days of the term, and their volume-weighted emission factor (gCO2e/kWh)."""
    annual = instruments.filter(~pl.col("hourly"))
    overlap = (
        pl.min_horizontal(pl.col("end_day"), pl.lit(end_day))
        - pl.max_horizontal(pl.col("start_day"), pl.lit(start_day))
    ).dt.total_days() + 1
    term = (pl.col("end_day") - pl.col("start_day")).dt.total_days() + 1
    kwh = pl.col("mwh") * 1000.0 * pl.max_horizontal(overlap, pl.lit(0)) / term
    return (
        annual.with_columns(kwh=kwh)
        .group_by("site")
        .agg(
            annual_volume_kwh=pl.col("kwh").sum(),
            annual_gco2e_per_kwh=(pl.col("kwh") * pl.col("gco2e_per_kwh")).sum()
            / pl.col("kwh").sum(),
        )
        .with_columns(pl.col("annual_gco2e_per_kwh").fill_nan(0.0))
        .sort("site")
    )


def apply_annual_instruments(
    daily: pl.DataFrame, volumes: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Market-based carbon after annual instruments, and per site what they covered.

    A site's uncovered consumption U (facility energy the hourly instruments left) takes
    min(V, U) of the period's volume V; every row's uncovered part is covered in the same
    proportion k = min(V, U) / U, its residual carbon replaced by the instrument's factor."""
    uncovered = pl.col("facility_energy_kwh") - pl.col("instrument_kwh")
    sites = (
        daily.group_by("site")
        .agg(uncovered_kwh=uncovered.sum(), hourly_matched_kwh=pl.col("instrument_kwh").sum())
        .join(volumes, on="site", how="left")
        .with_columns(
            pl.col("annual_volume_kwh").fill_null(0.0),
            pl.col("annual_gco2e_per_kwh").fill_null(0.0),
        )
        .with_columns(
            annual_matched_kwh=pl.min_horizontal("annual_volume_kwh", "uncovered_kwh"),
        )
        .with_columns(
            k=pl.when(pl.col("uncovered_kwh") > 0)
            .then(pl.col("annual_matched_kwh") / pl.col("uncovered_kwh"))
            .otherwise(0.0),
            annual_surplus_kwh=pl.col("annual_volume_kwh") - pl.col("annual_matched_kwh"),
        )
        .sort("site")
    )
    k = pl.col("k")
    out = (
        daily.join(sites.select("site", "k", "annual_gco2e_per_kwh"), on="site", how="left")
        .with_columns(annual_instrument_kwh=k * uncovered)
        .with_columns(
            co2e_kg_market=pl.col("co2e_kg_market")
            - k * pl.col("co2e_kg_market_residual")
            + pl.col("annual_instrument_kwh") * pl.col("annual_gco2e_per_kwh") / 1000.0,
            co2e_kg_market_fallback=pl.col("co2e_kg_market_fallback") * (1.0 - k),
            co2e_kg_market_residual=pl.col("co2e_kg_market_residual") * (1.0 - k),
        )
        .drop("k", "annual_gco2e_per_kwh")
    )
    return out, sites.drop("k")


def spread_idle(daily: pl.DataFrame) -> pl.DataFrame:
    """Add `full_<metric>` columns: a job row's own figure plus its GPU-hour share of its
    site-day's idle; idle rows keep only what could not be spread (site-days with no job).
    Per metric, the full column sums to the own column."""
    is_idle = pl.col("phase") == "idle"
    idle = (
        daily.filter(is_idle)
        .group_by(SITE_DAY)
        .agg([pl.col(m).sum().alias(f"idle_{m}") for m in SPREAD])
    )
    alloc = daily.filter(~is_idle).group_by(SITE_DAY).agg(alloc_gpu_hours=pl.col("gpu_hours").sum())
    joined = daily.join(idle, on=SITE_DAY, how="left").join(alloc, on=SITE_DAY, how="left")
    has_jobs = pl.col("alloc_gpu_hours").fill_null(0.0) > 0
    share = pl.col("gpu_hours") / pl.col("alloc_gpu_hours")
    return joined.with_columns(
        [
            pl.when(is_idle)
            .then(pl.when(has_jobs).then(0.0).otherwise(pl.col(m)))
            .otherwise(pl.col(m) + share * pl.col(f"idle_{m}").fill_null(0.0))
            .alias(f"full_{m}")
            for m in SPREAD
        ]
    ).drop([f"idle_{m}" for m in SPREAD] + ["alloc_gpu_hours"])


def prepare(
    daily: pl.DataFrame, instruments: pl.DataFrame, start_day: date, end_day: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The period's daily rows with annual instruments applied and the full-boundary columns,
    plus the per-site instrument coverage."""
    with_market, coverage = apply_annual_instruments(
        daily, annual_volumes(instruments, start_day, end_day)
    )
    return spread_idle(with_market), coverage


def totals(df: pl.DataFrame, by: list[str] | None = None) -> pl.DataFrame:
    """Sums of every additive and full-boundary column, overall or per `by` group."""
    cols = [c for c in df.columns if c in ADDITIVE or c.startswith("full_")]
    aggs = [pl.col(c).sum() for c in cols]
    if not by:
        return df.select(aggs) if df.height else pl.DataFrame({c: [0.0] for c in cols})
    return df.group_by(by).agg(aggs).sort(by)


def components(df: pl.DataFrame, groups: dict[str, pl.Expr]) -> pl.DataFrame:
    """The Monte Carlo's input (see pipeline/method/uncertainty.py): per group, site and grid
    basis, the IT energy by how it was known, the PUE, the effective intensities and embodied.
    A site's energy priced with fallback intensities is its own row, so it gets the wider band."""
    sums = [
        "gpu_energy_kwh",
        "measured_kwh",
        "host_energy_kwh",
        "host_measured_kwh",
        "it_energy_kwh",
        "facility_energy_kwh",
        "fallback_facility_kwh",
        "co2e_kg_location",
        "co2e_kg_location_fallback",
        "co2e_kg_market",
        "co2e_kg_market_fallback",
        "embodied_kg",
    ]
    parts = []
    for name, cond in groups.items():
        g = df.filter(cond).group_by("site").agg([pl.col(c).sum() for c in sums])
        if g.height:
            parts.append(g.with_columns(group=pl.lit(name)))
    if not parts:
        return pl.DataFrame(schema=_COMPONENT_SCHEMA)
    g = pl.concat(parts).filter(pl.col("it_energy_kwh") > 0)
    fac, fb = pl.col("facility_energy_kwh"), pl.col("fallback_facility_kwh")
    energy = {
        "gpu_measured_kwh": pl.col("measured_kwh"),
        "gpu_estimated_kwh": pl.col("gpu_energy_kwh") - pl.col("measured_kwh"),
        "host_measured_kwh": pl.col("host_measured_kwh"),
        "host_configured_kwh": pl.col("host_energy_kwh") - pl.col("host_measured_kwh"),
    }

    def part(
        basis: str, frac: pl.Expr, loc: pl.Expr, mkt: pl.Expr, fac_part: pl.Expr
    ) -> pl.DataFrame:
        return g.select(
            "group",
            "site",
            grid_basis=pl.lit(basis),
            **{k: v * frac for k, v in energy.items()},
            pue=fac / pl.col("it_energy_kwh"),
            gco2e_per_kwh_location=pl.when(fac_part > 0).then(1000 * loc / fac_part).otherwise(0.0),
            gco2e_per_kwh_market=pl.when(fac_part > 0).then(1000 * mkt / fac_part).otherwise(0.0),
            embodied_kg=pl.col("embodied_kg") if basis == "hourly" else pl.lit(0.0),
        )

    hourly = part(
        "hourly",
        1 - fb / fac,
        pl.col("co2e_kg_location") - pl.col("co2e_kg_location_fallback"),
        pl.col("co2e_kg_market") - pl.col("co2e_kg_market_fallback"),
        fac - fb,
    )
    fallback = part(
        "fallback",
        fb / fac,
        pl.col("co2e_kg_location_fallback"),
        pl.col("co2e_kg_market_fallback"),
        fb,
    ).filter(
        pl.col("gpu_measured_kwh")
        + pl.col("gpu_estimated_kwh")
        + pl.col("host_measured_kwh")
        + pl.col("host_configured_kwh")
        > 0
    )
    return pl.concat([hourly, fallback]).sort("group", "site", "grid_basis")


_COMPONENT_SCHEMA = {
    "group": pl.String,
    "site": pl.String,
    "grid_basis": pl.String,
    "gpu_measured_kwh": pl.Float64,
    "gpu_estimated_kwh": pl.Float64,
    "host_measured_kwh": pl.Float64,
    "host_configured_kwh": pl.Float64,
    "pue": pl.Float64,
    "gco2e_per_kwh_location": pl.Float64,
    "gco2e_per_kwh_market": pl.Float64,
    "embodied_kg": pl.Float64,
}
