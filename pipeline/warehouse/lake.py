"""The telemetry lake: GPU samples as Parquet beside the warehouse, the raw record of telemetry.

GPU samples are the one input that grows with the fleet × the cadence (57.6 M rows a day for
10,000 GPUs at 15 s), so they are not stored in the DuckDB warehouse. Ingest writes each landing
file's accepted samples once, as Parquet, under the lake folder beside the warehouse
(`wattprint.duckdb` → `wattprint.lake/`):

    gpu_samples/day=<UTC day>/bucket=<host bucket>/<source key>-<generation>.parquet

one file per landing file × UTC day × host bucket, rows sorted by host, GPU and time, so the work
of one (day, bucket) reads only its own files. The lake can instead live on S3-compatible object
storage (config `paths.lake: s3://bucket/prefix`, pipeline/warehouse/store.py); the warehouse
records where its lake is (`lake_location`) and refuses to be pointed at another one. The bucket
of a host is CRC-32 of its name modulo `BUCKETS`, fixed for a lake (changing it means rebuilding
the lake from the landing files).

The table `lake_files` (sql/raw/create_lake_files.sql) lists the files that count. Files are
written before the warehouse transaction that lists them and removed after the one that forgets
them, so a crash leaves at most unlisted files, which are never read and are collected by the
next ingest (`collect_garbage`). Every connection reads the samples through the temporary view
`raw_gpu_samples` over the listed files (`refresh_view`), so SQL reads them as it read the table
they replace; `pipeline.warehouse.insert_frame` into `raw_gpu_samples` writes lake files.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipeline.warehouse.store import Store

SAMPLES = "raw_gpu_samples"
BUCKETS = 64
FOLDER = "gpu_samples"
SORT = ("host", "gpu_index", "ts_utc", "line")


def root_for(warehouse_path: Path | str) -> Path:
    """The default lake folder of a warehouse file: `wattprint.duckdb` → `wattprint.lake`."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".lake")


def _database_path(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
        ).fetchall()[0][0]
    )


def store_of(con: duckdb.DuckDBPyConnection) -> Store:
    """The lake of the warehouse `con` is connected to: where it recorded it, else the folder
    beside the file."""
    from pipeline.warehouse import run

    if _has_table(con, "lake_location"):
        rows = run(con, "select_lake_location").fetchall()
        if rows:
            return Store(rows[0][0])
    path = _database_path(con)
    if path is None:
        raise ValueError("the telemetry lake lives beside a warehouse file; this is in memory")
    return Store(root_for(path))


class LakeMoved(ValueError):
    """The config names another lake than the one the warehouse's samples are in."""


def locate(con: duckdb.DuckDBPyConnection, root: str | None) -> Store:
    """Record where this warehouse's lake is: `root` (the config's `paths.lake`), or None for the
    folder beside the file (not recorded, so a warehouse moved with its lake keeps finding it). A
    warehouse that already lists files in another lake refuses: its samples would be lost to it."""
    from pipeline.warehouse import run

    rows = run(con, "select_lake_location").fetchall()
    recorded = rows[0][0] if rows else None
    wanted = Store(root).root if root is not None else None
    if recorded == wanted:
        return store_of(con)
    if listed(con):
        here = store_of(con).root
        said = root if root is not None else "not set (the folder beside the warehouse)"
        raise LakeMoved(
            f"the warehouse's GPU samples are in the lake at {here}, but the config's "
            f"paths.lake is {said}; move the lake's files there and update lake_location, or "
            "point paths.lake back, or delete the warehouse to rebuild it from the landing files"
        )
    if wanted is None:
        run(con, "delete_lake_location")
    else:
        run(con, "upsert_lake_location", {"root": wanted})
    return store_of(con)


def bucket_of(host: str, buckets: int = BUCKETS) -> int:
    """A host's bucket: stable across processes and machines (unlike Python's `hash`)."""
    return zlib.crc32(host.encode()) % buckets


@cache
def schema() -> pl.Schema:
    """The samples' columns and their polars types, from sql/raw/schema_raw_gpu_samples.sql (the
    one place they are defined)."""
    from pipeline.warehouse import sql

    con = duckdb.connect()
    try:
        con.execute(sql("schema_raw_gpu_samples"))
        return con.table(SAMPLES).limit(0).pl().schema
    finally:
        con.close()


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every sample column, in order (absent ones NULL), in the lake's types."""
    want = schema()
    unknown = sorted(set(frame.columns) - set(want))
    if unknown:
        raise ValueError(f"frame for {SAMPLES} has columns the table lacks: {unknown}")
    return frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in want.items()
    )


def _source_key(source_path: str) -> str:
    return hashlib.sha256(source_path.encode()).hexdigest()[:16]


