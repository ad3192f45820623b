"""Electricity Maps hourly export (CSV) → raw_grid_intensity.

Two header vintages are in circulation (e.g. `Carbon Intensity gCO₂eq/kWh (LCA)` and
`Carbon intensity gCO₂eq/kWh (Life cycle)`, `Low Carbon Percentage` and
`Carbon-free energy percentage (CFE%)`); headers are matched after case/space normalisation.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult

FORMAT = "electricitymaps-csv"
TABLE = "raw_grid_intensity"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "zone": pl.String,
        "datetime_utc": pl.Datetime("us"),
        "gco2e_per_kwh_direct": pl.Float64,
        "gco2e_per_kwh_lca": pl.Float64,
        "cfe_pct": pl.Float64,
        "renewable_pct": pl.Float64,
        "is_estimated": pl.Boolean,
        "data_source": pl.String,
    }
)
NOT_NULL = ("line", "zone", "datetime_utc")
DIRECT = ("Carbon Intensity gCO₂eq/kWh (direct)",)
COLUMNS = [
    Column("zone", ("Zone Id",), _csv.text, required=True),
    Column("datetime_utc", ("Datetime (UTC)",), _csv.utc_time, required=True),
    Column("gco2e_per_kwh_direct", DIRECT, _csv.number, required=True),
    Column(
        "gco2e_per_kwh_lca",
        ("Carbon Intensity gCO₂eq/kWh (LCA)", "Carbon intensity gCO₂eq/kWh (Life cycle)"),
        _csv.number,
    ),
    Column(
        "cfe_pct", ("Low Carbon Percentage", "Carbon-free energy percentage (CFE%)"), _csv.number
    ),
    Column(
        "renewable_pct", ("Renewable Percentage", "Renewable energy percentage (RE%)"), _csv.number
    ),
    Column("is_estimated", ("Data Estimated",), _csv.boolean),
    Column("data_source", ("Data Source",), _csv.text),
]


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "Datetime (UTC)", "Zone Id", DIRECT[0])


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, COLUMNS)
