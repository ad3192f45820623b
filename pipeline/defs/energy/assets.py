"""Daily-partitioned method assets: energy pieces, allocations, attribution, footprint, summary."""

import dagster as dg
import polars as pl

from pipeline.defs import metadata as md
from pipeline.defs.resources import WattprintResource
from pipeline.defs.window import Window, compute
from pipeline.method import checks, reconcile
from pipeline.method.allocations import build_job_allocations
from pipeline.method.coverage import coverage_outcome, inventory_coverage
from pipeline.method.energy import (
    build_daily_summary,
    build_footprint_hourly,
    build_gpu_energy_attributed,
)
from pipeline.warehouse import one

_CARBON = ("co2e_kg_location", "co2e_kg_market")
_FOOTPRINT_TOTALS = ("gpu_energy_kwh", "it_energy_kwh", "facility_energy_kwh", "water_l")


def _carbon(sums: dict[str, float]) -> dict[str, float]:
    """Carbon totals of a window. The market figure is before annual instruments, which the
    report applies per period, so it is keyed apart from the report's `co2e_kg_market`."""
    return {
        "co2e_kg_location": sums["co2e_kg_location"],
        "co2e_kg_market_before_annual": sums["co2e_kg_market"],
    }


# group `method`: daily partitions from the config's start date (pipeline/definitions.py)
_common = {
    "kinds": {"duckdb"},
    "group_name": "method",
    "backfill_policy": dg.BackfillPolicy.single_run(),
}


@dg.asset(deps=["landing_files", "inventory"], **_common)
def job_allocations(
    context: dg.AssetExecutionContext, wattprint: WattprintResource
) -> dg.MaterializeResult:
    """Slurm jobs per host and day with phase, model and team from tags or the config's rules."""

    def build(w: Window):
        return build_job_allocations(w.con, w.cfg, w.start, w.end), None

    done = compute(context, wattprint, build, "select_job_allocations_window_by_day")
    by_day = done.summary
    unclassified = by_day.filter(pl.col("phase") == "unclassified")
    return done.result(
        {
            "gpu_hours": md.totals(by_day, ["gpu_hours"])["gpu_hours"],
            "unclassified_job_days": int(unclassified["jobs"].sum()) if unclassified.height else 0,
        }
    )


@dg.asset(
    deps=["gpu_energy_intervals", job_allocations],
    check_specs=[
        dg.AssetCheckSpec("energy_conserved", asset="gpu_energy_attributed", blocking=True),
        md.reconciliation_spec("gpu_energy_attributed_reconciled", "gpu_energy_attributed"),
    ],
    **_common,
)
def gpu_energy_attributed(context: dg.AssetExecutionContext, wattprint: WattprintResource):
    """GPU energy per hour × GPU × job, the unallocated rest as idle; conserves GPU energy."""

    def build(w: Window):
        n = build_gpu_energy_attributed(w.con, w.start, w.end)
        return n, (
            checks.energy_conservation(w.con, w.start, w.end),
            reconcile.gpu_energy_attributed(w.con, w.start, w.end),
        )

    done = compute(context, wattprint, build, "select_gpu_energy_attributed_window_by_day")
    by_day, (result, reconciled) = done.summary, done.checks

    def kwh(kind: str) -> float:
        return md.totals(by_day.filter(pl.col("kind") == kind), ["energy_kwh"])["energy_kwh"]

    energy = md.totals(by_day, ["energy_kwh", "measured_kwh"])
    yield done.result(
        {
            "gpu_energy_kwh": energy["energy_kwh"],
            "job_energy_kwh": kwh("job"),
            "idle_energy_kwh": kwh("idle"),
            "scheduler_estimated_kwh": kwh("scheduler_estimated"),
            "measured_share": md.share(energy["measured_kwh"], energy["energy_kwh"]),
        }
    )
    yield dg.AssetCheckResult(
        check_name="energy_conserved",
        passed=result.passed,
        metadata={
            "gpu_hours_checked": result.checked,
            "worst_abs_diff_wh": result.worst_abs_diff_wh,
            "failing_gpu_hours": result.failing,
            "tolerance_wh": checks.TOLERANCE_WH,
            "gpu_energy_kwh": energy["energy_kwh"],
            "scheduler_estimated_kwh": kwh("scheduler_estimated"),
        },
    )
    yield md.reconciliation_check(reconciled)


