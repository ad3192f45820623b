"""The nightly schedule and the landing / late-data / report sensors, evaluated as Dagster does and
their run requests executed with the real asset job on a small demo fleet."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import pytest

from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.demo.fleet import generate_fleet
from pipeline.orchestrate import DATA_ASSETS, QUIET

REPORT = ["disclosure_report", "report_delivery"]
HEADER = "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment\n"
TRES = "billing=112,cpu=112,gres/gpu:h100=8,gres/gpu=8,mem=1920G,node=1"


def _late_sacct(start: str, end: str) -> str:
    """A one-job sacct export in the fleet's format (Stockholm local times)."""
    return HEADER + (
        f"9900001|late-finetune|alice|research|train|COMPLETED|{start}|{end}|sto-h100-001|{TRES}|\n"
    )


@pytest.fixture()
def fleet(tmp_path):
    return generate_fleet(tmp_path / "fleet", days=2, start=date(2026, 10, 1))


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest):
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config=QUIET,
        instance=instance,
        asset_selection=list(request.asset_selection),
        partition_key=request.partition_key,
        tags=request.tags,
    )
    assert result.success
    return result


def _sensor(defs, name, instance, cursor):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    )
    return defs.resolve_sensor_def(name).evaluate_tick(context)


def _selection(request: dg.RunRequest) -> set[str]:
    return {k.to_user_string() for k in request.asset_selection}


def _daily(path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT CAST(day AS VARCHAR), site, phase, model, team, facility_energy_kwh "
            "FROM daily_summary ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    by_day: dict[str, list[tuple]] = {}
    for r in rows:
        by_day.setdefault(r[0], []).append(r[1:])
    return by_day


def test_nightly_ingests_and_computes_yesterday_then_reports_its_month(fleet):
    defs = build_defs(fleet)
    instance = dg.DagsterInstance.ephemeral()
    schedule = defs.resolve_schedule_def("nightly")
    repo = defs.get_repository_def()
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"

    at = datetime(2026, 10, 3, 2, tzinfo=UTC)
    [request] = schedule.evaluate_tick(
        dg.build_schedule_context(
            instance=instance, scheduled_execution_time=at, repository_def=repo
        )
    ).run_requests
    assert request.partition_key == "2026-10-02"
    assert _selection(request) == {"inventory", "landing_files", *DATA_ASSETS}
    result = _execute(defs, instance, request)
    # one run, in dependency order: ingest before the data of the day
    done = [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()]
    assert done.index("landing_files") < done.index("gpu_energy_intervals")
    assert {e.partition for e in result.get_asset_materialization_events()} == {None, "2026-10-02"}
    # the nightly ingest's days are computed by the same run: nothing late to redo for 10-02
    late = _sensor(defs, "late_data_sensor", instance, None)
    assert all(r.partition_key != "2026-10-02" for r in late.run_requests)
    assert all("2026-10-02" not in r.tags.values() for r in late.run_requests)

    # the report follows once the data run has succeeded: October, month to date
    tick = _sensor(defs, "report_sensor", instance, None)
    [report] = tick.run_requests
    assert (report.partition_key, _selection(report)) == ("2026-10-01", set(REPORT))
    _execute(defs, instance, report)
    assert (load_config(fleet).reports_dir / "2026-10" / "report.pdf").is_file()
    assert _sensor(defs, "report_sensor", instance, tick.cursor).run_requests == []

    # on the 1st, yesterday is the last day of the month just completed: October is reported
    [first] = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=datetime(2026, 11, 1, 2, tzinfo=UTC), repository_def=repo
        )
    ).run_requests
    assert first.partition_key == "2026-10-31"
    # before the config's start date there is nothing to compute
    before = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=datetime(2026, 10, 1, 2, tzinfo=UTC), repository_def=repo
        )
    )
    assert before.run_requests == [] and "before the config's start_date" in before.skip_message


