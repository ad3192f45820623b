"""gpu_energy_intervals as a fan-out on Dagster's own executors: plan → one step per unit → commit.

    plan_energy_units     reads the warehouse, stages the shared inputs, one dynamic output per
                          unit (UTC day × host buckets, pipeline/method/passes.py)
    compute_energy_unit   one per unit: lake files in, the unit's merged pieces staged out
                          (pipeline/method/staging.py); never opens the warehouse
    commit_energy_units   the single writer: every unit's rows in one transaction, then the
                          reconciliation check and the asset's figures

With the default in-process executor (`wattprint run`) the steps run one after another; with the
multiprocess executor (`dagster dev`, the daemon, `execution: {config: {multiprocess: ...}}`) the
unit steps run in parallel processes; with an executor that starts steps elsewhere (Celery, a
Kubernetes job per step) they run on other machines that see the same lake folder. A unit that
fails or is killed leaves no result, so the commit refuses the stage and the warehouse keeps the
window's rows as they were.
"""

import dagster as dg
import polars as pl

from pipeline.defs import metadata as md
from pipeline.defs.resources import WattprintResource
from pipeline.defs.window import Window, compute, window
from pipeline.method import reconcile, staging
from pipeline.warehouse import lake

RECONCILED = "gpu_energy_intervals_reconciled"


class PlanConfig(dg.Config):
    """How many units a day's buckets are grouped into (default: as many as keep each under
    pipeline.method.passes.UNIT_ROWS samples)."""

    units_per_day: int | None = None


@dg.op(ins={"upstream": dg.In(dg.Nothing)}, out=dg.DynamicOut(str))
def plan_energy_units(
    context: dg.OpExecutionContext, config: PlanConfig, wattprint: WattprintResource
):
    start, end = window(context)
    with wattprint.connect() as con:
        stage, keys = staging.plan(
            con, wattprint.config(), start, end, units_per_day=config.units_per_day
        )
    context.log.info(f"{len(keys)} energy units for {start:%Y-%m-%d} .. {end:%Y-%m-%d}")
    for key in keys:
        yield dg.DynamicOutput(f"{stage}#{key}", mapping_key=key.replace("-", "_"))


@dg.op
def compute_energy_unit(context: dg.OpExecutionContext, unit: str) -> str:
    stage, _, key = unit.rpartition("#")
    return staging.run_unit(stage, key)


@dg.op(out={"result": dg.Out(dg.Nothing), RECONCILED: dg.Out(dg.Nothing)})
def commit_energy_units(
    context: dg.OpExecutionContext, wattprint: WattprintResource, units: list[str]
):
    def build(w: Window):
        stage = staging.address(lake.store_of(w.con).root, w.start, w.end)
        n = staging.commit(w.con, stage)
        return n, reconcile.gpu_energy_intervals(w.con, w.cfg, w.start, w.end)

    done = compute(
        context,
        wattprint,
        build,
        "select_gpu_energy_intervals_window_by_day",
        asset="gpu_energy_intervals",
    )
    by_day = done.summary
    gpu_kwh = md.totals(by_day, ["energy_kwh"])["energy_kwh"]
    estimated = md.totals(by_day.filter(pl.col("source") == "estimated"), ["energy_kwh"])
    result = done.result(
        {
            "gpu_energy_kwh": gpu_kwh,
            "estimated_energy_kwh": estimated["energy_kwh"],
            "measured_share": md.share(gpu_kwh - estimated["energy_kwh"], gpu_kwh),
            "energy_units": len(units),
        }
    )
    yield dg.Output(None, output_name="result", metadata=result.metadata)
    check = md.reconciliation_check(done.checks)
    yield dg.AssetCheckResult(
        asset_key="gpu_energy_intervals",
        check_name=RECONCILED,
        passed=check.passed,
        description=check.description,
        metadata=check.metadata,
    )


@dg.graph_asset(
    ins={
        name: dg.AssetIn(dagster_type=dg.Nothing)
        for name in ("landing_files", "inventory", "job_allocations")
    },
    check_specs=[md.reconciliation_spec(RECONCILED, "gpu_energy_intervals")],
    kinds={"duckdb", "parquet"},
    group_name="method",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def gpu_energy_intervals(landing_files, inventory, job_allocations):
    """GPU samples from the telemetry lake integrated into energy pieces (Wh), cut at hours and at
    the window's job boundaries, gaps estimated, pieces attributed alike merged; one step per
    unit of (day × host buckets), committed by one writer."""
    planned = plan_energy_units(upstream=[landing_files, inventory, job_allocations])
    units = planned.map(compute_energy_unit).collect()
    result, reconciled = commit_energy_units(units)
    return {"result": result, f"gpu_energy_intervals_{RECONCILED}": reconciled}
