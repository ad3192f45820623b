"""The DuckDB warehouse: one file, SQL from `sql/`, partition writes as single transactions.

Every `connect` holds the warehouse's inter-process lock (`pipeline.warehouse.lock`: exclusive for
a read-write connection, shared for a read-only one) so that Dagster's multiprocess executor and
concurrent runs can share the file, creates or migrates the tables a read-write connection writes,
and opens the view `raw_gpu_samples` over the telemetry lake beside the file
(`pipeline.warehouse.lake`: GPU samples are Parquet files, not warehouse rows). The helpers below
run one `sql/**/<name>.sql` file each (`run`, `one`, `frame`) or write a frame or a partition
window in one transaction (`insert_frame`, `replace_window`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

# WarehouseBusy (what `connect` raises when it waits too long) and the variable it reads the wait
# from belong to `connect`'s interface
from pipeline.warehouse.lock import LOCK_TIMEOUT_ENV as LOCK_TIMEOUT_ENV
from pipeline.warehouse.lock import WarehouseBusy as WarehouseBusy
from pipeline.warehouse.lock import resolve_lock_timeout_s, warehouse_lock

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
MEMORY_LIMIT_ENV = "WATTPRINT_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "1GiB"
log = logging.getLogger("wattprint.warehouse")


@cache
def sql_files() -> dict[str, Path]:
    """Every SQL file under `sql/` (in its layer's folder, see sql/README.md) by its name, which
    is unique across the folders so callers address a statement by name alone."""
    found: dict[str, Path] = {}
    for path in sorted(SQL_DIR.rglob("*.sql")):
        if path.stem in found:
            raise ValueError(f"two SQL files named {path.name}: {found[path.stem]} and {path}")
        found[path.stem] = path
    return found


@cache
def sql(name: str) -> str:
    """The text of the file `<name>.sql` under `sql/`; one statement per file."""
    path = sql_files().get(name)
    if path is None:
        raise FileNotFoundError(f"no SQL file {name}.sql under {SQL_DIR}")
    return path.read_text()


def schema_files() -> list[str]:
    """Every `create_*` statement, in name order (tables have no foreign keys)."""
    return sorted(name for name in sql_files() if name.startswith("create_"))


class SchemaMismatch(RuntimeError):
    """A warehouse table was built by another release in a way that cannot be migrated in place."""


@cache
def expected_columns(name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(table, ((column, type), ...)) that `create_<table>.sql` creates, read off an
    in-memory DB (so types are spelled exactly as DuckDB reports them)."""
    table = name.removeprefix("create_")
    con = duckdb.connect()
    try:
        con.execute(sql(name))
        columns = tuple(run(con, "select_table_columns", {"table": table}).fetchall())
    finally:
        con.close()
    if not columns:
        raise ValueError(f"{name}.sql does not create a table named {table}")
    return table, columns


def _migrate(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    """Bring a table an older release created up to its CREATE statement where that is safe:
    columns added at the end are added, a column whose type changed is converted. Anything else
    (renamed, removed or reordered columns) is an error that says to rebuild."""
    table, want = expected_columns(name)
    have = [tuple(r) for r in run(con, "select_table_columns", {"table": table}).fetchall()]
    if have == list(want):
        return
    if [c for c, _ in have] != [c for c, _ in want[: len(have)]]:
        raise SchemaMismatch(
            f"{path}: table {table} has columns {[c for c, _ in have]} but this release expects "
            f"{[c for c, _ in want]}; delete the warehouse file to rebuild it from the landing "
            "files (nothing in it is kept only there)"
        )
    # Identifiers and types come from our own sql/ files, never from input data.
    for (column, old), (_, new) in zip(have, want, strict=False):
        if old != new:
            con.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {new}')
    for column, kind in want[len(have) :]:
        con.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {kind}')


def memory_limit() -> str:
    """DuckDB's memory limit: env `WATTPRINT_DUCKDB_MEMORY_LIMIT`, default 1 GiB. Beyond it
    DuckDB spills sorts and joins to `<warehouse>.tmp/`, so a nightly run over 57.6 M samples
    stays within a 2 GiB process (DuckDB's own default is 80 % of the machine's memory)."""
    return os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)


def _open(path: Path, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried while a process outside this lock (a DuckDB shell, a notebook)
    holds DuckDB's own file lock."""
    pause = 0.05
    while True:
        try:
            return duckdb.connect(
                str(path), read_only=read_only, config={"memory_limit": memory_limit()}
            )
        except duckdb.IOException as e:
            if "Could not set lock" not in str(e) or time.monotonic() >= deadline:
                raise
            log.warning("%s is open in another program; retrying (%s)", path, e)
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


@contextmanager
def connect(
    path: Path | str,
    read_only: bool = False,
    lock_timeout_s: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse, held under its inter-process lock (see
    `pipeline.warehouse.lock`); read-write connections create and migrate the tables first. Keep
    it short: open, write, close; every other process wanting the file waits meanwhile."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    timeout = resolve_lock_timeout_s(lock_timeout_s)
    deadline = time.monotonic() + timeout
    with warehouse_lock(path, exclusive=not read_only, timeout_s=timeout, on_wait=on_wait):
        con = _open(path, read_only, deadline)
        try:
            from pipeline.warehouse import lake

            if not read_only:
                for name in schema_files():
                    con.execute(sql(name))
                    _migrate(con, path, name)
                lake.migrate_table(con)
            lake.refresh_view(con)
            yield con
        finally:
            con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing: a failure between a partition's delete and insert leaves it as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def run(
    con: duckdb.DuckDBPyConnection, name: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> duckdb.DuckDBPyConnection:
    return con.execute(sql(name), params)


def frame(
    con: duckdb.DuckDBPyConnection, name: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> pl.DataFrame:
    """Run a query file and hand the result over as Arrow, not rows."""
    return pl.from_arrow(con.sql(sql(name), params=params).to_arrow_table())  # type: ignore[return-value]


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame) -> int:
    """Append a polars frame to a table by column name (through Arrow, no Python rows or SQL
    text). Table columns the frame lacks are NULL; a column the table lacks is an error."""
    if table == "raw_gpu_samples":  # not a table: the telemetry lake's files
        from pipeline.warehouse import lake

        return lake.append(con, df)
    columns = con.table(table).columns
    unknown = sorted(set(df.columns) - set(columns))
    if unknown:
        raise ValueError(f"frame for {table} has columns the table lacks: {unknown}")
    if df.height:
        rel = con.from_arrow(df.to_arrow())
        rel.select(
            *(
                duckdb.ColumnExpression(c)
                if c in df.columns
                else duckdb.ConstantExpression(None).alias(c)
                for c in columns
            )
        ).insert_into(table)
    return df.height


def replace_window(
    con: duckdb.DuckDBPyConnection,
    table: str,
    params: Mapping[str, Any],
    parallel: bool = False,
) -> int:
    """Recompute one table's rows for a window: `delete_<table>_window` then `insert_<table>`,
    in one transaction, so a rerun gives the same rows and a failure leaves the old ones.
    `parallel`: the insert adds no floats up, so every thread count gives the same rows."""
    window = {"start": params["start"], "end": params["end"]}
    # Sums in the SQL are ordered; one thread as well, because DuckDB's parallel operators can still
    # feed equal-keyed float additions in varying order, and a rerun must give the same bits.
    if not parallel:
        con.execute("SET threads = 1")
    try:
        with transaction(con):
            run(con, f"delete_{table}_window", window)
            inserted = run(con, f"insert_{table}", params).fetchall()
    finally:
        con.execute("RESET threads")
    return int(inserted[0][0]) if inserted else 0


def one(
    con: duckdb.DuckDBPyConnection, name: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> tuple:
    """The single row of a query file (fetched to the end, so the connection is free again)."""
    rows = run(con, name, params).fetchall()
    if len(rows) != 1:
        raise LookupError(f"{name}.sql returned {len(rows)} rows, expected 1")
    return rows[0]
