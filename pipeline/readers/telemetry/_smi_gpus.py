"""Which GPU each row of an nvidia-smi log is, and the inventory's cap on GPUs per host.

With an `index` column the log says it. Without one:

- a `uuid`, `pci.bus_id` or `serial` column names each GPU: its index is the order in which its
  identity first appears on its host (the first poll lists them in index order);
- with none of those, the GPUs are the rows of one poll, in index order. nvidia-smi stamps each
  row with its own time (rows of a poll a few ms apart), so a poll is found from two things:
  * **bursts**: a row at least `POLL_GAP_US` (0.1 s) after the previous row of its host, before
    it (a restart, the autumn clock change) or in another section (a repeated header) starts a
    burst. A poll never spans 0.1 s, so a burst is one poll or several polls run together
    (`-lms` under ~100 ms, or polls started every 100 ms);
  * **rows per poll** `P`: the host's GPU count in the inventory (`host_groups`), or, where the
    log's own bursts say more clearly (most of the host's rows in bursts of at most
    `MAX_GPUS_PER_HOST` rows, and millisecond timestamps), the commonest burst size. A burst is
    cut into polls of `P` rows.
  A time threshold alone never numbers GPUs: at `-lms 100` polls run together or not depending
  on a few ms, which once gave an 8-GPU host more than 200 GPUs (about 20 times its energy).

The inventory caps every path: a row whose GPU would be index `G` or more on a host with `G`
GPUs in `host_groups` is quarantined with the reason (a log showing 16 GPUs on an 8-GPU host is
a wrong inventory or a wrong host folder; its extra GPUs are not counted). A host missing from
the inventory keeps the GPUs its log shows (the coverage report lists such hosts); when its polls
run together and nothing else tells its GPUs apart, its rows are quarantined saying so.
Timestamps at whole seconds cannot show a poll's own rows apart from several polls, so there
the inventory's count is used as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

# A poll's rows are written milliseconds apart; `-l 1` polls are a second apart.
POLL_GAP_US = 100_000
# The most GPUs one host can have (config `host_groups[].gpus` allows 1-64).
MAX_GPUS_PER_HOST = 64

_INVENTORY_SCHEMA = {"host": pl.String, "inventory_gpus": pl.Int32}


def _inventory(gpus_per_host: Mapping[str, int] | None) -> pl.DataFrame:
    rows = dict(gpus_per_host or {})
    return pl.DataFrame(
        {"host": list(rows), "inventory_gpus": list(rows.values())}, schema=_INVENTORY_SCHEMA
    )


def _scatter(height: int, sub: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Series:
    """A column of `height` rows that is `sub[name]` at `sub["_i"]` and null elsewhere."""
    full = pl.repeat(None, height, dtype=dtype, eager=True).rename(name)
    if sub.height:
        full = full.scatter(sub["_i"], sub[name].cast(dtype))
    return full


def _by_identity(frame: pl.DataFrame) -> pl.DataFrame:
    """(`_i`, `pos`) of rows named by a uuid/bus id/serial: order of first appearance."""
    by_id = frame.filter(pl.col("by_identity") & pl.col("id_key").is_not_null())
    # The first well-formed row of each identity fixes its place; a mangled line's truncated
    # identity must not push the real GPUs along.
    first = by_id.filter(pl.col("count_ok")).group_by("host", "id_key").agg(first=pl.min("line"))
    first = first.with_columns(pos=(pl.col("first").rank("dense").over("host") - 1).cast(pl.Int32))
    return by_id.join(first, on=["host", "id_key"], how="inner").select("_i", "pos")


def _rows_per_poll(bursts: pl.DataFrame, inventory: pl.DataFrame) -> pl.DataFrame:
    """Per host: `per_poll` (null when it cannot be told) from bursts and the inventory."""
    sizes = bursts.group_by("host", "burst").agg(size=pl.len())
    small = sizes.filter(pl.col("size") <= MAX_GPUS_PER_HOST)
    modal = (
        small.group_by("host", "size")
        .agg(n=pl.len())
        .sort(["host", "n", "size"], descending=[False, True, True])
        .group_by("host", maintain_order=True)
        .first()
        .select("host", modal="size")
    )
    stats = bursts.group_by("host").agg(
        rows=pl.len(),
        ms=(pl.col("ts_local").dt.microsecond() != 0).any(),
    )
    in_small = small.group_by("host").agg(small_rows=pl.col("size").sum())
    stats = (
        stats.join(in_small, on="host", how="left")
        .join(modal, on="host", how="left")
        .join(inventory, on="host", how="left")
    )
    # The log's own bursts speak when most rows are in them.
    clear = pl.col("small_rows").fill_null(0) * 2 >= pl.col("rows")
    from_log = pl.when(clear).then(pl.col("modal"))
    known = pl.col("inventory_gpus").is_not_null()
    per_poll = (
        pl.when(known & pl.col("ms") & from_log.is_not_null())
        .then(from_log)
        .when(known)
        .then(pl.col("inventory_gpus"))
        .otherwise(from_log)
    )
    return stats.select("host", per_poll=per_poll.cast(pl.Int32))


def _by_poll(frame: pl.DataFrame, inventory: pl.DataFrame) -> pl.DataFrame:
    """(`_i`, `pos`, `per_poll`) of rows numbered by their place in a poll; `pos` is null where
    the host's rows per poll cannot be told."""
    rows = frame.filter(
        ~pl.col("has_index") & ~pl.col("by_identity") & pl.col("ts_local").is_not_null()
    ).select("_i", "host", "segment", "ts_local")
    prev = pl.col("ts_local").shift(1).over("host")
    gap = (pl.col("ts_local") - prev).dt.total_microseconds()
    new_burst = (
        gap.is_null()
        | (gap < 0)
        | (gap >= POLL_GAP_US)
        | (pl.col("segment") != pl.col("segment").shift(1).over("host"))
    )
    bursts = rows.with_columns(burst=new_burst.cum_sum().over("host"))
    per_poll = _rows_per_poll(bursts, inventory)
    return (
        bursts.with_columns(k=pl.int_range(pl.len(), dtype=pl.Int32).over("host", "burst"))
        .join(per_poll, on="host", how="left")
        .select("_i", "per_poll", pos=pl.col("k") % pl.col("per_poll"))
    )


