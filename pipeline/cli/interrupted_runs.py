"""Runs interrupted mid-way: a process killed (`kill -9`, out of memory, the machine stopped)
records no outcome, so Dagster shows its run STARTED for ever. `wattprint run` and `wattprint ui`
call `fail_interrupted_runs` on their instance at start: a run STARTED or CANCELING whose process
is gone is marked FAILURE, with why, so it can be run again and shows as what it is."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

# internal to Dagster, but the one way to tell an instance kept on this machine
from dagster._core.storage.runs import SqliteRunStorage

from pipeline.cli.processes import alive_since

IN_PROGRESS = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class Interrupted:
    run_id: str
    job_name: str
    pid: int


def fail_interrupted_runs(instance: dg.DagsterInstance) -> list[Interrupted]:
    """Mark FAILURE every run in progress whose process (the one that recorded its start) no
    longer runs; the runs marked. Only for an instance kept on this machine (SQLite, Dagster's
    default, as `wattprint` writes it): where runs may run on other machines, a process number
    says nothing here (Dagster's run monitoring is for those)."""
    if not (instance.is_ephemeral or isinstance(instance.run_storage, SqliteRunStorage)):
        return []
    marked = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        started = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.RUN_START, limit=1, ascending=False
        ).records
        if not started or started[0].event_log_entry.dagster_event is None:
            continue
        entry = started[0].event_log_entry
        pid = entry.dagster_event.pid
        if pid is None or alive_since(pid, entry.timestamp):
            continue
        instance.report_run_failed(
            run,
            f"Run interrupted: the process that ran it (pid {pid}) ended without recording an "
            "outcome (killed, or the machine stopped). Marked failed when wattprint next started; "
            "run its partitions again.",
        )
        marked.append(Interrupted(run.run_id, run.job_name, pid))
    return marked
