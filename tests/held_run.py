"""A real Dagster run left STARTED: a one-op job executed in a subprocess on a Dagster home, held
in its op until the test kills the process (as `kill -9`, or the machine stopping, would)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

SCRIPT = """
import sys, time
from pathlib import Path
import dagster as dg

@dg.op
def hold(context):
    Path(sys.argv[1]).write_text(context.run_id)
    time.sleep(600)

@dg.job
def held_job():
    hold()

with dg.DagsterInstance.get() as instance:
    held_job.execute_in_process(instance=instance, raise_on_error=False)
"""
START_TIMEOUT_S = 120


@dataclass
class HeldRun:
    proc: subprocess.Popen
    run_id: str

    def kill(self) -> None:
        """SIGKILL: the process ends without a word to the instance."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def hold_run(home: Path, tmp: Path) -> HeldRun:
    """Start the held job on the Dagster home `home`; return once its op runs."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    started = tmp / f"held_{time.monotonic_ns()}.run_id"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(started)],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (started.exists() and started.read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the held run did not start (exit {proc.returncode})")
        time.sleep(0.2)
    return HeldRun(proc, started.read_text())


def run_status(home: Path, run_id: str) -> tuple[dg.DagsterRunStatus, str | None]:
    """The run's status, and the message of its failure event if it has one."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        failures = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return run.status, (failures[-1].dagster_event.message if failures else None)
