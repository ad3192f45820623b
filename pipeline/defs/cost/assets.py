"""Daily-partitioned cost attribution: billing lines to jobs, reconciled to the bill."""

from datetime import timedelta

import dagster as dg
import polars as pl

from pipeline.defs.partitions import daily, window
from pipeline.defs.resources import WattprintResource
from pipeline.method.cost import build_cost_attributed, cost_reconciliation, period_cost

_common = {
    "kinds": {"duckdb"},
    "group_name": "method",
    "partitions_def": daily,
    "backfill_policy": dg.BackfillPolicy.single_run(),
}


@dg.asset(
    deps=["gpu_energy_attributed", "job_allocations", "landing_files"],
    check_specs=[dg.AssetCheckSpec("cost_reconciled", asset="cost_attributed", blocking=True)],
    **_common,
)
def cost_attributed(context: dg.AssetExecutionContext, wattprint: WattprintResource):
    """Billing lines (EffectiveCost) per job by GPU-seconds held on the billed host; tagged lines
    as tagged; idle and unattributed cost as their own rows; sums to the bill per currency."""
    start, end = window(context)
    with wattprint.connect() as con:
        n = build_cost_attributed(con, start, end)
        result = cost_reconciliation(con, start, end)
        by_basis = period_cost(con, start.date(), end.date() - timedelta(days=1))
    unattributed = (
        by_basis.filter(pl.col("basis") == "unattributed")
        .group_by("billing_currency")
        .agg(pl.col("effective_cost").sum())
        .sort("billing_currency", nulls_last=True)
    )
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": n,
            "billing_lines": result.lines,
            # per currency: amounts in different currencies are never added
            "unattributed_effective_cost": dg.MetadataValue.json(
                {
                    c if c is not None else "": v
                    for c, v in unattributed.select("billing_currency", "effective_cost").rows()
                }
            ),
        }
    )
    yield dg.AssetCheckResult(
        check_name="cost_reconciled",
        passed=result.passed,
        metadata={
            "billing_lines": result.lines,
            "currencies": result.currencies,
            "lines_missing": result.lines_missing,
            "worst_abs_diff_effective_cost": result.worst_abs_diff_effective_cost,
            "worst_abs_diff_billed_cost": result.worst_abs_diff_billed_cost,
            "tolerance": result.tolerance,
        },
    )
