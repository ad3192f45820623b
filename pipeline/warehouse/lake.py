"""The telemetry lake: GPU samples as Parquet beside the warehouse, the raw record of telemetry.

GPU samples are the one input that grows with the fleet × the cadence (57.6 M rows a day for
10,000 GPUs at 15 s), so they are not stored in the DuckDB warehouse. Ingest writes each landing
file's accepted samples once, as Parquet, under the lake folder beside the warehouse
(`wattprint.duckdb` → `wattprint.lake/`):

    gpu_samples/day=<UTC day>/bucket=<host bucket>/<source key>-<generation>.parquet

one file per landing file × UTC day × host bucket, rows sorted by host, GPU and time, so the work
of one (day, bucket) reads only its own files. The bucket of a host is CRC-32 of its name modulo
`BUCKETS`, fixed for a lake (changing it means rebuilding the lake from the landing files).

The table `lake_files` (sql/raw/create_lake_files.sql) lists the files that count. Files are
written before the warehouse transaction that lists them and removed after the one that forgets
them, so a crash leaves at most unlisted files, which are never read and are collected by the
next ingest (`collect_garbage`). Every connection reads the samples through the temporary view
`raw_gpu_samples` over the listed files (`refresh_view`), so SQL reads them as it read the table
they replace; `pipeline.warehouse.insert_frame` into `raw_gpu_samples` writes lake files.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zlib
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SAMPLES = "raw_gpu_samples"
BUCKETS = 64
FOLDER = "gpu_samples"
SORT = ("host", "gpu_index", "ts_utc", "line")


def root_for(warehouse_path: Path | str) -> Path:
    """The lake folder of a warehouse file: `wattprint.duckdb` → `wattprint.lake`."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".lake")


def root_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The lake folder of the warehouse file `con` is connected to."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    row = rows[0] if rows else None
    if row is None or not row[0]:
        raise ValueError("the telemetry lake lives beside a warehouse file; this is in memory")
    return root_for(row[0])


def bucket_of(host: str, buckets: int = BUCKETS) -> int:
    """A host's bucket: stable across processes and machines (unlike Python's `hash`)."""
    return zlib.crc32(host.encode()) % buckets


@cache
def _columns() -> tuple[pl.Schema, dict[str, str]]:
    """The samples' columns as polars and as DuckDB types, from
    sql/raw/schema_raw_gpu_samples.sql (the one place they are defined)."""
    from pipeline.warehouse import sql

    con = duckdb.connect()
    try:
        con.execute(sql("schema_raw_gpu_samples"))
        duck = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [SAMPLES],
            ).fetchall()
        )
        return con.table(SAMPLES).limit(0).pl().schema, duck
    finally:
        con.close()


def schema() -> pl.Schema:
    """The samples' columns and their polars types."""
    return _columns()[0]


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


def write(root: Path, frame: pl.DataFrame) -> pl.DataFrame:
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
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name("." + target.name + ".tmp")
        part = part.drop("day", "bucket").sort(SORT)
        part.write_parquet(tmp, statistics=True)
        os.replace(tmp, target)
        ts = part.get_column("ts_utc")
        rows.append(
            (source, day, bucket, rel, part.height, target.stat().st_size, ts.min(), ts.max())
        )
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


def remove(root: Path, paths: list[str]) -> None:
    """Delete lake files no longer listed (after the transaction that forgot them)."""
    for rel in paths:
        (root / rel).unlink(missing_ok=True)


def listed(con: duckdb.DuckDBPyConnection) -> list[str]:
    from pipeline.warehouse import run

    return [r[0] for r in run(con, "select_lake_files").fetchall()]


def collect_garbage(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Remove lake files nothing lists (left by a write that crashed before it committed); the
    number removed. Call under the warehouse's exclusive lock (an ingest), never beside one."""
    folder = root / FOLDER
    if not folder.is_dir():
        return 0
    keep = set(listed(con))
    gone = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(root).as_posix() not in keep:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def refresh_view(con: duckdb.DuckDBPyConnection, root: Path | None = None) -> None:
    """(Re)create the temporary view `raw_gpu_samples` over the listed lake files. A view cannot
    take bound parameters, so the paths are quoted here (DuckDB's '' escape); they are ours (the
    lake folder and names built from a day, a number and hex digits)."""
    root = root or root_of(con)
    has_table = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'lake_files' AND NOT temporary"
    ).fetchall()[0][0]
    paths = listed(con) if has_table else []
    columns = ", ".join(f'CAST("{c}" AS {_duck_type(c)}) AS "{c}"' for c in schema())
    if paths:
        files = ", ".join(_quoted(str(root / p)) for p in paths)
        body = f"SELECT {columns} FROM read_parquet([{files}])"
    else:
        nulls = ", ".join(f'CAST(NULL AS {_duck_type(c)}) AS "{c}"' for c in schema())
        body = f"SELECT {nulls} LIMIT 0"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {SAMPLES} AS {body}")


def _duck_type(column: str) -> str:
    return _columns()[1][column]


def append(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Add samples to the lake in one transaction (what `insert_frame` does for
    `raw_gpu_samples`); the rows added."""
    from pipeline.warehouse import insert_frame, transaction

    root = root_of(con)
    files = write(root, frame)
    try:
        with transaction(con):
            insert_frame(con, "lake_files", files)
    except BaseException:
        remove(root, files.get_column("path").to_list())
        raise
    refresh_view(con, root)
    return frame.height


def migrate_table(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Move the samples of a warehouse from before the lake (a `raw_gpu_samples` table) into
    the lake and drop the table; the rows moved."""
    from pipeline.warehouse import insert_frame, transaction

    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE table_name = 'raw_gpu_samples' AND schema_name = 'main' AND NOT temporary"
    ).fetchall()[0][0]
    if not exists:
        return 0
    frame = con.sql("SELECT * FROM main.raw_gpu_samples").pl()
    files = write(root, frame)
    with transaction(con):
        insert_frame(con, "lake_files", files)
        con.execute("DROP TABLE main.raw_gpu_samples")
    return frame.height