def number_gpus(frame: pl.DataFrame, gpus_per_host: Mapping[str, int] | None) -> pl.DataFrame:
    """`frame` with `gpu_index` (null when not known) and `gpu_problem` (why a row has no GPU,
    or null). Needs `_i` (0..height-1), `line`, `host`, `segment`, `ts_local`, `count_ok`,
    `has_index`, `index` (the parsed index column, null when bad), `by_identity`, `id_key`."""
    inventory = _inventory(gpus_per_host)
    n = frame.height
    if frame.select((~pl.col("has_index")).any()).item():
        ident = _by_identity(frame)
        poll = _by_poll(frame, inventory)
        pos = _scatter(n, pl.concat([ident, poll.select("_i", "pos")]), "pos", pl.Int32)
        frame = frame.with_columns(
            gpu_index=pl.when(pl.col("has_index")).then(pl.col("index")).otherwise(pos),
            per_poll=_scatter(n, poll, "per_poll", pl.Int32),
            polled=_scatter(n, poll.with_columns(polled=pl.lit(True)), "polled", pl.Boolean),
        )
    else:
        frame = frame.with_columns(
            gpu_index=pl.col("index"),
            per_poll=pl.lit(None, dtype=pl.Int32),
            polled=pl.lit(None, dtype=pl.Boolean),
        )
    frame = frame.join(inventory, on="host", how="left", maintain_order="left")
    cap = pl.col("inventory_gpus")
    over = pl.col("gpu_index").is_not_null() & cap.is_not_null() & (pl.col("gpu_index") >= cap)
    lists = pl.format("host_groups lists {} for host {}", cap, pl.col("host"))
    problem = (
        pl.when(over & pl.col("has_index"))
        .then(
            pl.format(
                "index: GPU index {} is beyond the GPUs the inventory has ({}, indices 0-{})",
                pl.col("gpu_index"),
                lists,
                cap - 1,
            )
        )
        .when(over & pl.col("by_identity"))
        .then(
            pl.format(
                "{} is GPU number {} seen on this host, beyond the inventory ({}); "
                "log the index column or correct host_groups",
                pl.col("id_key"),
                pl.col("gpu_index") + 1,
                lists,
            )
        )
        .when(over)
        .then(
            pl.format(
                "no index or uuid column: this poll lists {} GPUs but {}; "
                "GPU {} of the poll is not counted (log the index column or correct host_groups)",
                pl.col("per_poll"),
                lists,
                pl.col("gpu_index"),
            )
        )
        .when(pl.col("polled").fill_null(False) & pl.col("gpu_index").is_null())
        .then(
            pl.format(
                "no index or uuid column, and host {} is not in host_groups: its polls run "
                "together (no 0.1 s pause between them), so its GPUs cannot be told apart; add "
                "the host to host_groups with its GPU count, or log the index column",
                pl.col("host"),
            )
        )
    )
    return frame.with_columns(
        gpu_index=pl.when(over).then(None).otherwise(pl.col("gpu_index")),
        gpu_problem=problem.otherwise(None),
    ).drop("inventory_gpus", "per_poll", "polled")
