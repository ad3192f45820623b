"""Row checks of the telemetry Parquet reader (telemetry_parquet.py, whose docstring gives the row
rules): the accepted time span, whether a row passes (one boolean column over the whole frame),
and the reasons of the rows that do not (built for the bad rows only).

`readings` below are the reading columns the file has (power_w, energy_mj, util_pct), in that
order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

TS_MIN = datetime(2000, 1, 1)
TS_MAX = datetime(2100, 1, 1)
SHOWN_MIN = datetime(1, 1, 1)
SHOWN_MAX = datetime(9999, 12, 31)
INT32_MAX = 2**31 - 1


def _epoch(when: datetime, unit: str) -> int:
    micros = (when - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return {"ns": micros * 1000, "us": micros, "ms": micros // 1000}[unit]


def time_text(physical: pl.Expr, unit: str) -> pl.Expr:
    """A stored time as text for a reason or the raw row: 'YYYY-MM-DD HH:MM:SS[.f]' (UTC) within
    years 1..9999, else the raw count ('-9223372036854775808 us since 1970-01-01'): polars panics
    formatting a datetime outside chrono's range, which a corrupt file can hold."""
    low = max(_epoch(SHOWN_MIN, unit), -(2**63) + 1)  # ns cannot reach year 1 in an int64
    high = min(_epoch(SHOWN_MAX, unit), 2**63 - 1)
    shown = physical.is_between(low, high)
    as_time = (
        pl.when(shown).then(physical).cast(pl.Datetime(unit)).dt.to_string("%Y-%m-%d %H:%M:%S%.f")
    )
    as_count = pl.concat_str(physical.cast(pl.String), pl.lit(f" {unit} since 1970-01-01"))
    return pl.when(shown).then(as_time).otherwise(as_count)


def timestamps(frame: pl.DataFrame) -> pl.Expr:
    """`ts_utc` as naive UTC microseconds; null when missing or outside TS_MIN..TS_MAX."""
    dtype = frame.schema["ts_utc"]
    assert isinstance(dtype, pl.Datetime)
    # The physical value of a zone-aware timestamp is already UTC; drop the zone, keep the value.
    physical = pl.col("ts_utc").cast(pl.Int64)
    unit = dtype.time_unit
    in_range = physical.is_between(_epoch(TS_MIN, unit), _epoch(TS_MAX, unit), closed="left")
    return pl.when(in_range).then(physical).cast(pl.Datetime(unit)).cast(pl.Datetime("us"))


def row_ok(readings: list[str]) -> pl.Expr:
    """Whether a row of the typed frame is accepted."""
    present = [pl.col(n) for n in readings]
    return (
        pl.col("ts_utc").is_not_null()
        & pl.col("host").is_not_null()
        & pl.col("gpu_index").is_not_null()
        & pl.col("power_w").is_null().or_(pl.col("power_w").is_finite() & (pl.col("power_w") >= 0))
        & pl.col("energy_mj")
        .is_null()
        .or_(pl.col("energy_mj").is_finite() & (pl.col("energy_mj") >= 0))
        & pl.col("util_pct").is_null().or_(pl.col("util_pct").is_between(0, 100))
        & pl.any_horizontal(c.is_not_null() for c in present)
    )


def _shown(value: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("'"), value.cast(pl.String), pl.lit("'"))


def row_reasons(readings: list[str]) -> pl.Expr:
    """Every reason that applies to a (bad) row, '; '-joined."""
    reasons = [
        pl.when(pl.col("ts_raw").is_null())
        .then(pl.lit("ts_utc: no value; expected a timestamp"))
        .when(pl.col("ts_utc").is_null())
        .then(
            pl.concat_str(
                pl.lit(
                    f"ts_utc: expected a time from {TS_MIN:%Y-%m-%d} to before "
                    f"{TS_MAX:%Y-%m-%d} UTC, got "
                ),
                _shown(pl.col("ts_raw")),
            )
        ),
        pl.when(pl.col("host").is_null()).then(pl.lit("host: expected a host name, got nothing")),
        pl.when(pl.col("index_raw").is_null())
        .then(pl.lit("gpu_index: expected a GPU index like 0, got nothing"))
        .when(pl.col("gpu_index").is_null())
        .then(
            pl.concat_str(
                pl.lit(f"gpu_index: expected a non-negative integer up to {INT32_MAX}, got "),
                _shown(pl.col("index_raw")),
            )
        ),
    ]
    checks = {
        "power_w": (pl.col("power_w") >= 0, "a finite, non-negative power in W"),
        "energy_mj": (pl.col("energy_mj") >= 0, "a finite, non-negative energy counter in mJ"),
        "util_pct": (pl.col("util_pct").is_between(0, 100), "a percentage from 0 to 100"),
    }
    for name in readings:
        good, expected = checks[name]
        value = pl.col(name)
        reasons.append(
            pl.when(value.is_not_null() & ~(value.is_finite() & good)).then(
                pl.concat_str(pl.lit(f"{name}: expected {expected}, got "), _shown(value))
            )
        )
    reasons.append(
        pl.when(pl.all_horizontal(pl.col(n).is_null() for n in readings)).then(
            pl.lit(f"{', '.join(readings)}: no reading; expected a value in at least one of them")
        )
    )
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return pl.when(joined == "").then(pl.lit("row rejected")).otherwise(joined)
