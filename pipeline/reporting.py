"""Produce the report files for a period from the warehouse: the step the CLI and Dagster share.
The disclosure layer decides what may be published; the report layer writes it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.disclosure.publication import publishable_disclosure
from pipeline.report.render import write_report


def report_period(
    con: duckdb.DuckDBPyConnection, cfg: Config, first: date, last: date, label: str
) -> dict[str, Path]:
    """Write report.pdf/html and disclosure.json for the days of [first, last] that have data
    (a month in progress is reported to date). Raises if the period has no data at all, and
    PublicationBlocked if a blocking check (conservation, reconciliation, signs) fails."""
    return write_report(
        publishable_disclosure(con, cfg, first, last, label), cfg.reports_dir / label
    )
