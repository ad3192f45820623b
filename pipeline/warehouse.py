"""The DuckDB warehouse: one file, SQL from `sql/`, partition writes as single transactions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


@cache
def sql(name: str) -> str:
    """The text of `sql/<name>.sql`; one statement per file."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text()


def schema_files() -> list[str]:
    """Every `create_*` statement, in name order (tables have no foreign keys)."""
    return sorted(p.stem for p in SQL_DIR.glob("create_*.sql"))


class SchemaMismatch(RuntimeError):
    """A warehouse table was built by another release in a way that cannot be migrated in place."""


@cache
def expected_columns(name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(table, ((column, type), ...)) that `sql/create_<table>.sql` creates, read off an
    in-memory DB (so types are spelled exactly as DuckDB reports them)."""
    table = name.removeprefix("create_")
    con = duckdb.connect()
    try:
        con.execute(sql(name))
        columns = tuple(run(con, "select_table_columns", {"table": table}).fetchall())
    finally:
        con.close()
    if not columns:
        raise ValueError(f"sql/{name}.sql does not create a table named {table}")
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


@contextmanager
def connect(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            for name in schema_files():
                con.execute(sql(name))
                _migrate(con, path, name)
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


def replace_window(con: duckdb.DuckDBPyConnection, table: str, params: Mapping[str, Any]) -> int:
    """Recompute one table's rows for a window: `delete_<table>_window` then `insert_<table>`,
    in one transaction, so a rerun gives the same rows and a failure leaves the old ones."""
    window = {"start": params["start"], "end": params["end"]}
    # Sums in the SQL are ordered; one thread as well, because DuckDB's parallel operators can still
    # feed equal-keyed float additions in varying order, and a rerun must give the same bits.
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
        raise LookupError(f"sql/{name}.sql returned {len(rows)} rows, expected 1")
    return rows[0]
