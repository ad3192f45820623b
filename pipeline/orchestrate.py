"""Launch the Dagster asset graph of a config over a date range (what `wattprint run` does).

Three kinds of run, on one instance: the ingest (landing files and inventory), the data assets as
one single-run backfill over the whole range (each asset computes the range's window in one go),
and the report once per month the range touches. The config is read once, by the definitions'
resource; every run reuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipeline import warehouse
from pipeline.config import Config
from pipeline.definitions import build_defs
from pipeline.defs.console import console_without_failures
from pipeline.defs.partitions import daily_partitions
from pipeline.defs.resources import WattprintResource
from pipeline.defs.selections import DATA_ASSETS, INGEST_ASSETS
from pipeline.user_errors import UserError

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class NoTelemetryError(UserError, LookupError):
    """No telemetry has been ingested, so there is no default range of days."""


class DayRangeError(UserError):
    """Days asked for that the config's daily partitions do not have."""


def check_days(cfg: Config, start: date, end: date) -> None:
    """Raise DayRangeError unless [start, end] lies in the daily partitions: from the config's
    `start_date` to the last complete UTC day (yesterday)."""
    key = daily_partitions(cfg.start_date).get_last_partition_key()
    if key is None:
        raise DayRangeError(
            f"start_date: {cfg.start_date} is not over yet (UTC), so there is no day to compute: "
            "set start_date to the first day of your data"
        )
    last = date.fromisoformat(key)
    if start < cfg.start_date:
        raise DayRangeError(
            f"start_date: --start {start} is before the config's start_date "
            f"{cfg.start_date}, the first day wattprint computes: give --start {cfg.start_date} "
            "or later, or set start_date earlier"
        )
    if end > last:
        raise DayRangeError(
            f"--end {end} is after {last}, the last complete UTC day (a day is computed once it "
            f"is over): give --end {last} or earlier ('yesterday')"
        )
    if end < start:
        raise DayRangeError(
            f"the days {start} .. {end} are none: --end is before --start, or the ingested "
            f"telemetry lies outside start_date {cfg.start_date} .. {last}; give --start and --end"
        )


def months(start: date, end: date) -> list[str]:
    """Month partition keys (first days) touched by [start, end]."""
    keys, d = [], start.replace(day=1)
    while d <= end:
        keys.append(d.isoformat())
        d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return keys


def telemetry_span(cfg: Config) -> tuple[date, date]:
    """Days covered by ingested telemetry, from the config's start date to yesterday at most: the
    default range of `wattprint run`."""
    with warehouse.connect(cfg.warehouse_path) as con:
        lo, hi = warehouse.one(con, "select_telemetry_span")
    if lo is None:
        raise NoTelemetryError(
            f"{cfg.landing_dir} (paths.landing): no GPU telemetry ingested yet, so there is no "
            "default range of days: put telemetry files under telemetry/<host>/ there, or give "
            "--start and --end"
        )
    return max(lo, cfg.start_date), min(hi, date.today() - timedelta(days=1))


@dataclass(frozen=True)
class Pipeline:
    """The definitions of one config file, the config they read, and the runs launched on them."""

    defs: dg.Definitions
    config: Config
    # False: the console shows no failure events (the caller reports the raised exception)
    log_failures: bool = True

    @classmethod
    def load(cls, path: str | Path) -> Pipeline:
        """Read the config file (raises ConfigError) and build its definitions."""
        wattprint = WattprintResource.for_file(path)
        return cls(build_defs(wattprint), wattprint.config())

    def execute(
        self, instance: dg.DagsterInstance, assets: list[str], **kwargs
    ) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_implicit_global_asset_job_def()
        if not self.log_failures:
            job = job.with_logger_defs({"console": console_without_failures})
        return job.execute_in_process(
            run_config=QUIET,
            instance=instance,
            asset_selection=[dg.AssetKey(a) for a in assets],
            **kwargs,
        )


def run_pipeline(
    config: str | Path | Pipeline,
    start: date | None,
    end: date | None,
    instance: dg.DagsterInstance | None = None,
    on_step: Callable[[str, int | None], None] = lambda name, total: None,
    report: bool = True,
) -> list[dg.ExecuteInProcessResult]:
    """Ingest, compute days [start, end] (inclusive; by default the days of ingested telemetry)
    and write the reports of the months touched. `on_step(name, steps)` is called before each
    run, with the number of runs once it is known."""
    pipeline = config if isinstance(config, Pipeline) else Pipeline.load(config)
    instance = instance or dg.DagsterInstance.ephemeral()

    def steps() -> int | None:
        known = start is not None and end is not None
        return 2 + (len(months(start, end)) if report else 0) if known else None

    if start is not None and end is not None:  # a wrong range is refused before any run
        check_days(pipeline.config, start, end)
    on_step("ingest landing files and inventory", steps())
    results = [pipeline.execute(instance, INGEST_ASSETS)]
    if start is None or end is None:
        lo, hi = telemetry_span(pipeline.config)
        start, end = start or lo, end or hi
        check_days(pipeline.config, start, end)
    on_step(f"compute days {start} .. {end}", steps())
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }
    results.append(pipeline.execute(instance, DATA_ASSETS, tags=tags))
    if report:
        for key in months(start, end):
            on_step(f"report {key[:7]}", steps())
            results.append(pipeline.execute(instance, ["disclosure_report"], partition_key=key))
    return results
