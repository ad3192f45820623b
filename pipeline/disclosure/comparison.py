"""The previous period a report compares with, and the change of each headline figure."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from pipeline.disclosure import figures
from pipeline.disclosure.model import HEADLINE_METRICS, Comparison, Period, Totals
from pipeline.warehouse import one


def previous_month(start_day: date) -> tuple[date, date]:
    """The first and last day of the calendar month before `start_day`'s."""
    last = start_day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def previous_window(start_day: date, end_day: date) -> tuple[date, date, str]:
    """The period a report compares with: the same days of the previous month for a period that
    starts on the 1st (a whole month, or a month to date), else the same number of days before."""
    days = (end_day - start_day).days
    if start_day.day == 1:
        first, last = previous_month(start_day)
        return first, min(last, first + timedelta(days=days)), "the same days of the previous month"
    return (
        start_day - timedelta(days=days + 1),
        start_day - timedelta(days=1),
        f"the {days + 1} days before",
    )


def comparison(
    con: duckdb.DuckDBPyConnection, start_day: date, end_day: date, current: Totals
) -> Comparison:
    """Headline totals of the previous period and the change in %, or why there are none: a
    previous period the warehouse covers only in part is not compared (the change would mislead)."""
    first, last, basis = previous_window(start_day, end_day)
    prev_period = Period(start=first, end=last, days=(last - first).days + 1)
    lo, _hi = one(con, "select_data_span")
    if lo is None or lo > last:
        return Comparison(
            basis=basis,
            period=prev_period,
            reason=f"no computed data for {first}..{last}: this is the first period",
        )
    if lo > first:
        return Comparison(
            basis=basis,
            period=prev_period,
            reason=f"the previous period {first}..{last} is only partly computed (data from {lo})",
        )
    prev = figures.totals(figures.period_data(con, first, last))
    return Comparison(
        basis=basis, period=prev_period, totals=prev, change_pct=headline_change(current, prev)
    )


def headline_change(current: Totals, previous: Totals) -> dict[str, float | None]:
    """(current − previous) / previous × 100 per headline metric; None where previous is 0."""
    out: dict[str, float | None] = {}
    for k in HEADLINE_METRICS:
        before, now = getattr(previous, k), getattr(current, k)
        out[k] = 100 * (now - before) / before if before else None
    return out
