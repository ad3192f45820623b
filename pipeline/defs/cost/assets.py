"""Daily-partitioned cost attribution: billing lines to jobs, reconciled to the bill."""

import dagster as dg
import polars as pl

from pipeline.defs import metadata as md
from pipeline.defs.resources import WattprintResource
from pipeline.defs.window import Window, compute
from pipeline.method.cost import build_cost_attributed, cost_reconciliation

# group `method`: daily partitions from the config's start date (pipeline/definitions.py)
_common = {
    "kinds": {"duckdb"},
    "group_name": "method",
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

    def build(w: Window):
        n = build_cost_attributed(w.con, w.start, w.end)
        return n, cost_reconciliation(w.con, w.start, w.end)

    done = compute(context, wattprint, build, "select_cost_attributed_window_by_basis")
    by_basis, result = done.summary, done.checks
    # per currency: amounts in different currencies are never added
    currencies = (
        by_basis.group_by("billing_currency")
        .agg(pl.col("effective_cost").sum())
        .sort("billing_currency", nulls_last=True)
    )
    unattributed = by_basis.filter(pl.col("basis") == "unattributed")
    unattributed_cost = md.per_currency(unattributed, "billing_currency", "effective_cost")
    yield done.result(
        {
            "billing_lines": result.lines,
            "effective_cost": md.per_currency(currencies, "billing_currency", "effective_cost"),
            "unattributed_effective_cost": unattributed_cost,
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
            "unattributed_effective_cost": unattributed_cost,
            "unattributed_billing_lines": int(unattributed["billing_lines"].sum())
            if unattributed.height
            else 0,
        },
    )
