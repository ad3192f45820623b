"""The disclosure's checks (`checks` in disclosure.json): the gates on publication. Blocking
checks (conservation, cost reconciliation, signs, each table reconciled with the one before it)
stop the report; coverage checks only warn."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from pipeline.config import Config
from pipeline.disclosure.model import CheckOutcome, DataQuality
from pipeline.formatting import fmt_pct
from pipeline.method import reconcile
from pipeline.method.checks import TOLERANCE_WH, energy_conservation, negative_quantities
from pipeline.method.cost import cost_reconciliation
from pipeline.method.coverage import coverage_outcome, inventory_coverage


def period_checks(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    start_day: date,
    end_day: date,
    quality: DataQuality,
    disclosed: dict[str, float],
    declared_only: bool = False,
) -> list[CheckOutcome]:
    """The report's gates: conservation, reconciliation and signs block publication, and so does
    every table that does not reconcile with the one before it, up to the figures about to be
    published (`disclosed`, see reconcile.disclosed); coverage of measurements, of the
    inventory's GPU-hours and of hourly grid data only warn. `declared_only`: the fleet computed
    nothing in the period, which holds declared runs only (docs/declared-usage.md): a link with
    no rows on either side then has nothing to reconcile, and says so."""
    start = datetime.combine(start_day, datetime.min.time())
    end = datetime.combine(end_day + timedelta(days=1), datetime.min.time())
    cons = energy_conservation(con, start, end)
    rec = cost_reconciliation(con, start, end)
    neg = negative_quantities(con, start_day, end_day)
    links = [
        *reconcile.window_reconciliations(con, cfg, start, end),
        reconcile.disclosure(con, start_day, end_day, disclosed),
    ]
    c = cfg.checks
    inventory = quality.coverage or inventory_coverage(con, start, end, cfg.telemetry.max_gap_s)
    inventory_passed, inventory_detail = coverage_outcome(inventory, c.min_inventory_coverage)
    return [
        CheckOutcome(
            name="energy_conserved",
            passed=cons.passed,
            blocking=True,
            detail=f"{cons.checked} GPU-hours checked, {cons.failing} off by more than "
            f"{TOLERANCE_WH} Wh (worst {cons.worst_abs_diff_wh:.2e} Wh)",
        ),
        CheckOutcome(
            name="cost_reconciled",
            passed=rec.passed,
            blocking=True,
            detail=f"{rec.lines} billing lines in {rec.currencies} currencies; worst difference "
            f"{rec.worst_abs_diff_effective_cost:.2e} (effective), "
            f"{rec.worst_abs_diff_billed_cost:.2e} (billed); {rec.lines_missing} lines missing",
        ),
        CheckOutcome(
            name="no_negative_quantities",
            passed=neg == 0,
            blocking=True,
            detail=f"{neg} daily rows with a negative quantity",
        ),
        *(
            CheckOutcome(name=r.name, passed=True, blocking=True, detail=_declared_only(r))
            if declared_only and not r.checked
            else CheckOutcome(name=r.name, passed=r.passed, blocking=True, detail=r.detail())
            for r in links
        ),
        CheckOutcome(
            name="measured_coverage",
            passed=quality.measured_share >= c.min_measured_share,
            blocking=False,
            # fmt_pct: a share below 1 never prints as "100%"
            detail=f"{fmt_pct(quality.measured_share)} of GPU energy measured "
            f"(threshold {c.min_measured_share:.0%})",
        ),
        CheckOutcome(
            name="inventory_coverage",
            passed=inventory_passed,
            blocking=False,
            detail=inventory_detail,
        ),
        CheckOutcome(
            name="grid_coverage",
            passed=quality.grid_hourly_share >= c.min_grid_hourly_share,
            blocking=False,
            detail=f"{quality.grid_hourly_share:.1%} of facility energy priced with hourly grid "
            f"data (threshold {c.min_grid_hourly_share:.0%})",
        ),
    ]


def _declared_only(r: reconcile.Reconciliation) -> str:
    return (
        f"{r.table}: no fleet data in {r.window} (no rows in {r.table} nor in {r.upstream}); the "
        "period holds declared usage only: nothing to reconcile"
    )
