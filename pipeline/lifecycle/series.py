"""A model's lifecycle as a daily series: own training (+ fine-tuning) and inference energy and
requests per UTC day, from the fleet and the declared usage; the months and the projection."""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from pipeline.disclosure.declared import with_declared_lifecycle
from pipeline.lifecycle.model import MonthPoint, Projection
from pipeline.method.lifecycle import TRAILING_DAYS
from pipeline.method.results import Crossover
from pipeline.warehouse import frame


def monthly(series: pl.DataFrame) -> list[MonthPoint]:
    months = (
        series.group_by(pl.col("day").dt.strftime("%Y-%m").alias("month"))
        .agg(pl.col("training_kwh", "inference_kwh", "requests").sum())
        .sort("month")
    )
    return [
        MonthPoint(
            month=r["month"],
            training_kwh=r["training_kwh"],
            inference_kwh=r["inference_kwh"],
            requests=round(r["requests"]),
            wh_per_request=r["inference_kwh"] * 1000 / r["requests"] if r["requests"] else None,
        )
        for r in months.iter_rows(named=True)
    ]


def projection(c: Crossover, days: list[date], inference: np.ndarray) -> Projection | None:
    if c.reached or c.projected_days is None or not days:
        return None
    tail = days[-TRAILING_DAYS:]
    rate = float(np.mean(inference[-TRAILING_DAYS:]))
    when = days[-1] + timedelta(days=math.ceil(c.projected_days))
    return Projection(
        crossover_date=when,
        inference_kwh_per_day=rate,
        rate_from=tail[0],
        rate_to=tail[-1],
        assumptions=(
            f"inference continues at {rate:.4g} kWh a day, the mean of the last {len(tail)} days "
            f"with lifecycle energy ({tail[0]} to {tail[-1]}); no further training; the same "
            "PUE and hardware"
        ),
    )


def daily_series(
    con: duckdb.DuckDBPyConnection,
    model: str,
    start: date,
    end: date,
    declared: pl.DataFrame,
    requests: pl.DataFrame,
) -> pl.DataFrame:
    """day, training_kwh, inference_kwh, requests: one row per day with any of them. The energy
    is the monthly report's lifecycle series (own training + fine-tuning and inference, fleet
    and declared: `with_declared_lifecycle`), so the two never disagree; `requests`: day,
    requests."""
    life = frame(con, "select_model_daily_lifecycle", {"end_day": end}).fill_null(0.0)
    energy = with_declared_lifecycle(life, declared, end).filter(
        (pl.col("model") == model) & (pl.col("day") >= start)
    )
    return (
        pl.concat(
            [
                energy.select("day", "training_kwh", "inference_kwh", requests=pl.lit(0.0)),
                requests.select(
                    "day", training_kwh=pl.lit(0.0), inference_kwh=pl.lit(0.0), requests="requests"
                ),
            ],
            how="vertical_relaxed",
        )
        .group_by("day")
        .agg(pl.col("training_kwh", "inference_kwh", "requests").fill_null(0).sum())
        .sort("day")
    )
