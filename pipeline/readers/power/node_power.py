"""Whole-server power readings (BMC, IPMI DCMI or Redfish collector exports, CSV) → raw_node_power.

Collectors agree on little beyond "a time, a host, a wattage": the header spellings vary
(`timestamp`/`time`/`datetime`, `host`/`hostname`/`node`, `node_power_w`/`power_w`/`power`) and
some write the unit into the value (`"1234.5 W"`, `"1.2 kW"`, `"980 Watts"`). Times with a zone
or `Z` are converted to UTC; zone-less times are wall-clock time of the site whose folder the
file sits in (`power/<site>/`), except under a `ts_utc` header, whose name already says UTC.

A reading must be a finite, non-negative number of watts: the host-energy integral downstream
has no way to tell a sensor's NaN or a negative glitch from real power, so such rows are
quarantined rather than guessed at.
"""

from __future__ import annotations

import math
import re

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile, zone_for
from pipeline.readers.base import ReadContext, ReadResult

FORMAT = "node-power-csv"
TABLE = "raw_node_power"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "host": pl.String,
        "ts_utc": pl.Datetime("us"),
        "node_power_w": pl.Float64,
    }
)
NOT_NULL = ("line", "host", "ts_utc", "node_power_w")

# `ts_utc` first: when a file carries it beside a local `timestamp`, the UTC one is unambiguous.
TIME_HEADERS = ("ts_utc", "timestamp", "time", "datetime")
HOST_HEADERS = ("host", "hostname", "node")
POWER_HEADERS = ("node_power_w", "power_w", "power")

_POWER = re.compile(
    r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*(w|watts?|kw)?", re.IGNORECASE
)
_W_PER_UNIT = {"": 1.0, "w": 1.0, "watt": 1.0, "watts": 1.0, "kw": 1000.0}


def power_w(value: str) -> float:
    """Watts from `1234.5`, `1234.5 W`, `980 Watts` or `1.2 kW`."""
    match = _POWER.fullmatch(value.strip())
    if match is None:
        raise ValueError("expected a finite power in W like '1234.5' or '1234.5 W'")
    watts = float(match.group(1)) * _W_PER_UNIT[(match.group(2) or "").lower()]
    if not math.isfinite(watts):
        raise ValueError("expected a finite power in W like '1234.5 W'")
    if watts < 0:
        raise ValueError("expected a non-negative power in W")
    return watts + 0.0  # -0.0 → 0.0, so '-0 W' sums and prints like every other zero


def host_name(value: str) -> str:
    # Exports written as "a, b, c" leave a space before each value; the host must still join the
    # inventory, and a blank one names no server at all.
    name = value.strip()
    if not name:
        raise ValueError("expected a host name like 'gpu-01'")
    return name


def sniff(head: list[str]) -> bool:
    fields = _csv.header_fields(head)
    if fields is None:
        return False
    return all(
        any(name in fields for name in spellings)
        for spellings in (TIME_HEADERS, HOST_HEADERS, POWER_HEADERS)
    )


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    fields = _csv.header_fields(source.head()) or []
    if "ts_utc" in fields:
        parse_time = _csv.utc_time
    else:
        parse_time = _csv.local_time(zone_for(source.path, ctx))
    columns = [
        Column("ts_utc", TIME_HEADERS, parse_time, required=True),
        Column("host", HOST_HEADERS, host_name, required=True),
        Column("node_power_w", POWER_HEADERS, power_w, required=True),
    ]
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, columns)