@dg.asset(
    deps=[gpu_energy_attributed, "landing_files"],
    check_specs=[
        md.reconciliation_spec("footprint_hourly_reconciled", "footprint_hourly"),
        md.reconciliation_spec("footprint_hourly_factors", "footprint_hourly"),
    ],
    **_common,
)
def footprint_hourly(context: dg.AssetExecutionContext, wattprint: WattprintResource):
    """Facility energy (PUE), carbon (location, market), water and embodied per hour × job."""

    def build(w: Window):
        n = build_footprint_hourly(w.con, w.start, w.end)
        return n, [
            reconcile.footprint_hourly(w.con, w.start, w.end),
            reconcile.footprint_factors(w.con, w.start, w.end),
        ]

    done = compute(context, wattprint, build, "select_footprint_hourly_window_by_day")
    by_day = done.summary
    yield done.result(
        {
            **md.totals(by_day, _FOOTPRINT_TOTALS),
            **_carbon(md.totals(by_day, _CARBON)),
            "grid_fallback_site_hours": int(by_day["grid_fallback_hours"].sum())
            if by_day.height
            else 0,
        }
    )
    for r in done.checks:
        yield md.reconciliation_check(r)


@dg.asset(
    deps=[footprint_hourly, job_allocations],
    check_specs=[
        dg.AssetCheckSpec("no_negative_quantities", asset="daily_summary", blocking=True),
        md.reconciliation_spec("daily_summary_reconciled", "daily_summary"),
        dg.AssetCheckSpec("measured_coverage", asset="daily_summary"),
        dg.AssetCheckSpec("inventory_coverage", asset="daily_summary"),
        dg.AssetCheckSpec("grid_coverage", asset="daily_summary"),
    ],
    **_common,
)
def daily_summary(context: dg.AssetExecutionContext, wattprint: WattprintResource):
    """Daily footprint by site, phase, model and team (idle as its own phase)."""

    def build(w: Window):
        n = build_daily_summary(w.con, w.start, w.end)
        return n, (
            reconcile.daily_summary(w.con, w.start, w.end),
            one(w.con, "select_window_quality", w.bounds),
            one(w.con, "select_grid_fallback_hours", w.bounds),
            inventory_coverage(w.con, w.start, w.end, w.cfg.telemetry.max_gap_s),
        )

    done = compute(context, wattprint, build, "select_daily_summary_window_by_phase")
    reconciled, quality, (fallback_hours,), inventory = done.checks
    kwh, measured, hourly, negative = quality
    by_phase, files, n = done.summary, done.files, done.rows
    thresholds = wattprint.config().checks
    sums = md.totals(
        by_phase,
        ["gpu_energy_kwh", "scheduler_estimated_kwh", "fallback_facility_kwh", *_CARBON],
    )
    scheduler_share = md.share(sums["scheduler_estimated_kwh"], sums["gpu_energy_kwh"], 0.0)
    quarantined = files["input_rows_quarantined"]
    yield done.result(
        {
            "facility_energy_kwh": float(kwh),
            "gpu_energy_kwh": sums["gpu_energy_kwh"],
            **_carbon(sums),
            "measured_share": float(measured),
        }
    )
    yield dg.AssetCheckResult(
        check_name="no_negative_quantities",
        passed=negative == 0,
        metadata={"negative_rows": int(negative), "daily_rows": n},
    )
    yield md.reconciliation_check(reconciled)
    # coverage only warns: estimated figures are still a disclosure, flagged as such
    yield dg.AssetCheckResult(
        check_name="measured_coverage",
        passed=measured >= thresholds.min_measured_share,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "measured_share": float(measured),
            "threshold": thresholds.min_measured_share,
            "scheduler_estimated_share": scheduler_share,
            "scheduler_estimated_kwh": sums["scheduler_estimated_kwh"],
            "quarantined_rows": quarantined,
            "input_files": files["input_files"],
        },
    )
    inventory_passed, inventory_detail = coverage_outcome(
        inventory, thresholds.min_inventory_coverage
    )
    yield dg.AssetCheckResult(
        check_name="inventory_coverage",
        passed=inventory_passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=inventory_detail,
        metadata={
            "measured_share_of_expected": md.share(
                inventory.measured_gpu_hours, inventory.expected_gpu_hours, 0.0
            ),
            "threshold": thresholds.min_inventory_coverage,
            "expected_gpu_hours": inventory.expected_gpu_hours,
            "measured_gpu_hours": inventory.measured_gpu_hours,
            "estimated_gpu_hours": inventory.estimated_gpu_hours,
            "missing_gpu_hours": inventory.missing_gpu_hours,
            "telemetry_gaps": inventory.gap_count,
            "hosts_without_telemetry": len(inventory.hosts_without_telemetry),
            "hosts_not_in_inventory": len(inventory.unknown_hosts),
        },
    )
    yield dg.AssetCheckResult(
        check_name="grid_coverage",
        passed=hourly >= thresholds.min_grid_hourly_share,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "grid_hourly_share": float(hourly),
            "threshold": thresholds.min_grid_hourly_share,
            "grid_fallback_site_hours": int(fallback_hours),
            "fallback_facility_kwh": sums["fallback_facility_kwh"],
        },
    )
