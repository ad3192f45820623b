"""Automation: the nightly schedule and the sensors that bring late data in.

Dagster has no run-after-run dependency, and a run holds one partitions definition (daily data and
monthly reports cannot share one), so each stage is a run of its own and the next is launched by
a sensor that waits for the previous run to finish:

    landing_sensor     new or changed landing files  -> ingest run (`landing_files`)
    late_data_sensor   a finished ingest's `days_touched` -> data runs for exactly those days
    nightly (02:00 UTC)                               -> ingest + yesterday's data, in one run
    report_sensor      a successful data run's days   -> `disclosure_report` + `report_delivery`
                                                         for each month they fall in

So a late file for an old day is ingested, then only that day is recomputed, then only that
month's report is rendered and delivered; the nightly run reports the month of yesterday (on the
1st, the month just completed; a new month is reported once a day of it has been computed).
Every run these launch carries the tag `wattprint/warehouse`: limit it to 1 in the instance's
run queue (dagster.yaml `tag_concurrency_limits`) so two runs never write the warehouse at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, timedelta

import dagster as dg

from pipeline.defs.resources import WattprintResource
from pipeline.defs.selections import DATA_ASSETS, INGEST_ASSETS, REPORT_ASSETS
from pipeline.ingest import landing_files as list_landing_files

WAREHOUSE_TAG = {"wattprint/warehouse": "write"}
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
EVENTS_PER_TICK = 100


def _keys(names: list[str]) -> list[dg.AssetKey]:
    return [dg.AssetKey(n) for n in names]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _ranges(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days grouped into runs of consecutive days, (first, last) each."""
    out: list[tuple[date, date]] = []
    for d in days:
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _partition_request(first: date, last: date, names: list[str], key: str) -> dg.RunRequest:
    """One run over daily partitions [first, last]: a partition key for one day, else the range
    tags (the data assets' single-run backfill policy computes a range in one go)."""
    if first == last:
        return dg.RunRequest(
            run_key=key,
            asset_selection=_keys(names),
            partition_key=first.isoformat(),
            tags=WAREHOUSE_TAG,
        )
    return dg.RunRequest(
        run_key=key,
        asset_selection=_keys(names),
        tags={**WAREHOUSE_TAG, RANGE_START: first.isoformat(), RANGE_END: last.isoformat()},
    )


def _daily_bounds(
    context: dg.ScheduleEvaluationContext | dg.SensorEvaluationContext,
) -> tuple[date, date | None]:
    """First and last partition now (None: no day is complete yet) of the data assets' daily
    partitions, which start on the config's start date."""
    daily = context.repository_def.asset_graph.get(dg.AssetKey("daily_summary")).partitions_def
    last = daily.get_last_partition_key()
    return daily.start.date(), date.fromisoformat(last) if last else None


def _run_days(run: dg.DagsterRun) -> set[date]:
    """The days a run computed the data assets for (none if it did not select them)."""
    selected = run.asset_selection or set()
    if dg.AssetKey("daily_summary") not in selected:
        return set()
    tags = run.tags
    if "dagster/partition" in tags:
        return {date.fromisoformat(tags["dagster/partition"])}
    if RANGE_START in tags and RANGE_END in tags:
        return set(
            _days(date.fromisoformat(tags[RANGE_START]), date.fromisoformat(tags[RANGE_END]))
        )
    return set()


