"""Plain grid-intensity CSV (`zone, datetime_utc, gco2e_per_kwh`) → raw_grid_intensity.

For grid data from any source a user can reshape into three columns: a header line is required
and must name `zone`, `datetime_utc` and `gco2e_per_kwh` (`gco2e_per_kwh_direct` is accepted as
another spelling); `gco2e_per_kwh_lca`, `cfe_pct`, `renewable_pct`, `is_estimated` and
`data_source` are optional. Column order does not matter; header names are matched after
case/space normalisation, which is also how the format is recognised.

- `datetime_utc`: ISO-8601; a time without a zone is UTC, an offset (`+01:00`, `Z`) is honoured.
  Rows may be hourly, half-hourly or finer: `datetime_utc` is the start of the slot, and the hourly
  footprint takes the time-weighted mean of the slots that start in each hour
  (sql/method/insert_footprint_hourly.sql).
- `gco2e_per_kwh` is the direct (operational, Scope 2 location-based) intensity; an empty value is
  kept as null (the footprint then falls back to the monthly mean or the annual factor), a negative
  or non-numeric one is quarantined. Percentages must lie within 0-100.
- `is_estimated`: true/false (also 1/0, yes/no); empty = unknown (null).

This module also holds the table's schema and the value checks the other grid readers share
(Electricity Maps CSV, GB Carbon Intensity API JSON).
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult

FORMAT = "grid-csv"
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


# --- value checks shared by the grid readers: each returns the value or raises ValueError ------


def intensity(value: str) -> float:
    """A carbon intensity: a finite, non-negative number of gCO2e per kWh."""
    try:
        number = _csv.number(value)
    except ValueError:
        raise ValueError("expected a non-negative number in gCO2e/kWh like '152.03'") from None
    if number < 0:
        raise ValueError("expected a non-negative number in gCO2e/kWh like '152.03'")
    return number


def percent(value: str) -> float:
    """A share in percent, 0 to 100."""
    try:
        number = _csv.number(value)
    except ValueError:
        raise ValueError("expected a percentage from 0 to 100 like '82.97'") from None
    if not 0.0 <= number <= 100.0:
        raise ValueError("expected a percentage from 0 to 100 like '82.97'")
    return number


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise ValueError("expected true or false (or 1/0, yes/no)")
    return lowered in _TRUE


def zone(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("expected a grid zone id like 'DE' or 'US-CAL-CISO'")
    return text


DIRECT = ("gco2e_per_kwh", "gco2e_per_kwh_direct")
COLUMNS = [
    Column("zone", ("zone",), zone, required=True),
    Column("datetime_utc", ("datetime_utc",), _csv.utc_time, required=True),
    Column("gco2e_per_kwh_direct", DIRECT, intensity, required=True),
    Column("gco2e_per_kwh_lca", ("gco2e_per_kwh_lca",), intensity),
    Column("cfe_pct", ("cfe_pct",), percent),
    Column("renewable_pct", ("renewable_pct",), percent),
    Column("is_estimated", ("is_estimated",), flag),
    Column("data_source", ("data_source",), _csv.text),
]


def sniff(head: list[str]) -> bool:
    fields = _csv.header_fields(head)
    return (
        fields is not None
        and "zone" in fields
        and "datetime_utc" in fields
        and any(name in fields for name in DIRECT)
    )


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, COLUMNS)
