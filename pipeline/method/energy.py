"""GPU energy: samples → hour-cut pieces → attribution to jobs and idle → footprint → daily."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.config import Config
from pipeline.warehouse import replace_window


def build_gpu_energy_intervals(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> int:
    params = {
        "start": start,
        "end": end,
        "max_gap_s": cfg.telemetry.max_gap_s,
        "max_fill_s": cfg.telemetry.max_fill_s,
    }
    return replace_window(con, "gpu_energy_intervals", params)


def build_gpu_energy_attributed(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> int:
    return replace_window(con, "gpu_energy_attributed", {"start": start, "end": end})


def build_footprint_hourly(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> int:
    return replace_window(con, "footprint_hourly", {"start": start, "end": end})


def build_daily_summary(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> int:
    return replace_window(con, "daily_summary", {"start": start, "end": end})
