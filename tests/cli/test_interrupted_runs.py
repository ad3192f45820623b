"""Runs interrupted mid-way (their process killed) are marked FAILURE, with the reason, when
wattprint next starts on the instance; runs whose process still runs are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipeline.cli.instance import dagster_home
from pipeline.cli.interrupted_runs import fail_interrupted_runs
from pipeline.config import load_config
from pipeline.demo.fleet import generate_fleet
from tests.held_run import hold_run, run_status

REPO = Path(__file__).resolve().parents[2]


def test_a_killed_run_is_marked_failed_saying_why(tmp_path: Path) -> None:
    home = tmp_path / "home"
    held = hold_run(home, tmp_path)
    held.kill()
    assert run_status(home, held.run_id)[0] == dg.DagsterRunStatus.STARTED  # as Dagster leaves it
    with dg.DagsterInstance.from_config(str(home)) as instance:
        marked = fail_interrupted_runs(instance)
    assert [m.run_id for m in marked] == [held.run_id]
    status, message = run_status(home, held.run_id)
    assert status == dg.DagsterRunStatus.FAILURE
    assert "interrupted" in message and f"pid {held.proc.pid}" in message, message
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert fail_interrupted_runs(instance) == []  # once


def test_a_run_whose_process_still_runs_is_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    held = hold_run(home, tmp_path)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert fail_interrupted_runs(instance) == []
        assert run_status(home, held.run_id) == (dg.DagsterRunStatus.STARTED, None)
    finally:
        held.kill()


def test_a_later_process_with_the_same_number_does_not_keep_a_run_alive(tmp_path: Path) -> None:
    """The run's process is gone; its pid now belongs to a process started after the run did."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    later = subprocess.Popen(["sleep", "120"])
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run = instance.add_run(dg.DagsterRun(job_name="held_job", run_id=str(uuid.uuid4())))
            start = dg.DagsterEvent(
                dg.DagsterEventType.RUN_START.value, job_name="held_job", pid=later.pid
            )
            an_hour_ago = time.time() - 3600
            instance.handle_new_event(
                dg.EventLogEntry(
                    error_info=None,
                    level="DEBUG",
                    user_message="",
                    run_id=run.run_id,
                    timestamp=an_hour_ago,
                    dagster_event=start,
                    job_name="held_job",
                )
            )
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
            marked = fail_interrupted_runs(instance)
        assert [m.run_id for m in marked] == [run.run_id]
    finally:
        later.kill()
        later.wait()


def _run_command(config: Path) -> list[str]:
    cli = [sys.executable, "-m", "pipeline.cli"]
    return [*cli, "run", "--config", str(config), "--start", "2026-10-01", "--end", "2026-10-01"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # the config's instance


@pytest.fixture(scope="module")
def one_day_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_fleet(tmp_path_factory.mktemp("fleet"), days=1, start=date(2026, 10, 1))


def test_wattprint_run_marks_the_killed_run_failed_and_says_so(
    one_day_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(load_config(one_day_config))  # the config's own instance
    held = hold_run(home, tmp_path)
    held.kill()
    proc = subprocess.run(
        _run_command(one_day_config),
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status, message = run_status(home, held.run_id)
    assert status == dg.DagsterRunStatus.FAILURE
    assert "interrupted" in message, message
    # the user is told, by run id, on the console
    assert held.run_id in " ".join(proc.stderr.split()), proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_wattprint_run_stopped_by_a_signal_records_its_run_failed_at_once(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """`kill PID` (a service manager stopping it) or Ctrl-C: the run in progress is FAILURE
    straight away, and the command ends with one line, no traceback."""
    config = generate_fleet(tmp_path / "fleet", days=1, start=date(2026, 10, 1))
    home = config.parent / ".dagster_home"
    proc = subprocess.Popen(
        _run_command(config),
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # a step runs once its run has a compute-log folder (watched on disk: opening the instance
    # while the command creates it races Dagster's schema migration)
    logs = home / "storage"
    try:
        deadline = time.monotonic() + 300
        while not (logs.is_dir() and any(logs.iterdir())):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no run started in 300 s"
            time.sleep(0.1)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    started = [d.name for d in logs.iterdir()]
    assert proc.returncode == 128 + sig, out + err
    assert "Traceback" not in err, err
    assert f"stopped by {sig.name}" in err, err
    (run_id,) = started
    assert run_status(home, run_id)[0] == dg.DagsterRunStatus.FAILURE
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_run_records()) == 1  # no further run was launched


def test_a_step_error_raised_while_a_stop_signal_unwinds_is_the_stop(monkeypatch, capsys):
    """SIGTERM landing inside a step: Dagster may report it as the step's error (a
    DagsterExecutionStepExecutionError raised from the KeyboardInterrupt) instead of its own
    interruption. That is still the stop: one line, exit 128 + 15, no traceback (seen once in
    five runs of the subprocess test above before the fix)."""
    import contextlib
    import types

    import typer

    import pipeline.orchestrate
    from pipeline.cli import runs

    def run_pipeline(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # acts as Ctrl-C: KeyboardInterrupt here
            time.sleep(5)
        except KeyboardInterrupt as e:
            raise RuntimeError('Error occurred while executing op "inventory"') from e
        raise AssertionError("the signal did not interrupt")

    monkeypatch.setattr(pipeline.orchestrate, "run_pipeline", run_pipeline)
    monkeypatch.setattr(runs, "open_instance", lambda cfg: contextlib.nullcontext())
    fake = types.SimpleNamespace(config=types.SimpleNamespace())
    with pytest.raises(typer.Exit) as stop:
        runs._run(fake, date(2026, 10, 1), date(2026, 10, 1))
    assert stop.value.exit_code == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