def _finished_events(
    instance: dg.DagsterInstance, asset: str, after: int | None
) -> Iterator[tuple[dg.EventLogRecord, dg.DagsterRun]]:
    """Materializations of `asset` after storage id `after`, oldest first, with their runs; stops
    at the first whose run is still going (a later tick takes it up once it has finished)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), after_storage_id=after),
        limit=EVENTS_PER_TICK,
        ascending=True,
    ).records
    for record in records:
        run = instance.get_run_by_id(record.run_id)
        if run is not None and not run.is_finished:
            return
        yield record, run


def _cursor_int(cursor: str | None) -> int | None:
    return int(cursor) if cursor else None


@dg.schedule(
    name="nightly",
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    target=dg.AssetSelection.assets(*INGEST_ASSETS, *DATA_ASSETS),
)
def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """At 02:00 UTC: ingest the landing folder and the inventory, then compute yesterday (UTC), in
    one run (Dagster orders the steps by their dependencies). The month's report follows from
    `report_sensor` once this run has succeeded."""
    day = context.scheduled_execution_time.astimezone(UTC).date() - timedelta(days=1)
    first, _ = _daily_bounds(context)
    if day < first:
        return dg.SkipReason(f"{day} is before the config's start_date {first}")
    return dg.RunRequest(
        run_key=f"nightly:{day.isoformat()}",
        asset_selection=_keys(INGEST_ASSETS + DATA_ASSETS),
        partition_key=day.isoformat(),
        tags=WAREHOUSE_TAG,
    )


def landing_fingerprint(wattprint: WattprintResource) -> tuple[int, str]:
    """(number of files, SHA-256 over every landing file's path, size and mtime)."""
    landing = wattprint.config().landing_dir
    h = hashlib.sha256()
    files = list_landing_files(landing)
    for path in files:
        st = path.stat()
        h.update(
            f"{path.relative_to(landing).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode()
        )
    return len(files), h.hexdigest()


@dg.sensor(
    name="landing_sensor",
    target=dg.AssetSelection.assets(*INGEST_ASSETS),
    minimum_interval_seconds=60,
)
def landing_sensor(
    context: dg.SensorEvaluationContext, wattprint: WattprintResource
) -> dg.SensorResult:
    """An ingest run (landing files and the inventory, which the data assets join against) when a
    landing file is new or changed (size or mtime). The cursor is one fingerprint of the whole
    listing, so it stays small; the ingest itself skips files with the size and mtime (else the
    SHA-256) it recorded. The run key is the fingerprint: one listing is ingested once."""
    n, fingerprint = landing_fingerprint(wattprint)
    cursor = json.dumps({"files": n, "sha256": fingerprint})
    previous = json.loads(context.cursor)["sha256"] if context.cursor else None
    if previous == fingerprint:
        return dg.SensorResult(skip_reason=f"{n} landing files, none new or changed")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"landing:{fingerprint}",
                asset_selection=_keys(INGEST_ASSETS),
                tags=WAREHOUSE_TAG,
            )
        ],
        cursor=cursor,
    )


@dg.sensor(
    name="late_data_sensor",
    target=dg.AssetSelection.assets(*DATA_ASSETS),
    minimum_interval_seconds=60,
)
def late_data_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """After an ingest run has finished: the data assets for exactly the days its files touched
    (`days_touched` of the `landing_files` materialization, old rows and new), consecutive days
    in one range run, clipped to the daily partitions; days the same run already computed after
    its ingest (the nightly run) are left out. The cursor is the last event's storage id."""
    after = _cursor_int(context.cursor)
    last, days = after, set()
    for record, run in _finished_events(context.instance, "landing_files", after):
        value = record.asset_materialization.metadata.get("days_touched")
        touched = {date.fromisoformat(d) for d in (value.value if value else [])}
        days |= touched - (_run_days(run) if run else set())
        last = record.storage_id
    cursor = str(last) if last is not None else None
    first_day, last_day = _daily_bounds(context)
    days = {d for d in days if last_day is not None and first_day <= d <= last_day}
    if not days:
        return dg.SensorResult(
            skip_reason="no finished ingest touched a daily partition", cursor=cursor
        )
    requests = [
        _partition_request(a, b, DATA_ASSETS, f"late:{a}:{b}:{last}")
        for a, b in _ranges(sorted(days))
    ]
    return dg.SensorResult(run_requests=requests, cursor=cursor)


@dg.sensor(
    name="report_sensor",
    target=dg.AssetSelection.assets(*REPORT_ASSETS),
    minimum_interval_seconds=60,
)
def report_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """After a data run has succeeded: the report and its delivery for each month of the days it
    computed (`daily_summary` materializations), month to date for the running month. A failed
    run (a blocking check failed) reports nothing. The cursor is the last event's storage id."""
    after = _cursor_int(context.cursor)
    last, months = after, set()
    for record, run in _finished_events(context.instance, "daily_summary", after):
        last = record.storage_id
        partition = record.asset_materialization.partition
        if run is not None and run.status == dg.DagsterRunStatus.SUCCESS and partition:
            months.add(partition[:7] + "-01")
    cursor = str(last) if last is not None else None
    if not months:
        return dg.SensorResult(
            skip_reason="no successful data run since the last tick", cursor=cursor
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"report:{m[:7]}:{last}",
                asset_selection=_keys(REPORT_ASSETS),
                partition_key=m,
                tags=WAREHOUSE_TAG,
            )
            for m in sorted(months)
        ],
        cursor=cursor,
    )
