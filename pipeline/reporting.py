"""Produce the report files for a period from the warehouse: the step the CLI and Dagster share.
The disclosure layer decides what may be published; the report layer writes it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.disclosure.publication import PublicationBlocked, publishable_disclosure
from pipeline.exports.focus import focus_export, focus_files, index_entry
from pipeline.exports.focus_check import reconcile
from pipeline.exports.model_docs import report_files
from pipeline.method.declared import declared_usage
from pipeline.report.render import write_report


def report_period(
    con: duckdb.DuckDBPyConnection, cfg: Config, first: date, last: date, label: str
) -> dict[str, Path]:
    """Write report.pdf/html, disclosure.json, tables/, the FOCUS export (focus/) and each
    model's documents (models/: GPAI form energy section, model card, SPDX) for the days
    of [first, last] that have data (a month in progress is reported to date). Raises if the
    period has no data at all, and PublicationBlocked if a blocking check (conservation,
    reconciliation, signs) fails or the FOCUS export does not sum to the bill and the totals."""
    d = publishable_disclosure(con, cfg, first, last, label)
    export = focus_export(con, d.period.start, d.period.end)
    if problems := reconcile(export, d.totals):
        raise PublicationBlocked(
            f"report {label} not published: the FOCUS export does not reconcile: "
            + "; ".join(problems)
        )
    docs, docs_entry = report_files(d, cfg, declared_usage(con, cfg).runs)
    return write_report(
        d,
        cfg.reports_dir / label,
        exports=focus_files(export) | docs,
        listed=[index_entry(export), docs_entry],
    )
