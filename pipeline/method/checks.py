"""Data checks the method itself answers: energy conserved per GPU and hour, no negative
quantities. The disclosure's gates on publication are in pipeline/disclosure/checks.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from pipeline.warehouse import one

# float sums over ~12 pieces per GPU-hour: anything above a milliwatt-hour is a real leak
TOLERANCE_WH = 1e-3


@dataclass(frozen=True)
class ConservationResult:
    checked: int
    failing: int
    worst_abs_diff_wh: float

    @property
    def passed(self) -> bool:
        return self.failing == 0


def energy_conservation(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    tolerance_wh: float = TOLERANCE_WH,
) -> ConservationResult:
    """Energy attributed to jobs + idle equals GPU energy, per GPU and hour."""
    row = one(
        con,
        "select_energy_conservation",
        {"start": start, "end": end, "tolerance_wh": tolerance_wh},
    )
    return ConservationResult(int(row[0]), int(row[1]), float(row[2]))


def negative_quantities(con: duckdb.DuckDBPyConnection, start_day: date, end_day: date) -> int:
    """Daily rows with a quantity below zero (energy, GPU-hours, carbon, water, embodied)."""
    return int(
        one(con, "select_negative_quantities", {"start_day": start_day, "end_day": end_day})[0]
    )
