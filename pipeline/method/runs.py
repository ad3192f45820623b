"""Energy pieces → the rows gpu_energy_intervals stores: pieces that attribution treats alike,
merged.

The unlabelled pieces of one GPU, hour and source between two consecutive allocation boundaries
on its host are attributed alike (the same jobs hold the host all along), so they are merged into
one row spanning them, at the power that gives their energy over that span; `covered_s` keeps
their own seconds (less than the span where they leave holes: a gap without pieces, or another
source's pieces between them). A 15 s fleet has ~240 pieces per GPU-hour; merged, about one, so
the warehouse grows with GPU-hours, not samples. Pieces crossing a boundary, labelled ones, and
every piece of a host-hour with labelled pieces (whose ends cut the others) stay as they are.
Energy is summed as integer nanowatt-hours and time as integer microseconds: exact, so the same
in any order and on any number of workers.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

COLUMNS = (
    "hour_utc",
    "site",
    "host",
    "gpu_index",
    "start_utc",
    "end_utc",
    "start_power_w",
    "end_power_w",
    "energy_wh",
    "source",
    "workload",
    "covered_s",
)


# what `merge` returns: keyed by host_code (passes.run_unit names the hosts)
KEYED = ("host_code", *(c for c in COLUMNS if c not in ("host", "site")))


def _cuts(allocations: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Per host-hour where the jobs holding the host can change inside the hour: the instants
    (allocation starts and ends not on the hour) and the hour's start, as `cut`."""
    live = allocations.filter(pl.col("start_utc") < end, pl.col("end_utc") > start)
    t = pl.concat(
        [
            live.select("host_code", t="start_utc"),
            live.select("host_code", t="end_utc"),
        ]
    ).filter(pl.col("t") > start, pl.col("t") < end, pl.col("t") != pl.col("t").dt.truncate("1h"))
    t = t.with_columns(hour_utc=pl.col("t").dt.truncate("1h")).unique()
    starts = t.select("host_code", "hour_utc").unique().with_columns(t=pl.col("hour_utc"))
    return pl.concat([t, starts.select(t.columns)]).unique().rename({"t": "cut"})


def merge(
    pieces: pl.DataFrame, allocations: pl.DataFrame, start: datetime, end: datetime
) -> pl.DataFrame:
    """Merged pieces of [start, end) (see the module's docstring), from pieces keyed by
    host_code; `allocations` has host_code, start_utc, end_utc of the window's allocations."""
    cuts = _cuts(allocations, start, end)
    labelled = (
        pieces.filter(pl.col("workload").is_not_null())
        .select("host_code", "hour_utc")
        .unique()
        .with_columns(labelled_hour=pl.lit(True))
    )
    p = pieces.lazy().with_row_index("piece")
    cuts, labelled = cuts.lazy(), labelled.lazy()
    # per piece: the last cut at or before its start (its segment) and whether a cut lies
    # strictly inside it; the cuts of a host-hour are few, so the join stays small
    on_cut = (
        p.select("piece", "host_code", "hour_utc", "start_utc", "end_utc")
        .join(cuts, on=["host_code", "hour_utc"])
        .group_by("piece")
        .agg(
            segment=pl.col("cut").filter(pl.col("cut") <= pl.col("start_utc")).max(),
            cut_inside=(
                (pl.col("cut") > pl.col("start_utc")) & (pl.col("cut") < pl.col("end_utc"))
            ).any(),
        )
    )
    keyed = (
        p.join(on_cut, on="piece", how="left")
        .join(labelled, on=["host_code", "hour_utc"], how="left")
        .with_columns(segment=pl.coalesce("segment", "hour_utc"))
        .with_columns(
            alone=pl.when(
                pl.col("workload").is_null()
                & pl.col("labelled_hour").is_null()
                & ~pl.col("cut_inside").fill_null(False)
            )
            .then(pl.lit(None, dtype=pl.Datetime("us")))
            .otherwise(pl.col("start_utc"))
        )
    )
    us = pl.col("end_utc").dt.epoch("us") - pl.col("start_utc").dt.epoch("us")
    runs = keyed.group_by("hour_utc", "host_code", "gpu_index", "source", "segment", "alone").agg(
        n=pl.len(),
        start_utc=pl.col("start_utc").min(),
        end_utc=pl.col("end_utc").max(),
        start_power_w=pl.col("start_power_w").first(),
        end_power_w=pl.col("end_power_w").first(),
        one_wh=pl.col("energy_wh").first(),
        nwh=(pl.col("energy_wh") * 1e9).round(mode="half_away_from_zero").cast(pl.Int64).sum(),
        workload=pl.col("workload").first(),
        covered_us=us.sum(),
    )
    single = pl.col("n") == 1
    span_s = (pl.col("end_utc") - pl.col("start_utc")).dt.total_microseconds() / 1e6
    energy = pl.when(single).then(pl.col("one_wh")).otherwise(pl.col("nwh") / 1e9)
    level = pl.col("energy_wh") * 3600.0 / span_s
    return (
        runs.with_columns(energy_wh=energy)
        .with_columns(
            start_power_w=pl.when(single).then(pl.col("start_power_w")).otherwise(level),
            end_power_w=pl.when(single).then(pl.col("end_power_w")).otherwise(level),
            covered_s=pl.col("covered_us") / 1e6,
        )
        .select(KEYED)
        .collect()
    )
