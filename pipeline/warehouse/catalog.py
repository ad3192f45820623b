"""The shared catalog: the derived tables of many writers, as Apache Iceberg tables.

One DuckDB file has one writer. When several machines each compute some days (or a Dagster
deployment runs its steps on many hosts), each still computes in its own warehouse and then
publishes the window it committed to a shared catalog (config `catalog`):

    catalog:
      uri: sqlite:////shared/wattprint-catalog.db     # or postgresql+psycopg2://host/db
      location: s3://bucket/wattprint/catalog          # default: <lake>/catalog

The catalog is pyiceberg's SQL catalog (table metadata pointers in SQLite or Postgres, through
SQLAlchemy); the table files are Parquet under `location`, a folder or S3 through pyarrow (no
DuckDB extension; credentials and endpoint from the `AWS_*` environment, as for the lake). A
publish replaces exactly the window's rows in one Iceberg commit (`overwrite` with a filter on
the window), so a rerun changes nothing and readers see the old window or the new one, never a
mix. Commits are optimistic: a writer that lost the race to another writer's commit reloads
the table and does its overwrite again (`COMMIT_ATTEMPTS`). Any engine that reads Iceberg
(DuckDB's iceberg extension, Spark, Trino, pyiceberg) reads the tables; `read` here is
pyiceberg's scan. Why Iceberg and not DuckLake: README "Decisions" (measured: both commit a
10k-GPU day's pieces in ~0.25 s; DuckLake needs DuckDB extensions that DuckDB 2.0 cannot load here).
"""

from __future__ import annotations

import os
import random
import time
import warnings
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:  # pyiceberg takes 0.7 s to import: only where a catalog is configured
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.expressions import BooleanExpression
    from pyiceberg.table import Table

# the derived tables computed per window, with the column their window is cut on
WINDOWED = {
    "job_allocations": "day",
    "gpu_energy_intervals": "hour_utc",
    "gpu_energy_attributed": "hour_utc",
    "footprint_hourly": "hour_utc",
    "daily_summary": "day",
    "cost_attributed": "day",
}
COMMIT_ATTEMPTS = 20
# pyiceberg's own retry replays the stale commit's snapshot on the new table, with the files its
# delete matched before the other writer's commit: ours does the whole overwrite again instead
TABLE_PROPERTIES = {"commit.retry.num-retries": "0"}
PASSWORD_ENV = "WATTPRINT_CATALOG_PASSWORD"


def file_io_properties(location: str) -> dict[str, str]:
    """pyiceberg's FileIO settings for `location`: for S3, the endpoint and credentials from the
    environment (the same `AWS_*` variables the lake's store reads)."""
    if not location.startswith("s3://"):
        return {}
    env = {
        "s3.endpoint": "AWS_ENDPOINT_URL",
        "s3.access-key-id": "AWS_ACCESS_KEY_ID",
        "s3.secret-access-key": "AWS_SECRET_ACCESS_KEY",
        "s3.session-token": "AWS_SESSION_TOKEN",
        "s3.region": "AWS_REGION",
    }
    return {key: os.environ[var] for key, var in env.items() if os.environ.get(var)}


def _bounds(column: str, start: datetime, end: datetime) -> tuple:
    """The window as values of `column`: dates for a day column, else the datetimes."""
    return (start, end) if column != "day" else (start.date(), end.date())


def _window_filter(column: str, start: datetime, end: datetime) -> BooleanExpression:
    from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan

    lo, hi = _bounds(column, start, end)
    return And(GreaterThanOrEqual(column, lo.isoformat()), LessThan(column, hi.isoformat()))


class SharedCatalog:
    """The derived tables in an Iceberg SQL catalog at `uri`, their files under `location`."""

    def __init__(self, uri: str, location: str, namespace: str = "wattprint") -> None:
        self.uri = uri
        self.location = location.rstrip("/")
        self.namespace = namespace
        self.retries = 0  # commits redone after another writer's commit won (for tests, logs)
        self._tables: dict[str, Table] = {}

    @cached_property
    def catalog(self) -> SqlCatalog:
        from pyiceberg.catalog.sql import SqlCatalog
        from pyiceberg.exceptions import NamespaceAlreadyExistsError
        from sqlalchemy.engine import make_url

        url = make_url(self.uri)
        if os.environ.get(PASSWORD_ENV):
            url = url.set(password=os.environ[PASSWORD_ENV])
        warehouse = self.location if "://" in self.location else f"file://{self.location}"
        catalog = SqlCatalog(
            self.namespace,
            uri=url.render_as_string(hide_password=False),
            warehouse=warehouse,
            **file_io_properties(self.location),
        )
        try:
            catalog.create_namespace_if_not_exists(self.namespace)
        except NamespaceAlreadyExistsError:  # another writer created it meanwhile
            pass
        return catalog

    def _identifier(self, table: str) -> str:
        return f"{self.namespace}.{table}"

    def table(self, name: str, schema: pa.Schema | None = None) -> Table:
        """The Iceberg table `name` (created from `schema` on first publish; new warehouse
        columns are added to it by name)."""
        from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

        if name not in self._tables:
            try:
                self._tables[name] = self.catalog.load_table(self._identifier(name))
            except NoSuchTableError:
                if schema is None:
                    raise
                try:
                    self._tables[name] = self.catalog.create_table(
                        self._identifier(name), schema, properties=TABLE_PROPERTIES
                    )
                except TableAlreadyExistsError:  # another writer created it meanwhile
                    self._tables[name] = self.catalog.load_table(self._identifier(name))
        tbl = self._tables[name]
        if schema is not None and set(schema.names) - set(tbl.schema().column_names):
            with tbl.update_schema() as update:
                update.union_by_name(schema)
        return tbl

    def publish(
        self, con: duckdb.DuckDBPyConnection, table: str, start: datetime, end: datetime
    ) -> int:
        """Replace `table`'s rows in [start, end) in the catalog by the warehouse's, in one
        commit; the rows published."""
        from pyiceberg.exceptions import CommitFailedException
        from sqlalchemy.exc import OperationalError

        column = WINDOWED[table]
        lo, hi = _bounds(column, start, end)
        col = duckdb.ColumnExpression(column)
        rows = (
            con.table(table)
            .filter((col >= duckdb.ConstantExpression(lo)) & (col < duckdb.ConstantExpression(hi)))
            .to_arrow_table()
        )
        window = _window_filter(column, start, end)
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                with warnings.catch_warnings():  # a window's first publish deletes nothing
                    warnings.filterwarnings("ignore", "Delete operation did not match any records")
                    self.table(table, rows.schema).overwrite(rows, overwrite_filter=window)
                return rows.num_rows
            except (CommitFailedException, OperationalError):
                # another writer committed first (or held SQLite's lock): start again from
                # the table as it now is
                if attempt == COMMIT_ATTEMPTS:
                    raise
                self.retries += 1
                self._tables.pop(table, None)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    def read(
        self, table: str, start: datetime | None = None, end: datetime | None = None
    ) -> pa.Table:
        """`table`'s rows in the catalog ([start, end) when given), as Arrow."""
        from pyiceberg.expressions import AlwaysTrue

        self._tables.pop(table, None)  # the newest snapshot, whoever committed it
        where = (
            AlwaysTrue()
            if start is None or end is None
            else _window_filter(WINDOWED[table], start, end)
        )
        return self.table(table).scan(row_filter=where).to_arrow()
