"""nvidia-smi timestamps: the host's local wall-clock time without a zone, to UTC.

A time skipped by the spring change is null (quarantined by the reader); a time in the autumn
repeated hour is resolved by file order per GPU (see the nvidia_smi module docstring).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

# nvidia-smi's own timestamp format; the fast parser needs exactly three millisecond digits, the
# general one (run only on what the fast one refuses) takes any fraction or none.
TIMESTAMP_FAST = "%Y/%m/%d %H:%M:%S.%3f"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S%.f"
TIMESTAMP_EXAMPLE = "2024/01/15 10:00:00.123"


def parse_times(frame: pl.DataFrame, raw: str = "r_ts") -> pl.DataFrame:
    """`ts_local` from the timestamp text in column `raw`; `frame` needs a row index `_i`."""
    frame = frame.with_columns(
        ts_local=pl.col(raw).str.strptime(
            pl.Datetime("us"), TIMESTAMP_FAST, strict=False, cache=False
        )
    )
    refused = frame.filter(pl.col("ts_local").is_null() & pl.col(raw).is_not_null())
    if refused.height:
        # Other fractions (or none): the general parser, on the few lines the fast one refused.
        again = refused.select(
            "_i",
            ts=pl.col(raw).str.strptime(pl.Datetime("us"), TIMESTAMP_FORMAT, strict=False),
        )
        ts = frame["ts_local"].scatter(again["_i"], again["ts"])
        frame = frame.with_columns(ts_local=ts)
    return frame


def _fall_back_days(dates: list[date], tz: str) -> list[date]:
    """The local dates among `dates` on which `tz` turns its clocks back (a repeated hour)."""
    zone = ZoneInfo(tz)
    days = []
    for day in dates:
        start = datetime.combine(day, time(0), zone)
        end = datetime.combine(day + timedelta(days=1), time(0), zone) if day < date.max else start
        offset_start, offset_end = start.utcoffset(), end.utcoffset()
        if offset_start is not None and offset_end is not None and offset_end < offset_start:
            days.append(day)
    return days


def to_utc(frame: pl.DataFrame, tz: str) -> pl.Series:
    """Local wall-clock → naive UTC; the autumn repeated hour resolved by file order per GPU."""
    local = frame["ts_local"]
    if tz == "UTC":
        return local.rename("ts_utc")
    chosen = local.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    first, last = local.min(), local.max()
    if first is None or last is None:
        return local.rename("ts_utc")  # no parsed time at all
    assert isinstance(first, datetime) and isinstance(last, datetime)
    if (last - first).days <= 400:
        span = range((last.date() - first.date()).days + 1)
        dates = [first.date() + timedelta(days=d) for d in span]
    else:  # a long or garbled span: only the dates that occur
        dates = local.dt.date().drop_nulls().unique().to_list()
    days = _fall_back_days(dates, tz)
    if days:
        # Only rows on a fall-back day can be ambiguous: both readings on those rows alone.
        rows = frame.select("_i", "host", "gpu_index", "ts_local").filter(
            pl.col("ts_local").dt.date().is_in(days)
        )
        rows = rows.with_columns(
            early=pl.col("ts_local").dt.replace_time_zone(
                tz, ambiguous="earliest", non_existent="null"
            ),
            late=pl.col("ts_local").dt.replace_time_zone(
                tz, ambiguous="latest", non_existent="null"
            ),
        ).filter(pl.col("early") != pl.col("late"))
        keys = ["host", "gpu_index", pl.col("ts_local").dt.date()]
        # Once a GPU's wall clock steps back (or repeats) inside the hour, the clock has fallen
        # back: that row and the GPU's later rows in the hour are the second pass.
        step = (pl.col("ts_local") <= pl.col("ts_local").shift(1).over(keys)).fill_null(False)
        second = (
            rows.with_columns(step=step)
            .filter(pl.col("step").cast(pl.Int32).cum_sum().over(keys) > 0)
            .select("_i", "late")
        )
        if second.height:
            chosen = chosen.scatter(second["_i"], second["late"])
    return chosen.dt.convert_time_zone("UTC").dt.replace_time_zone(None).rename("ts_utc")
