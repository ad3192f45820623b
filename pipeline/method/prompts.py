"""Per-prompt figures: each serving model-hour's full-boundary footprint apportioned to the
requests logged in that hour for that model, by token-weighted work (docs/per-prompt.md).

1. `model_hours`: the report's full boundary at hourly grain. A day × site × model's own
   inference figures (GPU, host, facility energy, carbon location and market, water: the period's
   daily rows, annual instruments applied) are spread over its hours in proportion to the hourly
   footprint; its idle share (`full_<metric>` − own, pipeline/method/period.py `spread_idle`) over
   the same hours by GPU-hours, as the daily spread itself is by GPU-hours. Summed over the
   hours, each figure is the report's full-boundary inference figure of that day, site and model.
2. `apportion`: a request's weight is `input_tokens × w_in + output_tokens`; its share of its
   model-hour is its weight over the hour's total (equal shares when every weight is 0). A forward
   pass costs ≈ 2 N FLOP per token for prompt and generated tokens alike (Kaplan et al. 2020,
   "Scaling Laws for Neural Language Models", §2.1), so w_in = 1 by default; prompt tokens are
   processed in parallel (prefill) and are cheaper per token in practice, so w_in may be lowered.
   Cost: the model's full-boundary inference cost spread over its hours by full-boundary energy.
3. `stat`, `median_request`: per model, mean and nearest-rank P10 / median / P90 (each one a
   request that was served, never an interpolation), and the median request's boundary parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

KEY = ["day", "site", "model"]
HOUR = ["hour_utc", "model"]
# own-boundary metric → the full-boundary column period.spread_idle adds
OWN_FULL = {
    "gpu_energy_kwh": "full_gpu_energy_kwh",
    "host_energy_kwh": "full_host_energy_kwh",
    "it_energy_kwh": "full_it_energy_kwh",
    "facility_energy_kwh": "full_facility_energy_kwh",
    "co2e_kg_location": "full_co2e_kg_location",
    "co2e_kg_market": "full_co2e_kg_market",
    "water_l": "full_water_l",
}
# per-request figures: name → (model-hour column, factor to the request's unit)
PER_REQUEST = {
    "wh": ("energy_kwh", 1000.0),
    "gco2e_location": ("co2e_kg_location", 1000.0),
    "gco2e_market": ("co2e_kg_market", 1000.0),
    "water_ml": ("water_l", 1000.0),
    "cost_usd": ("cost_usd", 1.0),
    "accelerator_wh": ("accelerator_kwh", 1000.0),
    "host_wh": ("host_kwh", 1000.0),
    "idle_wh": ("idle_kwh", 1000.0),
    "facility_overhead_wh": ("overhead_kwh", 1000.0),
}
PARTS = ("accelerator_wh", "host_wh", "idle_wh", "facility_overhead_wh")
STATS = ("wh", "gco2e_location", "gco2e_market", "water_ml", "cost_usd")


def _share(col: str, over: list[str]) -> pl.Expr:
    total = pl.col(col).sum().over(over)
    return pl.when(total > 0).then(pl.col(col) / total)


def model_hours(hourly: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Per hour × model: full-boundary `energy_kwh` split into `accelerator_kwh`, `host_kwh`,
    `idle_kwh` and `overhead_kwh` (facility overhead from the PUE, idle's included), and
    full-boundary `co2e_kg_location`, `co2e_kg_market`, `water_l`.

    `hourly`: own-boundary inference rows (hour_utc, day, site, model, gpu_hours and the
    OWN_FULL keys); `daily`: the period's daily rows after `period.prepare`."""
    days = (
        daily.filter(pl.col("phase") == "inference")
        .group_by(KEY)
        .agg([pl.col(c).sum().alias(f"day_{c}") for c in (*OWN_FULL, *OWN_FULL.values())])
    )
    by_gpu_hours = pl.coalesce(_share("gpu_hours", KEY), 1.0 / pl.len().over(KEY))
    h = hourly.join(days, on=KEY, how="inner")
    own = {m: pl.col(f"day_{m}") * pl.coalesce(_share(m, KEY), by_gpu_hours) for m in OWN_FULL}
    idle = {
        m: (pl.col(f"day_{f}") - pl.col(f"day_{m}")) * by_gpu_hours for m, f in OWN_FULL.items()
    }
    own_it, idle_it = own["it_energy_kwh"], idle["it_energy_kwh"]
    own_fac, idle_fac = own["facility_energy_kwh"], idle["facility_energy_kwh"]
    return (
        h.select(
            *HOUR,
            accelerator_kwh=own["gpu_energy_kwh"],
            host_kwh=own["host_energy_kwh"],
            idle_kwh=idle_it,
            overhead_kwh=(own_fac - own_it) + (idle_fac - idle_it),
            energy_kwh=own_fac + idle_fac,
            co2e_kg_location=own["co2e_kg_location"] + idle["co2e_kg_location"],
            co2e_kg_market=own["co2e_kg_market"] + idle["co2e_kg_market"],
            water_l=own["water_l"] + idle["water_l"],
        )
        .group_by(HOUR)
        .agg(pl.all().sum())
        .sort(HOUR)
    )


