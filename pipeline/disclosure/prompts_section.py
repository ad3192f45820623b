"""A model's per-prompt figures (`models[].per_prompt` in disclosure.json) from the request log
and the period's full-boundary inference footprint (pipeline/method/prompts.py)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from pipeline.disclosure.model_figures import (
    BoundaryBreakdown,
    BoundaryShares,
    PromptFigures,
    PromptStat,
)
from pipeline.method import prompts
from pipeline.warehouse import frame


def served_requests(
    con: duckdb.DuckDBPyConnection, start_day: date | None, end_day: date
) -> pl.DataFrame:
    """Requests and output tokens per model served in days [start_day, end_day] (from the first
    day when None): the hourly statistics, or the request log for a model-hour it covers."""
    p = {"start_day": start_day or date.min, "end_day": end_day}
    return (
        frame(con, "select_serving_daily", p)
        .group_by("model")
        .agg(pl.col("requests").sum(), pl.col("output_tokens").sum())
        .sort("model")
    )


def per_prompt(
    con: duckdb.DuckDBPyConnection,
    df: pl.DataFrame,
    costs: pl.DataFrame,
    p: dict,
    input_token_weight: float,
) -> dict[str, PromptFigures]:
    """Per model with logged requests in days [p.start_day, p.end_day]; `df` and `costs` are the
    period's daily rows and USD costs (pipeline/disclosure/figures.py `period_data`)."""
    requests = frame(con, "select_period_requests", p)
    if not requests.height:
        return {}
    hours = prompts.model_hours(frame(con, "select_period_inference_hours", p), df)
    inference = (
        costs.filter(pl.col("phase") == "inference")
        .group_by("model")
        .agg(pl.col("full_cost_usd").sum())
    )
    cost = dict(
        zip(inference["model"].to_list(), inference["full_cost_usd"].to_list(), strict=True)
    )
    return figures(prompts.with_cost(hours, cost), requests, input_token_weight)


def figures(
    hours: pl.DataFrame, requests: pl.DataFrame, input_token_weight: float
) -> dict[str, PromptFigures]:
    """Per model in `requests`: the distribution of its requests' apportioned figures."""
    a = prompts.apportion(hours, requests, input_token_weight)
    out = {}
    for model in sorted(set(requests["model"].to_list())):
        rows = a.requests.filter(pl.col("model") == model)
        measured = requests.filter((pl.col("model") == model) & pl.col("energy_wh").is_not_null())
        without = a.requests_without_energy.filter(pl.col("model") == model)
        idle_hours = a.hours_without_requests.filter(pl.col("model") == model)
        stats = {k: _stat(rows[k].to_list()) for k in prompts.STATS} if rows.height else {}
        median = prompts.median_request(rows) if rows.height else None
        out[model] = PromptFigures(
            requests=rows.height,
            input_token_weight=input_token_weight,
            **stats,
            median_breakdown=BoundaryBreakdown(**{k: median[k] for k in prompts.PARTS})
            if median
            else None,
            median_shares=_shares(median) if median else None,
            measured_requests=measured.height,
            measured_median_wh=prompts.nearest_rank(measured["energy_wh"].to_list(), 50)
            if measured.height
            else None,
            hours_with_requests=rows.select(prompts.HOUR).unique().height,
            hours_without_requests=int(idle_hours["hours"].sum() or 0),
            energy_kwh_without_requests=float(idle_hours["energy_kwh"].sum() or 0.0),
            requests_without_energy=int(without["requests"].sum() or 0),
        )
    return out


def _stat(values: list[float]) -> PromptStat:
    s = prompts.stat(values)
    return PromptStat(mean=s.mean, p10=s.p10, median=s.median, p90=s.p90)


def _shares(median: dict[str, float]) -> BoundaryShares:
    total = sum(median[k] for k in prompts.PARTS)
    pct = {k: 100 * median[k] / total if total else 0.0 for k in prompts.PARTS}
    return BoundaryShares(
        accelerator_pct=pct["accelerator_wh"],
        host_pct=pct["host_wh"],
        idle_pct=pct["idle_wh"],
        facility_overhead_pct=pct["facility_overhead_wh"],
    )
