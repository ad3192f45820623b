"""DCGM samples → candidate raw_gpu_samples rows: one reading per host × GPU × time, checked.

Shared by the Prometheus text reader (dcgm_prometheus.py) and the HTTP API JSON reader
(prometheus_json.py), each of which turns its file into samples (one metric value of one series at
one time) and hands them to `merge`. The rules, described for users in dcgm_prometheus.py: the
samples of the three metrics for one host × `gpu` × time merge into one reading (MIG instances
count their GPU once; repeats must agree), instance series give no util_pct, workload is kept
only when every series names the same one, a sample whose time cannot be read is a row of its own,
and bad values (NaN, ±Inf, negative power or energy, utilisation outside 0-100) quarantine the
reading with a reason naming the metric and where it was found.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pipeline.readers._text import join_reasons
from pipeline.readers.telemetry._dcgm_labels import ENERGY, POWER, UTIL
from pipeline.readers.telemetry.nvidia_smi import NOT_NULL

# Sample times outside this span are corrupt, not telemetry.
FIRST_US = 0
END_US = int((datetime(2100, 1, 1) - datetime(1970, 1, 1)).total_seconds()) * 1_000_000

_CHECKS = {
    # metric: (column, bad value test, what was expected)
    POWER: ("power_w", lambda v: v < 0, "a finite non-negative number in W"),
    UTIL: ("util_pct", lambda v: (v < 0) | (v > 100), "a number from 0 to 100 (%)"),
    ENERGY: ("energy_mj", lambda v: v < 0, "a finite non-negative counter in mJ"),
}


def merge(samples: pl.DataFrame, ts_expected: str) -> pl.DataFrame:
    """One candidate row per host × gpu × time from the samples of the three metrics.

    `samples` has `pos` (unique, in document order), `where` (the place a reason names: 'line 12'
    or 'data.result[2].values[17]'), `metric`, `value` (null when not a number), `value_text`,
    `ts_us` (µs since 1970, null when unreadable), `ts_text`, `sample_reason`, `raw` and the
    `label_columns` output. Returns `pos` (the reading's first), the table's value columns,
    `reason` (null = fine) and `raw` (its samples' text, filled for rows that fail).
    """
    value = pl.col("value")
    s = samples.sort("pos").with_columns(
        ts_utc=pl.when(pl.col("ts_us").is_between(FIRST_US, END_US, closed="left")).then(
            pl.from_epoch(pl.col("ts_us"), time_unit="us")
        ),
        nonfinite=value.is_null() | value.is_nan() | value.is_infinite(),
    )
    s = s.with_columns(
        ts_bad=pl.when(pl.col("ts_utc").is_null()).then(
            pl.coalesce(pl.col("ts_text"), pl.lit("nothing"))
        )
    )
    # A sample whose time cannot be read belongs to no reading we could name: it is a row of
    # its own (its `pos`). `over` puts nulls (a missing gpu label) in one group, like group_by.
    s = s.with_columns(
        gid=pl.col("pos")
        .min()
        .over(["host", "gpu", "ts_utc", pl.when(pl.col("ts_utc").is_null()).then(pl.col("pos"))])
    )

    aggs: list[pl.Expr] = [
        pl.col("host", "gpu", "ts_utc", "ts_bad", "where").first(),
        pl.col("sample_reason").drop_nulls().first(),
        pl.col("gpu_uuid").drop_nulls().min().alias("uuid_lo"),
        pl.col("gpu_uuid").drop_nulls().max().alias("uuid_hi"),
        pl.col("gpu_name").drop_nulls().min().alias("name_lo"),
        pl.col("gpu_name").drop_nulls().max().alias("name_hi"),
        pl.col("workload").n_unique().alias("workload_n"),
        pl.col("workload").first(),
    ]
    for metric, (column, out_of_range, _) in _CHECKS.items():
        sel = pl.col("metric") == metric
        if metric == UTIL:
            sel = sel & ~pl.col("mig")  # instances report 0 or nothing, not the GPU's util
        bad = sel & (pl.col("nonfinite") | out_of_range(value))
        good = sel & ~bad
        good_values = value.filter(good)
        aggs += [
            pl.col("where").filter(bad).first().alias(f"{column}_bad_where"),
            pl.col("value_text").filter(bad).first().alias(f"{column}_bad_text"),
            good_values.min().alias(f"{column}_lo"),
            good_values.max().alias(f"{column}_hi"),
            pl.col("where").filter(good).sort_by(good_values).first().alias(f"{column}_lo_at"),
            pl.col("where").filter(good).sort_by(good_values).last().alias(f"{column}_hi_at"),
        ]
    readings = s.group_by("gid").agg(aggs).rename({"gid": "pos"})

    where = pl.col("where")
    reasons = [
        pl.col("sample_reason"),
        pl.when(pl.col("gpu").is_null())
        .then(pl.format('gpu ({}): expected a GPU index label like gpu="0", got nothing', where))
        .when(~pl.col("gpu").str.contains(r"^[0-9]{1,9}$"))
        .then(
            pl.format(
                "gpu ({}): expected a GPU index label like gpu=\"0\", got '{}'",
                where,
                pl.col("gpu"),
            )
        ),
        pl.when(pl.col("ts_utc").is_null()).then(
            pl.format(
                f"timestamp ({{}}): expected {ts_expected} within years 1970-2099, got {{}}",
                where,
                pl.col("ts_bad"),
            )
        ),
        pl.when(pl.col("uuid_lo") != pl.col("uuid_hi")).then(
            pl.format(
                "gpu_uuid (UUID label): expected one GPU per host, gpu index and time, "
                "got '{}' and '{}'",
                pl.col("uuid_lo"),
                pl.col("uuid_hi"),
            )
        ),
        pl.when(pl.col("name_lo") != pl.col("name_hi")).then(
            pl.format(
                "gpu_name (modelName label): expected one GPU model per host, gpu index and "
                "time, got '{}' and '{}'",
                pl.col("name_lo"),
                pl.col("name_hi"),
            )
        ),
    ]
    for metric, (column, _, expected) in _CHECKS.items():
        lo, hi = pl.col(f"{column}_lo"), pl.col(f"{column}_hi")
        reasons.append(
            pl.when(pl.col(f"{column}_bad_where").is_not_null())
            .then(
                pl.format(
                    f"{column} ({metric} at {{}}): expected {expected}, got {{}}",
                    pl.col(f"{column}_bad_where"),
                    pl.coalesce(pl.col(f"{column}_bad_text"), pl.lit("nothing")),
                )
            )
            .when(lo != hi)
            .then(
                pl.format(
                    f"{column} ({metric}): expected one value per GPU and time (MIG instances "
                    "and repeated lines must agree), got {} at {} and {} at {}",
                    lo.cast(pl.String),
                    pl.col(f"{column}_lo_at"),
                    hi.cast(pl.String),
                    pl.col(f"{column}_hi_at"),
                )
            )
        )
    readings = readings.with_columns(
        reason=join_reasons(reasons),
        gpu_index=pl.when(pl.col("gpu").str.contains(r"^[0-9]{1,9}$")).then(
            pl.col("gpu").cast(pl.Int32, strict=False)
        ),
        gpu_uuid=pl.col("uuid_lo"),
        gpu_name=pl.col("name_lo"),
        workload=pl.when(pl.col("workload_n") == 1).then(pl.col("workload")),
        **{
            column: pl.when(pl.col(f"{column}_lo") == pl.col(f"{column}_hi")).then(
                pl.col(f"{column}_lo") + 0.0  # -0.0 → 0.0
            )
            for column, _, _ in _CHECKS.values()
        },
    )
    # The raw text only for rows that will be quarantined (a big file has few of them).
    failing = pl.col("reason").is_not_null()
    for column in NOT_NULL:
        if column in readings.columns:
            failing = failing | pl.col(column).is_null()
    bad_pos = readings.filter(failing)["pos"]
    raws = (
        s.filter(pl.col("gid").is_in(bad_pos.implode()))
        .group_by("gid")
        .agg(pl.col("raw").sort_by("pos").str.join("\n"))
        .rename({"gid": "pos"})
    )
    return (
        readings.join(raws, on="pos", how="left")
        .with_columns(pl.col("raw").fill_null(""))
        .sort("pos")
        .select(
            "pos",
            "reason",
            "raw",
            "host",
            "gpu_index",
            "gpu_uuid",
            "gpu_name",
            "ts_utc",
            "power_w",
            "util_pct",
            "energy_mj",
            "workload",
        )
    )
