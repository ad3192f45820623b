"""Electricity Maps hourly export (CSV) → raw_grid_intensity.

Two header vintages are in circulation (e.g. `Carbon Intensity gCO₂eq/kWh (LCA)` and
`Carbon intensity gCO₂eq/kWh (Life cycle)`, `Low Carbon Percentage` and
`Carbon-free energy percentage (CFE%)`, `Zone Id` and `Zone id`); headers are matched after
case/space normalisation, so `Carbon intensity gCO₂eq/kWh (direct)` matches too.

The direct column is the intensity the footprint uses (Scope 2, location-based); life-cycle is
kept beside it. Intensities must be non-negative and percentages within 0-100 (checks shared with
the other grid readers in `grid_csv`); an empty value is kept as null (an hour without data,
which the footprint's fallback step fills).
"""

from __future__ import annotations

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.grid import grid_csv

FORMAT = "electricitymaps-csv"
TABLE = "raw_grid_intensity"
SCHEMA = grid_csv.SCHEMA
NOT_NULL = grid_csv.NOT_NULL
DIRECT = ("Carbon Intensity gCO₂eq/kWh (direct)",)
COLUMNS = [
    Column("zone", ("Zone Id",), grid_csv.zone, required=True),
    Column("datetime_utc", ("Datetime (UTC)",), _csv.utc_time, required=True),
    Column("gco2e_per_kwh_direct", DIRECT, grid_csv.intensity, required=True),
    Column(
        "gco2e_per_kwh_lca",
        ("Carbon Intensity gCO₂eq/kWh (LCA)", "Carbon intensity gCO₂eq/kWh (Life cycle)"),
        grid_csv.intensity,
    ),
    Column(
        "cfe_pct",
        ("Low Carbon Percentage", "Carbon-free energy percentage (CFE%)"),
        grid_csv.percent,
    ),
    Column(
        "renewable_pct",
        ("Renewable Percentage", "Renewable energy percentage (RE%)"),
        grid_csv.percent,
    ),
    Column("is_estimated", ("Data Estimated",), _csv.boolean),
    Column("data_source", ("Data Source",), _csv.text),
]


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "Datetime (UTC)", "Zone Id", DIRECT[0])


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, COLUMNS)