def write(store: Store, frame: pl.DataFrame) -> pl.DataFrame:
    """Write samples (any number of landing files, by `source_path`) as new lake files; the
    rows for `lake_files` describing them. Nothing counts until those rows are inserted."""
    frame = _conform(frame)
    if frame.height == 0:
        return pl.DataFrame(schema=_FILES_SCHEMA)
    hosts = frame.get_column("host").unique()
    buckets = pl.DataFrame(
        {"host": hosts, "bucket": [bucket_of(h) for h in hosts]},
        schema={"host": pl.String, "bucket": pl.Int32},
    )
    keyed = frame.with_columns(day=pl.col("ts_utc").dt.date()).join(buckets, on="host")
    generation = uuid.uuid4().hex[:12]
    rows = []
    for (source, day, bucket), part in keyed.group_by(
        ["source_path", "day", "bucket"], maintain_order=True
    ):
        rel = f"{FOLDER}/day={day}/bucket={bucket:03d}/{_source_key(source)}-{generation}.parquet"
        part = part.drop("day", "bucket").sort(SORT)
        size = store.write_parquet(rel, part)
        ts = part.get_column("ts_utc")
        rows.append((source, day, bucket, rel, part.height, size, ts.min(), ts.max()))
    return pl.DataFrame(rows, schema=_FILES_SCHEMA, orient="row")


_FILES_SCHEMA = {
    "source_path": pl.String,
    "day": pl.Date,
    "bucket": pl.Int32,
    "path": pl.String,
    "rows": pl.Int64,
    "bytes": pl.Int64,
    "min_ts_utc": pl.Datetime("us"),
    "max_ts_utc": pl.Datetime("us"),
}


def listed(con: duckdb.DuckDBPyConnection) -> list[str]:
    from pipeline.warehouse import run

    return [r[0] for r in run(con, "select_lake_files").fetchall()]


def collect_garbage(con: duckdb.DuckDBPyConnection, store: Store) -> int:
    """Remove lake files nothing lists (left by a write that crashed before it committed); the
    number removed. Call under the warehouse's exclusive lock (an ingest), never beside one."""
    keep = set(listed(con))
    stray = [rel for rel in store.files(FOLDER) if rel not in keep]
    store.remove(stray)
    return len(stray)


def refresh_view(
    con: duckdb.DuckDBPyConnection, store: Store | None = None, paths: list[str] | None = None
) -> None:
    """(Re)register `raw_gpu_samples` on this connection over the listed lake files: a folder's
    files as DuckDB's own Parquet scan, object storage as a pyarrow dataset (DuckDB pushes
    filters and columns down to both). Registered, not a SQL view: no path is ever written into
    SQL text, and a read-only connection can do it. `paths`: these files only (`narrowed`)."""
    store = store or store_of(con)
    if paths is None:
        paths = listed(con) if _has_table(con, "lake_files") else []
    try:
        con.unregister(SAMPLES)
    except duckdb.Error:
        pass
    empty = pl.DataFrame(schema=schema()).to_arrow()
    if not paths:
        con.register(SAMPLES, empty)
    elif store.remote:
        con.register(SAMPLES, store.dataset(paths, schema=empty.schema))
    else:
        scan = con.read_parquet([str(store.local(p)) for p in paths])
        con.register(SAMPLES, scan.select(*schema().names()))


def append(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Add samples to the lake in one transaction (what `insert_frame` does for
    `raw_gpu_samples`); the rows added."""
    from pipeline.warehouse import insert_frame, transaction

    store = store_of(con)
    files = write(store, frame)
    try:
        with transaction(con):
            insert_frame(con, "lake_files", files)
    except BaseException:
        store.remove(files.get_column("path").to_list())
        raise
    refresh_view(con, store)
    return frame.height


def migrate_table(con: duckdb.DuckDBPyConnection) -> int:
    """Move the samples of a warehouse from before the lake (a `raw_gpu_samples` table) into
    the lake and drop the table; the rows moved."""
    from pipeline.warehouse import insert_frame, transaction

    if not _has_table(con, SAMPLES):
        return 0
    frame = con.sql("SELECT * FROM main.raw_gpu_samples").pl()
    files = write(store_of(con), frame)
    with transaction(con):
        insert_frame(con, "lake_files", files)
        con.execute("DROP TABLE main.raw_gpu_samples")
    return frame.height


@contextmanager
def narrowed(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> Iterator[None]:
    """Within the block, `raw_gpu_samples` reads only the lake files holding samples in
    [lo, hi] (by the min/max `lake_files` keeps), so a query about a window opens those files,
    not every file of the history; the full view is back after it."""
    from pipeline.warehouse import run

    store = store_of(con)
    near = [r[2] for r in run(con, "select_lake_files_near", {"lo": lo, "hi": hi}).fetchall()]
    refresh_view(con, store, paths=sorted(set(near)))
    try:
        yield
    finally:
        refresh_view(con, store)
