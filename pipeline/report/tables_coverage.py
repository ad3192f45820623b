"""The inventory coverage tables of the data-quality section, as `report_tables` lists them (see
pipeline/report/tables.py for the CSV conventions). Rows mirror the template: a table the report
leaves out (no coverage recorded, no gaps, no unknown hosts) has no rows."""

from __future__ import annotations

from pipeline.disclosure.model import Disclosure
from pipeline.method.results import CoverageGap, InventoryCoverage, SiteCoverage, UnknownHost

_SITE_COLS = tuple(SiteCoverage.model_fields)
_GAP_COLS = tuple(CoverageGap.model_fields)
_UNKNOWN_COLS = tuple(UnknownHost.model_fields)


def _rows(items: list, cols: tuple[str, ...]) -> list[tuple]:
    return [tuple(getattr(x, c) for c in cols) for x in items]


def _coverage(d: Disclosure) -> InventoryCoverage | None:
    return d.data_quality.coverage


def coverage_sites(d: Disclosure):
    cov = _coverage(d)
    rows = _rows(cov.sites, _SITE_COLS) if cov is not None else []
    return "Inventory coverage: GPU-hours expected, measured, estimated, missing", _SITE_COLS, rows


def coverage_gaps(d: Disclosure):
    cov = _coverage(d)
    rows = _rows(cov.gaps, _GAP_COLS) if cov is not None else []
    return "Largest telemetry gaps (hour resolution, UTC)", _GAP_COLS, rows


def coverage_unknown_hosts(d: Disclosure):
    cov = _coverage(d)
    rows = _rows(cov.unknown_hosts, _UNKNOWN_COLS) if cov is not None else []
    return "Telemetry from hosts not in the inventory (not counted)", _UNKNOWN_COLS, rows
