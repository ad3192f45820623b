"""Units of the energy pass: (UTC day × host buckets), planned, run and committed.

A unit reads only its own lake files (pipeline/warehouse/lake.py: one per landing file × day ×
bucket) and those of the days within the look-back around it, plus the small inputs every unit
shares (`Inputs`: the inventory's hosts, the files' modification times, the window's job
allocations), and returns the merged pieces of its hosts for its day. Units never touch the
warehouse, so they can run in any process or on any machine (pipeline/method/staging.py, and
pipeline/defs/energy/fanout.py for the Dagster steps); one writer commits them all (`commit`),
in one transaction per window, so a crashed or rerun unit leaves the warehouse as it was.
Results do not depend on how the buckets are grouped: every sum in a unit is over one GPU, and
the commit sorts the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import polars as pl

from pipeline.method import runs
from pipeline.method.pieces import COLUMNS, Params, cut_at_hours, intervals, named
from pipeline.warehouse import frame, insert_frame, lake, run, transaction
from pipeline.warehouse.store import Store

# a unit holds about this many samples at most (the pass peaks near 300 B a sample: 1.25 GiB
# measured for 4 M): the buckets of a day are grouped up to it, so memory stays bounded
# whatever the fleet
UNIT_ROWS = 4_000_000
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Inputs:
    """What every unit shares, read once from the warehouse."""

    lake: str  # the lake's root: a folder or s3://... (pipeline/warehouse/store.py)
    params: Params
    hosts: pl.DataFrame  # host, site, idle_w, tdp_w
    mtimes: pl.DataFrame  # source_path, mtime_ns
    allocations: pl.DataFrame  # host, start_utc, end_utc of the window's allocations

    @classmethod
    def read(
        cls, con: duckdb.DuckDBPyConnection, params: Params, start: datetime, end: datetime
    ) -> Inputs:
        return cls(
            lake=lake.store_of(con).root,
            params=params,
            hosts=frame(con, "select_hosts_power"),
            mtimes=frame(con, "select_manifest_mtimes"),
            allocations=frame(con, "select_job_allocation_bounds", {"start": start, "end": end}),
        )


@dataclass(frozen=True)
class Unit:
    start: datetime  # a UTC day
    buckets: tuple[int, ...]
    files: tuple[str, ...]  # lake paths, relative to the lake's root
    rows: int  # samples of its own day

    @property
    def end(self) -> datetime:
        return self.start + DAY


def days(start: datetime, end: datetime) -> list[datetime]:
    out, d = [], start
    while d < end:
        out.append(d)
        d += DAY
    return out


def plan(
    con: duckdb.DuckDBPyConnection,
    inputs: Inputs,
    start: datetime,
    end: datetime,
    unit_rows: int = UNIT_ROWS,
    units_per_day: int | None = None,
) -> list[Unit]:
    """The units of days [start, end): each day's buckets with samples, grouped greedily by
    their samples (largest first, into the lightest unit) into `units_per_day` units, or into
    as many as keep a unit under `unit_rows` samples."""
    back = timedelta(seconds=inputs.params.lookback_s)
    files = frame(con, "select_lake_files_near", {"lo": start - back, "hi": end + back})
    out: list[Unit] = []
    for day in days(start, end):
        lo, hi = day - back, day + DAY + back
        near = files.filter(pl.col("min_ts_utc") < hi, pl.col("max_ts_utc") >= lo)
        own = near.filter(pl.col("day") == day.date())
        sizes = (
            own.group_by("bucket")
            .agg(pl.col("rows").sum())
            .sort("rows", "bucket", descending=[True, False])
        )
        if sizes.height == 0:
            continue
        n = units_per_day or max(1, -(-int(sizes["rows"].sum()) // unit_rows))
        groups: list[list[int]] = [[] for _ in range(min(n, sizes.height))]
        load = [0] * len(groups)
        for bucket, rows in sizes.iter_rows():
            i = load.index(min(load))
            groups[i].append(bucket)
            load[i] += rows
        for buckets, rows in zip(groups, load, strict=True):
            paths = near.filter(pl.col("bucket").is_in(buckets)).get_column("path").to_list()
            out.append(Unit(day, tuple(sorted(buckets)), tuple(sorted(paths)), rows))
    return out


def read_samples(inputs: Inputs, unit: Unit) -> pl.DataFrame:
    back = timedelta(seconds=inputs.params.lookback_s)
    if not unit.files:
        return pl.DataFrame(schema={c: lake.schema()[c] for c in COLUMNS})
    return (
        Store(inputs.lake)
        .scan(list(unit.files), list(COLUMNS))
        .filter(pl.col("ts_utc") >= unit.start - back, pl.col("ts_utc") < unit.end + back)
        .collect()
    )


def _pieces(inputs: Inputs, unit: Unit) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The unit's pieces keyed by host_code, and the hosts' names and sites by host_code."""
    samples = read_samples(inputs, unit)
    iv, names = intervals(samples, inputs.hosts, inputs.mtimes, unit.start, unit.end, inputs.params)
    return cut_at_hours(iv, unit.start, unit.end), names


def unit_pieces(inputs: Inputs, unit: Unit) -> pl.DataFrame:
    """The unit's energy pieces (not merged): what the tests compare with the SQL reference."""
    return named(*_pieces(inputs, unit))


def run_unit(inputs: Inputs, unit: Unit) -> pl.DataFrame:
    """The unit's merged pieces, the rows gpu_energy_intervals stores."""
    keyed, names = _pieces(inputs, unit)
    allocations = inputs.allocations.join(names.select("host", "host_code"), on="host")
    merged = runs.merge(keyed, allocations, unit.start, unit.end)
    return named(merged, names).select(runs.COLUMNS)


def commit(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, parts: list[pl.DataFrame]
) -> int:
    """Replace the window's rows of gpu_energy_intervals with the units' rows, in one
    transaction, in a fixed order (so a rerun, or another grouping of buckets, stores the same
    rows); the rows written."""
    rows = pl.concat(parts) if parts else pl.DataFrame(schema=_empty_schema())
    rows = rows.sort("host", "gpu_index", "start_utc", "source")
    with transaction(con):
        run(con, "delete_gpu_energy_intervals_window", {"start": start, "end": end})
        insert_frame(con, "gpu_energy_intervals", rows)
    return rows.height


def _empty_schema() -> dict[str, pl.DataType]:
    return {
        "hour_utc": pl.Datetime("us"),
        "site": pl.String,
        "host": pl.String,
        "gpu_index": pl.Int32,
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
        "start_power_w": pl.Float64,
        "end_power_w": pl.Float64,
        "energy_wh": pl.Float64,
        "source": pl.String,
        "workload": pl.String,
        "covered_s": pl.Float64,
    }
