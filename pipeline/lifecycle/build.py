"""Build a model's lifecycle statement from the warehouse and the declared usage."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.lifecycle.model import (
    Footprint,
    LifecycleLine,
    LifecycleStatement,
)
from pipeline.lifecycle.series import daily_series, monthly, projection
from pipeline.method.lifecycle import crossover, cumulative, with_amortisation
from pipeline.warehouse import frame, one

TRAINING = ("training", "fine_tuning")
DEVELOPMENT = ("evaluation", "development")
FLEET_SOURCE = "measured telemetry and scheduler records (estimated where no telemetry)"
FOOTPRINT = tuple(Footprint.model_fields)
NOTES = (
    "Energy is facility energy (IT × PUE). Market-based carbon is before annual contractual "
    "instruments, which the monthly reports match per period.",
    "Declared lines are computed from the GPU-hours, power and factors their source declares "
    "(pipeline/method/declared.py), not measured; each names its source.",
    "Costs are the USD lines of the bill attributed to the model's jobs (amortised cost).",
)


class NoLifecycleData(LookupError):
    """The warehouse and the declared usage hold nothing for the model in the range."""


def _declared(con: duckdb.DuckDBPyConnection, cfg: Config) -> pl.DataFrame:
    from pipeline.method.declared import declared_daily

    return declared_daily(con, cfg)


def _span(
    con: duckdb.DuckDBPyConnection,
    lineage: list[str],
    declared: pl.DataFrame,
    start: date | None,
    end: date | None,
) -> tuple[date, date]:
    first, last = one(con, "select_model_days", {"models": lineage})
    days = [d for d in (first, last) if d is not None]
    if declared.height:
        days += [declared.get_column("day").min(), declared.get_column("day").max()]
    if not days:
        raise NoLifecycleData(f"no energy recorded or declared for {lineage[0]!r}")
    return start or min(days), end or max(days)


def _fleet_lines(con: duckdb.DuckDBPyConnection, p: dict, model: str) -> list[LifecycleLine]:
    jobs = frame(con, "select_model_jobs", p)
    costs = dict(frame(con, "select_model_job_costs", p).iter_rows())
    out = []
    for r in jobs.iter_rows(named=True):
        if r["phase"] == "inference":
            continue
        gpu = r["gpu_energy_kwh"] or 0.0
        out.append(
            LifecycleLine(
                model=r["model"],
                relation="own" if r["model"] == model else "base",
                phase=r["phase"],
                basis="fleet",
                name=r["job_name"] or r["job_key"],
                job=r["job_key"],
                state=r["state"],
                start=r["start_utc"],
                end=r["end_utc"],
                measured_share=(r["measured_kwh"] or 0.0) / gpu if gpu else 0.0,
                source=FLEET_SOURCE,
                cost_usd=costs.get(r["job_key"], 0.0),
                **{k: r[k] or 0.0 for k in FOOTPRINT if k != "cost_usd"},
            )
        )
    return out


def _declared_lines(dec: pl.DataFrame, model: str) -> list[LifecycleLine]:
    runs = (
        dec.filter(pl.col("phase") != "inference")
        .group_by("source_path", "line")
        .agg(
            pl.col("run", "model", "phase", "source").first(),
            pl.col("day").min().alias("first_day"),
            pl.col("day").max().alias("last_day"),
            pl.col("facility_energy_kwh").sum().alias("energy_kwh"),
            *(pl.col(k).fill_null(0.0).sum() for k in FOOTPRINT if k != "energy_kwh"),
        )
        .sort("first_day", "source_path", "line")
    )
    return [
        LifecycleLine(
            model=r["model"],
            relation="own" if r["model"] == model else "base",
            phase=r["phase"],
            basis="declared",
            name=r["run"],
            job=f"{r['source_path']}:{r['line']}",
            start=datetime.combine(r["first_day"], time()),
            end=datetime.combine(r["last_day"] + timedelta(days=1), time()),
            source=r["source"],
            **{k: r[k] for k in FOOTPRINT},
        )
        for r in runs.iter_rows(named=True)
    ]


def _sum(lines: list[LifecycleLine]) -> Footprint:
    return Footprint(**{k: math.fsum(getattr(x, k) for x in lines) for k in FOOTPRINT})


def _inference(
    con: duckdb.DuckDBPyConnection, p: dict, model: str, dec: pl.DataFrame
) -> tuple[Footprint, pl.DataFrame, int]:
    """Inference footprint over the range, requests per day (served, and declared on inference
    rows) and output tokens served."""
    fleet = frame(con, "select_lifecycle_inference_daily", p | {"models": [model]})
    own_dec = dec.filter((pl.col("model") == model) & (pl.col("phase") == "inference"))
    cost = frame(con, "select_model_inference_cost", p | {"models": [model]})
    total = {k: float(fleet.get_column(k).sum() or 0.0) for k in FOOTPRINT if k in fleet.columns}
    for k in FOOTPRINT:
        col = "facility_energy_kwh" if k == "energy_kwh" else k
        total[k] = total.get(k, 0.0) + float(own_dec.get_column(col).fill_null(0.0).sum() or 0.0)
    total["cost_usd"] += float(cost.get_column("cost_usd").sum() or 0.0) if cost.height else 0.0
    serving = frame(
        con, "select_serving_daily", {k: p[k] for k in ("start_day", "end_day")}
    ).filter(pl.col("model") == model)
    requests = pl.concat(
        [
            own_dec.select("day", pl.col("requests").fill_null(0).cast(pl.Float64)),
            serving.select("day", pl.col("requests").cast(pl.Float64)),
        ]
    )
    return Footprint(**total), requests, int(serving.get_column("output_tokens").sum() or 0)


def build_statement(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    model: str,
    start: date | None = None,
    end: date | None = None,
    declared: pl.DataFrame | None = None,
    code_version: str = "",
) -> LifecycleStatement:
    """The statement of `model` over days [start, end] (default: every day with data for it or
    its bases). `declared` is `declared_daily(con, cfg)` when the caller has it already.
    Raises NoLifecycleData when nothing is recorded or declared for the model."""
    lineage = cfg.lineage(model)
    declared = _declared(con, cfg) if declared is None else declared
    dec = declared.filter(pl.col("model").is_in(lineage))
    start, end = _span(con, lineage, dec, start, end)
    dec = dec.filter(pl.col("day").is_between(start, end))
    p = {"models": lineage, "start_day": start, "end_day": end}
    # a base's training led to the model; its evaluation and development did not
    lines = [
        x
        for x in _fleet_lines(con, p, model) + _declared_lines(dec, model)
        if x.relation == "own" or x.phase in TRAINING
    ]
    lines.sort(key=lambda x: (x.relation != "base", x.start or datetime.min, x.job))
    own = [x for x in lines if x.relation == "own"]
    inference, requests_daily, tokens = _inference(con, p, model, dec)
    series = daily_series(con, model, start, end, dec, requests_daily)
    days = series.get_column("day").to_list()
    t_kwh = series.get_column("training_kwh").to_numpy().astype(float)
    i_kwh = series.get_column("inference_kwh").to_numpy().astype(float)
    requests = round(series.get_column("requests").sum() or 0)
    base = _sum([x for x in lines if x.relation == "base"])
    with_base = t_kwh.copy()
    if len(with_base):
        with_base[0] += base.energy_kwh
    own_crossover = with_amortisation(crossover(days, t_kwh, i_kwh), requests)
    return LifecycleStatement(
        name=model,
        lineage=lineage,
        start=start,
        end=end,
        generated_at=datetime.now(UTC).replace(microsecond=0),
        code_version=code_version,
        config_sha256=cfg.config_sha256,
        training=_sum([x for x in own if x.phase in TRAINING]),
        base_training=base,
        development=_sum([x for x in own if x.phase in DEVELOPMENT]),
        inference=inference,
        requests=requests,
        output_tokens=tokens,
        lines=lines,
        monthly=monthly(series),
        crossover=own_crossover,
        crossover_with_base=with_amortisation(crossover(days, with_base, i_kwh), requests),
        projection=projection(own_crossover, days, i_kwh),
        cumulative=cumulative(days, t_kwh, i_kwh),
        notes=list(NOTES),
    )


def statements(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    models: list[str],
    end: date,
    code_version: str,
    declared: pl.DataFrame | None = None,
) -> list[LifecycleStatement]:
    """The statement of each of `models` and of every model with declared usage, over its whole
    life up to `end` (the monthly report's lifecycle section). `declared`: `declared_daily`."""
    declared = (_declared(con, cfg) if declared is None else declared).filter(pl.col("day") <= end)
    names = sorted(set(models) | set(declared.get_column("model").to_list()))
    out = []
    for name in names:
        try:
            out.append(build_statement(con, cfg, name, None, end, declared, code_version))
        except NoLifecycleData:
            continue  # served in the period but no energy recorded: section 3 says so
    return out
