"""Which days a report label covers, and whether their disclosure may be published: the data
must cover part of them, and no blocking check may fail."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from pipeline.config import Config
from pipeline.disclosure.build import build_disclosure
from pipeline.disclosure.model import Disclosure
from pipeline.warehouse import one


def month_bounds(period: str) -> tuple[date, date]:
    """'2026-10' → (2026-10-01, 2026-10-31)."""
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError as e:
        raise ValueError(f"period {period!r} is not YYYY-MM") from e
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, nxt - timedelta(days=1)


class PublicationBlocked(RuntimeError):
    """A blocking check failed for the period: the report is not written."""


def publishable_disclosure(
    con: duckdb.DuckDBPyConnection, cfg: Config, first: date, last: date, label: str
) -> Disclosure:
    """The disclosure of the days of [first, last] that have data (a month in progress is reported
    to date). Raises if the period has no data at all, and PublicationBlocked if a blocking check
    (conservation, reconciliation, signs) fails."""
    lo, hi = one(con, "select_data_span")
    spans = [] if lo is None or hi < first or lo > last else [(max(first, lo), min(last, hi))]
    # a period with declared runs only (a published run, no fleet data) is reported too
    d_lo, d_hi = one(con, "select_declared_span_in_period", {"first": first, "last": last})
    spans += [] if d_lo is None else [(d_lo, d_hi)]
    if not spans:
        raise LookupError(
            f"no computed data for {first}..{last} in {cfg.warehouse_path}; run the pipeline first"
        )
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    disclosure = build_disclosure(con, cfg, start, end)
    failed = [c for c in disclosure.checks if c.blocking and not c.passed]
    if failed:
        raise PublicationBlocked(
            f"report {label} not published: blocking checks failed: "
            + "; ".join(f"{c.name} ({c.detail})" for c in failed)
        )
    return disclosure
