"""Samples → energy pieces, in one streaming pass over the telemetry lake (polars, no SQL sort).

The method is the one docs/methodology.md §1 states and sql/method/reference_gpu_energy_pieces.sql
writes as SQL (kept as the reference the tests compare this pass with, on every shape they
build): per GPU, each interval between consecutive samples takes its energy from the GPU's energy
counter where both samples carry one (source 'counter', placed at constant power; a decrease is a
wrap only within `wrap_max_tdp_ratio` × TDP of the top of a 64- or 32-bit range, else a reset that
falls back to power), else from the power samples (trapezoid, 'samples'), with gaps up to
`max_fill_s` estimated ('estimated'); a counter rise needing more than `counter_max_tdp_ratio` ×
TDP is not priced. Intervals are cut at hours. Each piece keeps its starting sample's label.

A sample read from two overlapping files counts once: the file naming the GPU by UUID, then the
most recently modified, then the path sorting last (docs/checks-plausibility.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

US = 1_000_000
HOUR_US = 3600 * US
TOP_32 = 2.0**32
TOP_64 = 2.0**64
# sources of a piece, as a small enum while per sample
SOURCE = pl.Enum(["counter", "estimated", "samples"])
READINGS = ("power_w", "util_pct", "energy_mj")
COLUMNS = ("source_path", "line", "host", "gpu_index", "gpu_uuid", "ts_utc", *READINGS, "workload")


@dataclass(frozen=True)
class Params:
    max_gap_s: float
    max_fill_s: float
    wrap_max_tdp_ratio: float
    counter_max_tdp_ratio: float
    lookback_s: float


def _epoch_s(expr: pl.Expr) -> pl.Expr:
    """Seconds of a duration as a float, as DuckDB's epoch(interval): microseconds / 1e6."""
    return expr.dt.total_microseconds() / 1e6


def _deduplicated(s: pl.DataFrame, start: datetime, end: datetime, mtimes: pl.DataFrame):
    """The samples each GPU's intervals are made of: those between its last sample before `start`
    and its first at or after `end`, a sample read from overlapping files once."""
    spans = s.group_by("host", "gpu_index", "source_path").agg(
        lo=pl.col("ts_utc").min(),
        hi=pl.col("ts_utc").max(),
        identified=pl.col("gpu_uuid").is_not_null().any(),
        last_before=pl.col("ts_utc").filter(pl.col("ts_utc") < start).max(),
        first_after=pl.col("ts_utc").filter(pl.col("ts_utc") >= end).min(),
    )
    edges = spans.group_by("host", "gpu_index").agg(
        read_from=pl.col("last_before").max().fill_null(start),
        read_to=pl.col("first_after").min().fill_null(end),
    )
    overlapping = (
        spans.sort("host", "gpu_index", "lo", "hi", "source_path")
        .with_columns(
            earlier_hi=pl.col("hi").cum_max().shift(1).over("host", "gpu_index"),
        )
        .filter(pl.col("lo") <= pl.col("earlier_hi"))
        .select("host", "gpu_index")
        .unique()
        .with_columns(may_repeat=pl.lit(True))
    )
    joined = (
        s.join(edges, on=["host", "gpu_index"])
        .filter(pl.col("ts_utc").is_between(pl.col("read_from"), pl.col("read_to")))
        .drop("read_from", "read_to")
        .join(overlapping, on=["host", "gpu_index"], how="left")
    )
    repeat = pl.col("may_repeat").fill_null(False)
    once = joined.filter(repeat).join(
        spans.select("host", "gpu_index", "source_path", "identified"),
        on=["host", "gpu_index", "source_path"],
    )
    once = (
        once.join(mtimes, on="source_path", how="left")
        .sort(
            ["identified", "mtime_ns", "source_path", "line"],
            descending=[True, True, True, False],
            nulls_last=True,
        )
        .unique(["host", "gpu_index", "ts_utc"], keep="first", maintain_order=True)
        .drop("identified", "mtime_ns")
    )
    return pl.concat([joined.filter(~repeat), once], how="vertical").drop("may_repeat")


