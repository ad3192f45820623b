"""Cost: billing lines → hosts → jobs by GPU-seconds share; tagged lines straight through; the rest
unattributed. Every line's rows sum back to the line, so attributed + idle + unattributed is the
bill, per currency (method in sql/method/insert_cost_attributed.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from pipeline.warehouse import frame, one, replace_window

# half a cent (or the smallest unit of most currencies): float sums over a window's lines stay far
# below it, a lost or doubled line does not
TOLERANCE = 0.005


def _whole_days(start: datetime, end: datetime) -> None:
    # the rewrite deletes by day; a window inside a day would delete lines it does not recompute
    for t in (start, end):
        if t != datetime.combine(t.date(), datetime.min.time()):
            raise ValueError(f"cost windows are whole UTC days; {t} is not a midnight")


def build_cost_attributed(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> int:
    """Recompute cost_attributed for lines whose charge period starts in [start, end)."""
    _whole_days(start, end)
    return replace_window(con, "cost_attributed", {"start": start, "end": end})


@dataclass(frozen=True)
class ReconciliationResult:
    lines: int
    currencies: int
    lines_missing: int  # lines in the window without any attributed row
    worst_abs_diff_effective_cost: float  # in the currency it occurred in
    worst_abs_diff_billed_cost: float
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        return (
            self.lines_missing == 0
            and self.worst_abs_diff_effective_cost <= self.tolerance
            and self.worst_abs_diff_billed_cost <= self.tolerance
        )


def cost_reconciliation(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    tolerance: float = TOLERANCE,
) -> ReconciliationResult:
    """Per currency, the attributed rows sum to the bill's lines charged in [start, end)."""
    row = one(con, "select_cost_reconciliation", {"start": start, "end": end})
    return ReconciliationResult(
        lines=int(row[0]),
        currencies=int(row[1]),
        lines_missing=int(row[2]),
        worst_abs_diff_effective_cost=float(row[3]),
        worst_abs_diff_billed_cost=float(row[4]),
        tolerance=tolerance,
    )


def period_cost(con: duckdb.DuckDBPyConnection, start_day: date, end_day: date) -> pl.DataFrame:
    """Attributed cost of days [start_day, end_day] (inclusive) by basis, phase, model, team and
    currency."""
    return frame(con, "select_period_cost_attributed", {"start_day": start_day, "end_day": end_day})
