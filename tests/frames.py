"""Polars schemas of warehouse tables for tests that insert hand-built rows, read from the
tables' own CREATE statements (sql/*/create_*.sql), so a test can never drift from the schema."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import duckdb
import polars as pl

from pipeline.warehouse import schema_files, sql


@cache
def _tables() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for name in (*schema_files(), "schema_raw_gpu_samples"):
        con.execute(sql(name))
    return con


def schema_of(table: str, columns: Sequence[str]) -> dict[str, pl.DataType]:
    """The dtypes of `columns` of `table`, in the order given."""
    empty = _tables().table(table).select(*columns).limit(0).pl()
    return dict(empty.schema)


# the raw and derived rows the method tests build by hand, shared by their modules
SAMPLE_SCHEMA = schema_of(
    "raw_gpu_samples",
    [
        "source_path",
        "line",
        "host",
        "gpu_index",
        "ts_utc",
        "power_w",
        "util_pct",
    ],
)

BILLING_SCHEMA = schema_of(
    "raw_billing",
    [
        "source_path",
        "line",
        "billing_currency",
        "charge_period_start",
        "charge_period_end",
        "resource_id",
        "resource_name",
        "billed_cost",
        "effective_cost",
        "tags",
    ],
)

ATTRIBUTED_SCHEMA = schema_of(
    "gpu_energy_attributed",
    [
        "hour_utc",
        "site",
        "host",
        "gpu_index",
        "job_key",
        "energy_wh",
        "gpu_s",
        "measured_wh",
    ],
)

ALLOCATION_SCHEMA = schema_of(
    "job_allocations",
    [
        "day",
        "job_key",
        "job_id",
        "site",
        "host",
        "gpus_on_host",
        "start_utc",
        "end_utc",
        "phase",
        "model",
        "team",
        "phase_rule",
    ],
)

JOB_SCHEMA = schema_of(
    "raw_slurm_jobs",
    [
        "source_path",
        "line",
        "job_id",
        "step",
        "job_name",
        "start_utc",
        "end_utc",
        "hosts",
        "gpus",
        "comment",
    ],
)