def _strictly_ordered(s: pl.DataFrame) -> bool:
    """Each GPU's rows contiguous, with strictly rising times: then no GPU has two files whose
    spans overlap and no sample is repeated, so `_deduplicated` has nothing to do (and nothing
    needs sorting: the lake's files hold each GPU's samples in time order)."""
    if s.height < 2:
        return True
    changes = s.get_column("gpu").diff().slice(1) != 0
    rise = s.get_column("ts_utc").diff().slice(1).dt.total_microseconds() > 0
    contiguous = s.get_column("gpu").n_unique() == int(changes.sum()) + 1
    return contiguous and bool((changes | rise).all())


def _near_window(s: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Ordered samples of [start, end) with each GPU's last sample before it and first after
    it (what `_deduplicated` keeps when nothing is read twice)."""
    ts, gpu = pl.col("ts_utc"), pl.col("gpu")
    last_before = (ts < start) & ((gpu.shift(-1) != gpu).fill_null(True) | (ts.shift(-1) >= start))
    first_after = (ts >= end) & ((gpu.shift(1) != gpu).fill_null(True) | (ts.shift(1) < end))
    return s.filter(((ts >= start) & (ts < end)) | last_before | first_after)


def _host_names(s: pl.DataFrame, hosts: pl.DataFrame) -> pl.DataFrame:
    """host_code → host, site and power model, for the inventory hosts among the samples (a
    join on the code, an integer, instead of the name per sample); others have no row."""
    codes = s.group_by("host_code").agg(pl.col("host").first())
    return codes.join(hosts.select("host", "site", "idle_w", "tdp_w"), on="host")


def intervals(
    samples: pl.DataFrame,
    hosts: pl.DataFrame,
    mtimes: pl.DataFrame,
    start: datetime,
    end: datetime,
    p: Params,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Priced intervals between consecutive samples of each GPU that touch [start, end):
    host_code, gpu_index, workload, t0, t1, p0, p1 (W, linear between), source; and the hosts'
    names and sites by host_code (per-sample rows carry the integer, not the strings)."""
    back = timedelta(seconds=p.lookback_s)
    s = samples.filter(
        pl.any_horizontal(pl.col(c).is_not_null() for c in READINGS),
        pl.col("ts_utc") >= start - back,
        pl.col("ts_utc") < end + back,
    )
    # an integer per GPU, to find each GPU's rows (contiguous and in time order as the lake's
    # files hold them, usually, so no sort is needed)
    s = s.with_columns(host_code=pl.col("host").cast(pl.Categorical).to_physical()).with_columns(
        gpu=pl.col("host_code").cast(pl.Int64) * 65536 + pl.col("gpu_index")
    )
    if _strictly_ordered(s):
        s = _near_window(s, start, end)  # one file per GPU at a time: nothing read twice
    else:
        s = _deduplicated(s, start, end, mtimes).sort("gpu", "ts_utc", "source_path", "line")
    same = pl.col("gpu").shift(-1) == pl.col("gpu")
    nxt = {c: pl.when(same).then(pl.col(c).shift(-1)) for c in ("ts_utc", *READINGS)}
    names = _host_names(s, hosts)
    # one lazy query from here: polars drops columns as soon as nothing reads them
    pairs = (
        s.lazy()
        .select(
            "host_code",
            "gpu_index",
            "workload",
            t0=pl.col("ts_utc"),
            t1=nxt["ts_utc"],
            w0=pl.col("power_w"),
            w1=nxt["power_w"],
            u0=pl.col("util_pct"),
            u1=nxt["util_pct"],
            e0=pl.col("energy_mj"),
            e1=nxt["energy_mj"],
        )
        .filter(pl.col("t1").is_not_null(), pl.col("t1") > start, pl.col("t0") < end)
    )
    idle, span_w = pl.col("idle_w"), pl.col("tdp_w") - pl.col("idle_w")
    priced = (
        pairs.join(names.lazy().select("host_code", "idle_w", "tdp_w"), on="host_code")
        .with_columns(dt_s=_epoch_s(pl.col("t1") - pl.col("t0")))
        .with_columns(
            p0=pl.coalesce("w0", idle + span_w * pl.col("u0") / 100.0),
            p1=pl.coalesce("w1", idle + span_w * pl.col("u1") / 100.0),
            any_estimated=pl.col("w0").is_null() | pl.col("w1").is_null(),
        )
    )
    e0, e1, dt, tdp = pl.col("e0"), pl.col("e1"), pl.col("dt_s"), pl.col("tdp_w")
    wrap_cap = p.wrap_max_tdp_ratio * tdp * dt * 1000.0
    short = dt <= p.max_gap_s
    counted = priced.with_columns(
        counter_mj=pl.when((e1 >= e0) & (e1 - e0 <= p.counter_max_tdp_ratio * tdp
                                          * pl.max_horizontal(dt, pl.lit(1.0)) * 1000.0))
        .then(e1 - e0)
        .when(short & (e1 < e0) & (e0 < TOP_32) & ((TOP_32 - e0) + e1 <= wrap_cap))
        .then((TOP_32 - e0) + e1)
        .when(short & (e1 < e0) & (e0 <= TOP_64) & ((TOP_64 - e0) + e1 <= wrap_cap))
        .then((TOP_64 - e0) + e1),
        gap_power_w=pl.coalesce(
            idle + span_w * (pl.col("u0") + pl.col("u1")) / 200.0,
            (pl.col("p0") + pl.col("p1")) / 2.0,
        ),
    )  # fmt: skip
    counter = pl.col("counter_mj").is_not_null()
    level = pl.col("counter_mj") / 1000.0 / dt

    def shaped(end_power: str) -> pl.Expr:
        return (
            pl.when(counter).then(level)
            .when(dt > p.max_gap_s).then(pl.col("gap_power_w"))
            .otherwise(pl.col(end_power))
        )  # fmt: skip

    iv = counted.filter(
        counter | ((dt <= p.max_fill_s) & pl.col("p0").is_not_null() & pl.col("p1").is_not_null())
    ).select(
        "host_code",
        "gpu_index",
        "workload",
        "t0",
        "t1",
        p0=shaped("p0"),
        p1=shaped("p1"),
        source=pl.when(counter)
        .then(pl.lit("counter"))
        .when((dt > p.max_gap_s) | pl.col("any_estimated"))
        .then(pl.lit("estimated"))
        .otherwise(pl.lit("samples"))
        .cast(SOURCE),
    )
    return iv.collect(), names.select("host_code", "host", "site")


def cut_at_hours(iv: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Intervals cut at hour boundaries, kept within [start, end): the pieces, with power linear
    across each (start_power_w, end_power_w) and energy_wh its trapezoid."""
    iv = iv.lazy()
    hour = pl.col("t0").dt.truncate("1h")
    # most intervals lie within one hour: only those crossing one are exploded into hours
    crossing = pl.col("t1") > hour + timedelta(hours=1)
    one = iv.filter(~crossing).with_columns(hour_utc=hour)
    many = (
        iv.filter(crossing)
        .with_columns(hour_utc=pl.datetime_ranges(hour, pl.col("t1"), "1h", closed="left"))
        .explode("hour_utc")
        .filter(pl.col("hour_utc") < pl.col("t1"))
    )
    pieces = pl.concat([one, many]).filter(pl.col("hour_utc") >= start, pl.col("hour_utc") < end)
    pieces = pieces.with_columns(
        c=pl.max_horizontal("t0", "hour_utc"),
        d=pl.min_horizontal("t1", pl.col("hour_utc") + timedelta(hours=1)),
    ).filter(pl.col("d") > pl.col("c"))
    span = _epoch_s(pl.col("t1") - pl.col("t0"))
    rise = pl.col("p1") - pl.col("p0")
    pieces = pieces.with_columns(
        pc=pl.col("p0") + rise * _epoch_s(pl.col("c") - pl.col("t0")) / span,
        pd=pl.col("p0") + rise * _epoch_s(pl.col("d") - pl.col("t0")) / span,
    )
    return pieces.select(
        "hour_utc",
        "host_code",
        "gpu_index",
        start_utc="c",
        end_utc="d",
        start_power_w="pc",
        end_power_w="pd",
        energy_wh=_epoch_s(pl.col("d") - pl.col("c"))
        * (pl.col("pc") + pl.col("pd"))
        / 2.0
        / 3600.0,
        source="source",
        workload="workload",
    ).collect()


def named(pieces: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """Rows keyed by host_code with the host's name and site instead (and sources as text)."""
    out = pieces.join(names, on="host_code").drop("host_code")
    return out.with_columns(pl.col("source").cast(pl.String))
