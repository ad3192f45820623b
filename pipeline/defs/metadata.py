"""Metadata the assets attach to their materialisations and check results: short markdown
previews (input text escaped), totals with units in the key, and the landing files behind a
window."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from pipeline.warehouse import frame

PREVIEW_ROWS = 10
FILES_LISTED = 10

_TELEMETRY = ("raw_gpu_samples",)
_SCHEDULERS = ("raw_slurm_jobs", "raw_k8s_pods")
_FOOTPRINT = (*_TELEMETRY, *_SCHEDULERS, "raw_node_power", "raw_grid_intensity")

# The raw tables whose landing files feed each asset, directly or through the assets it reads.
INPUT_TABLES: dict[str, tuple[str, ...]] = {
    "gpu_energy_intervals": _TELEMETRY,
    "job_allocations": (*_SCHEDULERS, *_TELEMETRY),  # telemetry labels make allocations too
    "gpu_energy_attributed": (*_TELEMETRY, *_SCHEDULERS),
    "footprint_hourly": _FOOTPRINT,
    "daily_summary": _FOOTPRINT,
    "cost_attributed": ("raw_billing", *_TELEMETRY, *_SCHEDULERS),
    "disclosure_report": (
        *_FOOTPRINT,
        "raw_billing",
        "raw_serving",
        "raw_requests",
        "raw_declared_usage",
    ),
}

# characters that start markdown syntax inside a table cell; `\` first so escapes stay escapes
_MD_SPECIAL = "\\`*_[]<>|"


def md_escape(value: object) -> str:
    """Text from input data (job, model and file names) made safe for a markdown table cell:
    line breaks become spaces, and pipes, backticks, emphasis, link and HTML characters are
    backslash-escaped, so a name shows as written and cannot break or restyle the table."""
    text = " ".join(str(value).splitlines())
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in text)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return md_escape(value)


def md_table(df: pl.DataFrame, max_rows: int = PREVIEW_ROWS) -> dg.MetadataValue:
    """The first `max_rows` rows of a frame as a markdown table (a line says how many more)."""
    head = "| " + " | ".join(md_escape(c) for c in df.columns) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.head(max_rows).rows()]
    if df.height > max_rows:
        body.append(f"\n… {df.height - max_rows} more rows")
    elif not df.height:
        body.append("\n(no rows)")
    return dg.MetadataValue.md("\n".join([head, rule, *body]))


def totals(df: pl.DataFrame, columns: Iterable[str]) -> dict[str, float]:
    """Column sums of a (small, already grouped) frame as plain floats."""
    return {c: float(df[c].sum()) if df.height else 0.0 for c in columns}


def share(part: float, whole: float, empty: float = 1.0) -> float:
    """part / whole, or `empty` when there is nothing to divide."""
    return part / whole if whole else empty


def input_files(
    con: duckdb.DuckDBPyConnection,
    asset: str,
    start: datetime,
    end: datetime,
    warehouse_path: object,
) -> dict[str, Any]:
    """The landing files whose rows (by the manifest's time span of each file) fall in the window,
    among the raw tables the asset reads: their count, the rows they had quarantined, the first
    few paths, and where the whole manifest is (the `ingest_manifest` table of the warehouse)."""
    files = frame(
        con,
        "select_window_input_files",
        {"start": start, "end": end, "tables": list(INPUT_TABLES[asset])},
    )
    listed = files.head(FILES_LISTED)
    lines = [f"- {md_escape(p)}" for p in listed["source_path"]]
    if files.height > FILES_LISTED:
        lines.append(f"- … {files.height - FILES_LISTED} more (table `ingest_manifest`)")
    return {
        "input_files": files.height,
        "input_rows_quarantined": int(files["rows_quarantined"].sum()) if files.height else 0,
        "input_files_list": dg.MetadataValue.md("\n".join(lines) or "(none)"),
        # every file with its sha256 and row counts: table ingest_manifest of this warehouse
        "manifest_warehouse": dg.MetadataValue.path(str(warehouse_path)),
    }


def per_currency(df: pl.DataFrame, key: str, value: str) -> dg.MetadataValue:
    """{currency: amount} as JSON; amounts in different currencies are never added."""
    return dg.MetadataValue.json(
        {(k if k is not None else ""): float(v) for k, v in df.select(key, value).rows()}
    )


def reconciliation_check(result: Any) -> dg.AssetCheckResult:
    """A blocking check result for a reconciliation (pipeline/method/reconcile.py): passed, its
    one-line detail (the table, the quantity and the size of any difference) and per-quantity
    figures."""
    return dg.AssetCheckResult(
        check_name=result.name,
        passed=result.passed,
        description=result.detail(),
        metadata=result.metadata(),
    )


def reconciliation_spec(name: str, asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name, asset=asset, blocking=True, description="reconciles with the table before it"
    )
