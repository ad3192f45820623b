"""A model's lifecycle as a daily series: own training (+ fine-tuning) and inference energy and
requests per UTC day, from the fleet and the declared usage; the months and the projection."""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from pipeline.lifecycle.model import MonthPoint, Projection
from pipeline.method.lifecycle import TRAILING_DAYS
from pipeline.method.results import Crossover
from pipeline.warehouse import frame

TRAINING = ("training", "fine_tuning")


def _training_daily(
    con: duckdb.DuckDBPyConnection, model: str, start: date, end: date, dec: pl.DataFrame
) -> pl.DataFrame:
    life = frame(con, "select_model_daily_lifecycle", {"end_day": end})
    own = life.filter((pl.col("model") == model) & (pl.col("day") >= start))
    dec_t = dec.filter((pl.col("model") == model) & pl.col("phase").is_in(TRAINING))
    return pl.concat(
        [
            own.select("day", pl.col("training_kwh").fill_null(0.0)),
            dec_t.select("day", pl.col("facility_energy_kwh").alias("training_kwh")),
        ],
        how="vertical_relaxed",
    )


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
    dec: pl.DataFrame,
    inf_daily: pl.DataFrame,
) -> pl.DataFrame:
    """day, training_kwh, inference_kwh, requests: one row per day with any of them."""
    return (
        pl.concat(
            [
                _training_daily(con, model, start, end, dec).with_columns(
                    inference_kwh=pl.lit(0.0), requests=pl.lit(0.0)
                ),
                inf_daily.select(
                    "day",
                    training_kwh=pl.lit(0.0),
                    inference_kwh="inference_kwh",
                    requests="requests",
                ),
            ],
            how="vertical_relaxed",
        )
        .group_by("day")
        .agg(pl.col("training_kwh", "inference_kwh", "requests").fill_null(0).sum())
        .sort("day")
    )
