"""Hourly serving statistics CSV (gateway or vLLM metrics export) → raw_serving.

The functional unit for per-request and per-token figures, so counts must be whole and
non-negative: a bad count would silently skew every per-request number downstream.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult

FORMAT = "serving-csv"
TABLE = "raw_serving"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "hour_utc": pl.Datetime("us"),
        "model": pl.String,
        "deployment": pl.String,
        "requests": pl.Int64,
        "input_tokens": pl.Int64,
        "output_tokens": pl.Int64,
    }
)
NOT_NULL = ("line", "hour_utc", "model", "requests")
COLUMNS = [
    Column("hour_utc", ("hour", "hour_utc"), _csv.utc_hour, required=True),
    Column("model", ("model",), _csv.text, required=True),
    Column("deployment", ("deployment",), _csv.text),
    Column("requests", ("requests",), _csv.count, required=True),
    Column("input_tokens", ("input_tokens",), _csv.count),
    Column("output_tokens", ("output_tokens",), _csv.count),
]


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "model", "requests") and (
        _csv.has_columns(head, "hour") or _csv.has_columns(head, "hour_utc")
    )


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, COLUMNS)
