"""Polars schemas of warehouse tables for tests that insert hand-built rows, read from the
tables' own CREATE statements (sql/create_*.sql), so a test can never drift from the schema."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import duckdb
import polars as pl

from pipeline.warehouse import schema_files, sql


@cache
def _tables() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for name in schema_files():
        con.execute(sql(name))
    return con


def schema_of(table: str, columns: Sequence[str]) -> dict[str, pl.DataType]:
    """The dtypes of `columns` of `table`, in the order given."""
    empty = _tables().table(table).select(*columns).limit(0).pl()
    return dict(empty.schema)