def test_late_file_recomputes_only_its_days_and_month(fleet):
    defs = build_defs(fleet)
    cfg = load_config(fleet)
    instance = dg.DagsterInstance.ephemeral()

    # first tick: every file is new -> one ingest run; the same listing again -> nothing
    tick = _sensor(defs, "landing_sensor", instance, None)
    [ingest] = tick.run_requests
    assert _selection(ingest) == {"inventory", "landing_files"}
    assert json.loads(tick.cursor)["files"] == len(list(cfg.landing_dir.rglob("*.*")))
    _execute(defs, instance, ingest)
    again = _sensor(defs, "landing_sensor", instance, tick.cursor)
    assert again.run_requests == [] and again.skip_message
    landing_cursor = tick.cursor

    # the first ingest touched every day of the fleet's data; the fleet's sacct exports hold
    # running jobs (End=Unknown), which hold their nodes up to today: one range from the start
    tick = _sensor(defs, "late_data_sensor", instance, None)
    [backfill] = tick.run_requests
    assert backfill.tags["dagster/asset_partition_range_start"] == "2026-10-01"
    late_cursor = tick.cursor
    # compute the fleet's two days only (the range to today would be slow here)
    baseline = dg.RunRequest(
        asset_selection=backfill.asset_selection,
        tags={
            "dagster/asset_partition_range_start": "2026-10-01",
            "dagster/asset_partition_range_end": "2026-10-02",
        },
    )
    _execute(defs, instance, baseline)
    report_cursor = _sensor(defs, "report_sensor", instance, None).cursor
    before = _daily(cfg.warehouse_path)

    # a late sacct export for 2026-10-01 (12:00-14:00 Stockholm = 10:00-12:00 UTC)
    late = cfg.landing_dir / "slurm" / "stockholm" / "sacct-late-2026-10-01.txt"
    late.write_text(_late_sacct("2026-10-01T12:00:00", "2026-10-01T14:00:00"))
    tick = _sensor(defs, "landing_sensor", instance, landing_cursor)
    [ingest] = tick.run_requests
    assert _selection(ingest) == {"inventory", "landing_files"}
    landing_cursor = tick.cursor
    result = _execute(defs, instance, ingest)
    meta = result.asset_materializations_for_node("landing_files")[0].metadata
    assert meta["files_ingested"].value == 1
    assert meta["days_touched"].value == ["2026-10-01"]

    # exactly 2026-10-01's daily partitions, one run
    tick = _sensor(defs, "late_data_sensor", instance, late_cursor)
    [data] = tick.run_requests
    assert (data.partition_key, _selection(data)) == ("2026-10-01", set(DATA_ASSETS))
    late_cursor = tick.cursor
    _execute(defs, instance, data)
    after = _daily(cfg.warehouse_path)
    assert sorted(after) == sorted(before) == ["2026-10-01", "2026-10-02"], (
        list(after),
        list(before),
    )
    assert after["2026-10-02"] == before["2026-10-02"]
    assert after["2026-10-01"] != before["2026-10-01"]
    # the late job now holds GPU energy of 10-01, 10:00-12:00 UTC; the facility total is the same
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        hours, wh = con.execute(
            "SELECT list(DISTINCT hour_utc ORDER BY hour_utc), sum(energy_wh) "
            "FROM gpu_energy_attributed WHERE job_key = 'stockholm/9900001'"
        ).fetchone()
    finally:
        con.close()
    assert hours == [datetime(2026, 10, 1, 10), datetime(2026, 10, 1, 11)]
    assert wh > 0
    total = sum(r[4] for r in after["2026-10-01"])
    assert total == pytest.approx(sum(r[4] for r in before["2026-10-01"]), rel=1e-9)

    # then that month's report and delivery, once
    tick = _sensor(defs, "report_sensor", instance, report_cursor)
    [report] = tick.run_requests
    assert (report.partition_key, _selection(report)) == ("2026-10-01", set(REPORT))
    assert _sensor(defs, "report_sensor", instance, tick.cursor).run_requests == []

    # the file rewritten: the job moved to 10-02 -> both the old day and the new one
    late.write_text(_late_sacct("2026-10-02T12:00:00", "2026-10-02T14:00:00"))
    tick = _sensor(defs, "landing_sensor", instance, landing_cursor)
    [ingest] = tick.run_requests
    landing_cursor = tick.cursor
    _execute(defs, instance, ingest)
    tick = _sensor(defs, "late_data_sensor", instance, late_cursor)
    [data] = tick.run_requests
    assert data.partition_key is None
    assert data.tags["dagster/asset_partition_range_start"] == "2026-10-01"
    assert data.tags["dagster/asset_partition_range_end"] == "2026-10-02"
    late_cursor = tick.cursor

    # a file touched but not changed: an ingest run that finds it unchanged, then nothing to redo
    st = late.stat()
    os.utime(late, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    tick = _sensor(defs, "landing_sensor", instance, landing_cursor)
    [ingest] = tick.run_requests
    landing_cursor = tick.cursor
    result = _execute(defs, instance, ingest)
    meta = result.asset_materializations_for_node("landing_files")[0].metadata
    assert (meta["files_ingested"].value, meta["days_touched"].value) == (0, [])
    tick = _sensor(defs, "late_data_sensor", instance, late_cursor)
    assert tick.run_requests == [] and tick.skip_message
    # and a re-scan of the same listing launches nothing
    assert _sensor(defs, "landing_sensor", instance, landing_cursor).run_requests == []
