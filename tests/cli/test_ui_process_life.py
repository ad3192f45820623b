"""`wattprint ui` as an operator runs it, a real subprocess on a free port: stopped with SIGTERM
(`kill PID`) or SIGINT (Ctrl-C), within 10 s no process it started is left and the port is free;
it prints no warning the user cannot act on; a run killed before it started shows FAILURE."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from pipeline.cli.instance import dagster_home
from pipeline.config import load_config
from pipeline.demo.fleet import generate_fleet
from tests import procfs
from tests.defs.test_dagster_webserver import _free_port, gql
from tests.held_run import hold_run

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180  # a slow, shared 2-core machine
STOP_LIMIT_S = 10
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status } } } }"
LOCATION_QUERY = """
{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { location { name } } } } }
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_fleet(tmp_path_factory.mktemp("ui_life"), days=1, start=date(2026, 10, 1))


def _answering(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/server_info", timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _port_free(port: int) -> bool:
    """Nothing listens on the port: a new server could bind it (TIME_WAIT connections aside)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kill_session(sid: int) -> None:
    for pid in procfs.session_pids(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_ui_stops_every_process_it_started(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(load_config(config))  # the config's instance, as `ui` uses it
    held = hold_run(home, tmp_path)  # a run killed mid-way, left STARTED
    held.kill()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    out, err = tmp_path / "ui.out", tmp_path / "ui.err"
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "ui", "--config", str(config)]
            + ["--port", str(port)],
            cwd=REPO,
            env={k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
            stdout=o,
            stderr=e,
            start_new_session=True,  # every process it starts is in this session
        )
    logs = lambda: (out.read_text() + err.read_text())[-3000:]  # noqa: E731
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answering(base):
            assert proc.poll() is None, f"wattprint ui exited {proc.returncode}: {logs()}"
            assert time.monotonic() < deadline, f"no answer in {START_TIMEOUT_S} s: {logs()}"
            time.sleep(0.5)
        # the code location is loaded (what it prints is printed by now), the runs are listed
        location = gql(base, LOCATION_QUERY)["repositoriesOrError"]
        assert location["__typename"] == "RepositoryConnection", location
        runs = gql(base, RUNS_QUERY)["runsOrError"]["results"]
        statuses = {r["runId"]: r["status"] for r in runs}
        tree = procfs.descendants(proc.pid)
        # dagster dev, its webserver, daemon and code servers
        assert len(tree) >= 4, [procfs.command(p) for p in tree]

        sent = time.monotonic()
        os.kill(proc.pid, sig)
        while time.monotonic() - sent < STOP_LIMIT_S and (
            proc.poll() is None
            or procfs.still_running(tree)
            or procfs.session(proc.pid)
            or not _port_free(port)
        ):
            time.sleep(0.2)
        stopped_s = time.monotonic() - sent
        left = procfs.still_running(tree) + procfs.session(proc.pid)
        assert proc.poll() is not None, f"wattprint ui still runs {stopped_s:.1f} s after {sig!r}"
        assert not left, f"still running {stopped_s:.1f} s after {sig!r}: {left}"
        assert _port_free(port), f"port {port} still taken {stopped_s:.1f} s after {sig!r}"
        assert proc.returncode == 128 + sig, logs()
    finally:
        _kill_session(proc.pid)
        proc.wait(timeout=30)

    assert statuses.get(held.run_id) == "FAILURE", statuses
    text = out.read_text() + err.read_text()
    assert held.run_id in " ".join(text.split())  # the user is told which run was marked
    warnings = [line for line in text.splitlines() if "WARNING" in line or "Warning:" in line]
    assert warnings == [], f"{len(warnings)} warnings, first: {warnings[:3]}"
