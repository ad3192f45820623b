"""Inventory coverage: the GPU-hours the inventory expects (hosts × GPUs × hours in service)
against those telemetry measured, those estimated (gaps filled, scheduler-estimated) and those
missing, per site, with the largest gaps and the hosts that sent telemetry but are not in the
inventory. `coverage_check` is the warning check `inventory_coverage` (docs/checks-coverage.md).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from pipeline.formatting import fmt, fmt_datetime, fmt_pct
from pipeline.method.results import CoverageGap, InventoryCoverage, SiteCoverage, UnknownHost
from pipeline.warehouse import frame

# the gaps the disclosure lists (all are counted in gap_count and in missing_gpu_hours)
MAX_GAPS = 10
# GPU-hours without telemetry below this in an hour are float noise of summed piece lengths, not
# a gap: 1e-6 GPU-hours is 3.6 ms of one GPU. Figures are rounded to it, so that noise never
# prints as a missing fraction (or a measured share a hair below 100 %).
TOLERANCE_GPU_H = 1e-6
DECIMALS = 6
_SUMS = ("expected_gpu_hours", "measured_gpu_hours", "estimated_gpu_hours", "missing_gpu_hours")


def inventory_coverage(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    edge_s: float,
    max_gaps: int = MAX_GAPS,
) -> InventoryCoverage:
    """Coverage of the window [start, end); `edge_s` is telemetry.max_gap_s (the tolerance at the
    window's edges, see sql/checks/select_inventory_coverage.sql)."""
    p = {"start": start, "end": end}
    runs = frame(
        con, "select_inventory_coverage", p | {"edge_s": edge_s, "tolerance_gpu_h": TOLERANCE_GPU_H}
    )
    unknown = frame(con, "select_unknown_telemetry_hosts", p)
    by_site = runs.group_by("site").agg(pl.col(c).sum().round(DECIMALS) for c in _SUMS).sort("site")
    gaps = (
        runs.filter(pl.col("has_gap"))
        .with_columns(pl.col("unreported_gpu_hours", "missing_gpu_hours").round(DECIMALS))
        .sort(["unreported_gpu_hours", "host", "from_utc"], descending=[True, False, False])
    )
    reported = runs.group_by("host").agg(pl.col("reported").any())
    totals = {c: round(float(runs.get_column(c).sum() or 0.0), DECIMALS) for c in _SUMS}
    return InventoryCoverage(
        **totals,
        sites=[SiteCoverage(**r) for r in by_site.iter_rows(named=True)],
        gaps=[
            CoverageGap(
                host=r["host"],
                site=r["site"],
                from_utc=r["from_utc"],
                to_utc=r["to_utc"],
                gpu_hours=r["unreported_gpu_hours"],
                missing_gpu_hours=r["missing_gpu_hours"],
            )
            for r in gaps.head(max_gaps).iter_rows(named=True)
        ],
        gap_count=gaps.height,
        hosts_without_telemetry=sorted(
            reported.filter(~pl.col("reported")).get_column("host").to_list()
        ),
        unknown_hosts=[UnknownHost(**r) for r in unknown.iter_rows(named=True)],
    )


def coverage_outcome(cov: InventoryCoverage, min_share: float) -> tuple[bool, str]:
    """(passed, detail) of the warning check `inventory_coverage`: measured GPU-hours at least
    `min_share` of those the inventory expects, and no telemetry from hosts it does not list.
    Nothing expected fails: a window that should hold data but holds none is not a pass."""
    share = cov.measured_share
    if share is None:
        return False, "no GPU-hours expected: no inventory host is in service in the window"
    parts = [
        f"{fmt_pct(share)} of {fmt(cov.expected_gpu_hours)} expected GPU-hours measured "
        f"(threshold {fmt_pct(min_share)}); {fmt(cov.estimated_gpu_hours)} estimated, "
        f"{fmt(cov.missing_gpu_hours)} missing; {cov.gap_count} telemetry gaps"
    ]
    if cov.gaps:
        g = cov.gaps[0]
        parts.append(
            f"largest: {g.host} {fmt_datetime(g.from_utc)} to {fmt_datetime(g.to_utc)}, "
            f"{fmt(g.gpu_hours)} GPU-h without telemetry ({fmt(g.missing_gpu_hours)} missing)"
        )
    if cov.hosts_without_telemetry:
        parts.append("no telemetry at all from " + ", ".join(cov.hosts_without_telemetry))
    if cov.unknown_hosts:
        parts.append(
            "telemetry from hosts not in the inventory (not counted): "
            + ", ".join(u.host for u in cov.unknown_hosts)
        )
    return share >= min_share and not cov.unknown_hosts, "; ".join(parts)