def with_cost(hours: pl.DataFrame, cost_usd: dict[str, float]) -> pl.DataFrame:
    """Each model's full-boundary inference cost (USD) spread over its hours by energy."""
    cost = pl.col("model").replace_strict(cost_usd, default=0.0, return_dtype=pl.Float64)
    return hours.with_columns(cost_usd=(cost * _share("energy_kwh", ["model"])).fill_null(0.0))


@dataclass(frozen=True)
class Apportioned:
    requests: pl.DataFrame  # one row per request in an hour with serving energy: PER_REQUEST keys
    requests_without_energy: pl.DataFrame  # per model: `requests` logged in hours without energy
    hours_without_requests: pl.DataFrame  # per model: `hours`, `energy_kwh` with no request


def apportion(hours: pl.DataFrame, requests: pl.DataFrame, w_in: float) -> Apportioned:
    """Each request's share of its model-hour (`hours` from `model_hours` + `with_cost`);
    `requests`: hour_utc, model, input_tokens, output_tokens (and energy_wh)."""
    served = hours.filter(pl.col("energy_kwh") > 0)
    weight = pl.col("input_tokens") * w_in + pl.col("output_tokens")
    shared = (
        requests.join(served, on=HOUR, how="inner")
        .with_columns(weight=weight.cast(pl.Float64))
        .with_columns(share=pl.coalesce(_share("weight", HOUR), 1.0 / pl.len().over(HOUR)))
    )
    per = {k: pl.col("share") * pl.col(col) * f for k, (col, f) in PER_REQUEST.items()}
    logged = requests.select(HOUR).unique()
    return Apportioned(
        requests=shared.with_columns(**per).drop(
            [c for c in served.columns[2:] if c not in PER_REQUEST]
        ),
        requests_without_energy=requests.join(served, on=HOUR, how="anti")
        .group_by("model")
        .agg(requests=pl.len()),
        hours_without_requests=served.filter(pl.col("model").is_in(logged["model"].implode()))
        .join(logged, on=HOUR, how="anti")
        .group_by("model")
        .agg(hours=pl.len(), energy_kwh=pl.col("energy_kwh").sum()),
    )


def nearest_rank(values: list[float], pct: float) -> float:
    """The nearest-rank percentile: the value at rank ⌈pct/100 × n⌉ of the sorted values (rank 1
    at least), so it is always one of the values, never an interpolation between two."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Stat:
    mean: float
    p10: float
    median: float
    p90: float


def stat(values: list[float]) -> Stat:
    return Stat(
        mean=sum(values) / len(values),
        p10=nearest_rank(values, 10),
        median=nearest_rank(values, 50),
        p90=nearest_rank(values, 90),
    )


def median_request(rows: pl.DataFrame) -> dict[str, float]:
    """The median request by energy (nearest rank; ties in the order of its log), whole: its
    figures and boundary parts."""
    ordered = rows.sort("wh", maintain_order=True)
    rank = max(1, math.ceil(0.5 * ordered.height))
    return ordered.row(rank - 1, named=True)
