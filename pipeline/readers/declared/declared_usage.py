"""Declared usage CSV (docs/declared-usage.md) → raw_declared_usage: one row per run that no
telemetry or scheduler file covers (a published training run, a run at another provider, a
vendor's disclosure), with where its figures come from.

The reader checks what the file alone can tell: the values' form, a span it can place in time
(`end`, `duration_h` or `gpu_hours`), figures that agree with each other, and a grid factor or a
site to price it with. Whether the GPU model and the site exist is the config's to say: the
computation (pipeline/method/declared.py) resolves them and reports a row it cannot resolve.

`end_utc` is always filled: the end the file gives (a date is the run's last day, included),
else start + duration_h, else start + gpu_hours / gpus (the GPUs running without a break).
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile, assemble, join_reasons
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.declared import _declared_values as v

FORMAT = "declared-usage-csv"
TABLE = "raw_declared_usage"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "run": pl.String,
        "model": pl.String,
        "phase": pl.String,
        "gpu_model": pl.String,
        "gpus": pl.Int64,
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
        "duration_h": pl.Float64,
        "gpu_hours": pl.Float64,
        "average_power_w": pl.Float64,
        "site": pl.String,
        "grid_gco2e_per_kwh": pl.Float64,
        "market_gco2e_per_kwh": pl.Float64,
        "pue": pl.Float64,
        "requests": pl.Int64,
        "cost_usd": pl.Float64,
        "flops": pl.Float64,
        "source": pl.String,
    }
)
NOT_NULL = ("line", "run", "model", "phase", "gpu_model", "gpus", "start_utc", "end_utc", "source")
COLUMNS = [
    Column("run", ("run", "run_id"), v.name, required=True),
    Column("model", ("model",), v.name, required=True),
    Column("phase", ("phase",), v.phase, required=True),
    Column("gpu_model", ("gpu_model",), v.name, required=True),
    Column("gpus", ("gpus",), v.gpu_count, required=True),
    Column("start_utc", ("start", "start_utc"), v.start_time, required=True),
    Column("end_utc", ("end", "end_utc"), v.end_time),
    Column("duration_h", ("duration_h",), v.positive),
    Column("gpu_hours", ("gpu_hours",), v.positive),
    Column("average_power_w", ("average_power_w",), v.positive),
    Column("site", ("site",), v.name),
    Column("grid_gco2e_per_kwh", ("grid_gco2e_per_kwh",), v.grid_intensity),
    Column("market_gco2e_per_kwh", ("market_gco2e_per_kwh",), v.grid_intensity),
    Column("pue", ("pue",), v.pue),
    Column("requests", ("requests",), _csv.count),
    Column("cost_usd", ("cost_usd",), v.non_negative),
    Column("flops", ("flops",), v.positive),
    Column(
        "source",
        ("source",),
        v.name,
        required=True,
        missing="expected where the figures come from (a paper, a provider's statement), got "
        "nothing",
    ),
]
# published figures are rounded: GPU-hours may exceed what the GPUs could run in the span by
# this share before the row is refused as a contradiction
GPU_HOURS_SLACK = 0.01
# end and duration_h may differ by this much (a rounded duration)
DURATION_SLACK_H = 1 / 60


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "run", "gpu_model", "gpus", "source")


def _span_h(end: pl.Expr) -> pl.Expr:
    return (end - pl.col("start_utc")).dt.total_microseconds() / 3.6e9


def _checks(c: pl.DataFrame) -> pl.DataFrame:
    """Reasons no single value shows: the span, figures that disagree, nothing to price with."""
    end, dur, gh, gpus = (pl.col(n) for n in ("end_utc", "duration_h", "gpu_hours", "gpus"))
    c = c.with_columns(
        _given_end=end,
        end_utc=pl.coalesce(
            end,
            pl.col("start_utc") + pl.duration(microseconds=(dur * 3.6e9).round()),
            pl.col("start_utc") + pl.duration(microseconds=(gh / gpus * 3.6e9).round()),
        ),
    )
    given, span = pl.col("_given_end"), _span_h(pl.col("end_utc"))
    capacity = gpus * span
    why = [
        pl.when(given.is_null() & dur.is_null() & gh.is_null()).then(
            pl.lit("expected end, duration_h or gpu_hours to place the run in time, got none")
        ),
        pl.when(given.is_not_null() & (given <= pl.col("start_utc"))).then(
            pl.format(
                "end: expected an end after start {}, got an end at {} (a date ends at the next "
                "00:00 UTC)",
                pl.col("start_utc").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                given.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        ),
        pl.when(
            given.is_not_null()
            & dur.is_not_null()
            & ((_span_h(given) - dur).abs() > DURATION_SLACK_H)
        ).then(
            pl.format(
                "end and duration_h disagree: start to end is {} h, duration_h says {} h; give one",
                _span_h(given).round(3),
                dur,
            )
        ),
        pl.when(gh > capacity * (1 + GPU_HOURS_SLACK)).then(
            pl.format(
                "gpu_hours {} exceeds what {} GPUs can run from start to end ({} GPU-hours); "
                "correct gpus, the span or gpu_hours",
                gh,
                gpus,
                capacity.round(1),
            )
        ),
        pl.when(pl.col("site").is_null() & pl.col("grid_gco2e_per_kwh").is_null()).then(
            pl.lit("expected a site (of the config) or grid_gco2e_per_kwh to price the energy")
        ),
    ]
    checked = join_reasons(why)
    reason = pl.when(pl.col("reason").is_null()).then(checked).otherwise(pl.col("reason"))
    return c.with_columns(reason=reason).drop("_given_end")


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    # end_utc may be empty in the file (duration_h or gpu_hours then place the run): it is
    # required only once `_checks` has derived it
    given = tuple(c for c in NOT_NULL if c != "end_utc")
    candidates, problems = _csv.parse_table(source, FORMAT, SCHEMA, given, COLUMNS)
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, _checks(candidates), problems)
