"""Run the Dagster asset graph for a config and a date range (what `wattprint run` does).

Data assets run as one single-run backfill over the whole range (each asset computes the range's
window in one go); the report runs once per month the range touches.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipeline import settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
DATA_ASSETS = [
    "gpu_energy_intervals",
    "job_allocations",
    "gpu_energy_attributed",
    "footprint_hourly",
    "daily_summary",
    "cost_attributed",
]


# modules whose definitions read the config at import (partition start dates)
_CONFIG_BOUND = (
    "pipeline.defs.partitions",
    "pipeline.defs.energy.assets",
    "pipeline.defs.cost.assets",
    "pipeline.defs.report.assets",
    "pipeline.defs.report.delivery",
    "pipeline.defs.automation",
)


def load_defs(config: Path) -> dg.Definitions:
    """The definitions for this config. Dagster partitions are fixed at import, so modules bound
    to a previous config in this process are reloaded (tests run several configs in one process)."""
    os.environ["WATTPRINT_CONFIG"] = str(Path(config).resolve())
    settings._load.cache_clear()
    for name in _CONFIG_BOUND:
        if name in sys.modules:
            importlib.reload(sys.modules[name])
    from pipeline.definitions import defs

    return defs()


def months(start: date, end: date) -> list[str]:
    """Month partition keys (first days) touched by [start, end]."""
    keys, d = [], start.replace(day=1)
    while d <= end:
        keys.append(d.isoformat())
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def run_pipeline(
    config: Path,
    start: date,
    end: date,
    instance: dg.DagsterInstance | None = None,
    on_step: Callable[[str], None] = lambda s: None,
    report: bool = True,
) -> list[dg.ExecuteInProcessResult]:
    """Ingest, compute days [start, end] (inclusive) and write the reports of the months touched."""
    defs = load_defs(config)
    job = defs.resolve_implicit_global_asset_job_def()
    instance = instance or dg.DagsterInstance.ephemeral()
    results = []
    on_step("ingest landing files and inventory")
    results.append(
        job.execute_in_process(
            run_config=QUIET,
            instance=instance,
            asset_selection=[dg.AssetKey("inventory"), dg.AssetKey("landing_files")],
        )
    )
    on_step(f"compute days {start} .. {end}")
    results.append(
        job.execute_in_process(
            run_config=QUIET,
            instance=instance,
            asset_selection=[dg.AssetKey(a) for a in DATA_ASSETS],
            tags={
                "dagster/asset_partition_range_start": start.isoformat(),
                "dagster/asset_partition_range_end": end.isoformat(),
            },
        )
    )
    if report:
        for key in months(start, end):
            on_step(f"report {key[:7]}")
            results.append(
                job.execute_in_process(
                    run_config=QUIET,
                    instance=instance,
                    asset_selection=[dg.AssetKey("disclosure_report")],
                    partition_key=key,
                )
            )
    return results
