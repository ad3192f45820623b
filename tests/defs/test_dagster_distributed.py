"""Across machines (issue 16): the data assets on Celery workers fed by a real Redis store exactly
what the in-process run stores, each day's energy pass as 4 unit steps; the definitions take the
Kubernetes executor (one pod per step) as well, with the run config the README gives.

The Celery test starts its own redis-server (Debian's package) on a free port of 127.0.0.1 and a
worker the way the README tells a deployment to (`dagster-celery worker start -y celery.yaml`),
and stops both afterwards, whatever happened."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import redis
import yaml
from dagster_celery import celery_executor
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_k8s import k8s_job_executor

from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.demo.fleet import generate_fleet
from pipeline.orchestrate import DATA_ASSETS, QUIET
from tests.defs import test_dagster_safe_writes as safe_writes
from tests.defs.test_dagster_safe_writes import DATA_KEYS, _config, _data_job, _snapshot

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-10-01"
REDIS_SERVER = Path("/usr/bin/redis-server")
WORKER = "wattprint-test"  # the worker's node name is WORKER@<hostname>
UNITS = {"gpu_energy_intervals": {"ops": {"plan_energy_units": {"config": {"units_per_day": 4}}}}}

# the ingested warehouse of that module's fixture, built on this module's one-day fleet
ingested = safe_writes.ingested


def celery_data_job(config: str) -> dg.JobDefinition:
    """The data assets in definitions whose executor is Celery's (as the README's deployment
    module sets it); rebuilt by the worker for every step it runs."""
    job = dg.define_asset_job("data_celery", selection=DATA_KEYS)
    defs = dg.Definitions(jobs=[job], executor=celery_executor)
    return dg.Definitions.merge(build_defs(Path(config)), defs).resolve_job_def("data_celery")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    return generate_fleet(tmp_path_factory.mktemp("fleet"), days=1, start=date(2026, 10, 1))


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _wait_until(ready: Callable[[], bool], what: str, timeout_s: float, proc, log: Path) -> None:
    """Poll `ready()` until it is true; fail at once if `proc` exits, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode} before it was ready:\n{_tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not ready after {timeout_s} s:\n{_tail(log)}")
        time.sleep(0.2)


def _stop_group(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM the process group `proc` leads (started with start_new_session), wait until every
    process in it is gone, SIGKILL what is left after `grace_s`."""
    pgid = proc.pid

    def alive() -> bool:
        proc.poll()  # reap the leader, else it stays in the group as a zombie
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True

    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
        if not alive():
            return
        os.killpg(pgid, sig)
        deadline = time.monotonic() + wait_s
        while alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not alive(), f"process group {pgid} survived SIGKILL"


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A redis-server of this test's own on a free port of 127.0.0.1, nothing persisted."""
    if not REDIS_SERVER.is_file():
        pytest.fail(
            f"{REDIS_SERVER} not found: this test runs a real Redis. Install Debian's redis-server "
            "(`apt-get install redis-server`; .ci/run does so in CI)."
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "redis.log"
    args = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(REDIS_SERVER), *args, "--dir", str(tmp_path)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)

    def pong() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    try:
        _wait_until(pong, "redis-server", 30, proc, log)
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        _stop_group(proc)


@pytest.fixture
def celery_worker(tmp_path, redis_url) -> Iterator[dict]:
    """A Dagster Celery worker on `redis_url` (two processes take steps); yields the executor
    config, the same block its `-y` file holds."""
    execution = {"broker": f"{redis_url}/0", "backend": f"{redis_url}/1"}
    config_yaml = tmp_path / "celery.yaml"
    config_yaml.write_text(yaml.safe_dump({"execution": {"config": execution}}))
    home = tmp_path / "worker_home"  # the CLI writes the worker's Celery settings under it
    home.mkdir()
    (home / "dagster.yaml").touch()
    env = os.environ | {
        "DAGSTER_HOME": str(home),
        # this checkout's pipeline and tests (the venv may point elsewhere), and the venv's celery
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    command = [
        *[sys.executable, "-m", "dagster_celery.cli", "worker", "start"],
        *["-A", "dagster_celery.app", "-y", str(config_yaml), "-n", WORKER, "-l", "INFO"],
        *["-i", __name__, "--", "--concurrency=2"],  # import the pipeline before forking
    ]
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    app = make_app(CeleryExecutor.for_cli(**execution).app_args())

    def pong() -> bool:  # `celery inspect ping`, through the broker
        replies = app.control.ping(timeout=0.5)
        return any(node.startswith(f"{WORKER}@") for reply in replies for node in reply)

    try:
        _wait_until(pong, "the Celery worker", 90, proc, log)
        yield {"execution": execution, "log": log}
    finally:
        app.close()
        _stop_group(proc)


# dagster-celery registers its task again for every step it submits (its own quirk, harmless)
@pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered")
def test_celery_workers_on_redis_match_in_process(fleet, ingested, celery_worker, tmp_path):
    reference = _config(fleet, "reference", copy_of=ingested)
    t0 = time.perf_counter()
    in_process = _data_job(reference).execute_in_process(
        run_config=QUIET | {"ops": UNITS},
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=DAY,
        asset_selection=DATA_KEYS,
    )
    in_process_s = time.perf_counter() - t0
    assert in_process.success

    distributed = _config(fleet, "celery", copy_of=ingested)
    job = dg.build_reconstructable_job(
        __name__,
        "celery_data_job",
        reconstructable_args=(str(distributed),),
        reconstructor_working_directory=str(REPO),
    )
    run_config = QUIET | {"execution": {"config": celery_worker["execution"]}, "ops": UNITS}
    home = tmp_path / "run_home"  # the run's Dagster instance; its ref goes to the worker
    home.mkdir()
    t0 = time.perf_counter()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        with dg.execute_job(
            job, instance=instance, run_config=run_config, tags={"dagster/partition": DAY}
        ) as result:
            celery_s = time.perf_counter() - t0
            events = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
            errors = [
                str(getattr(e.event_specific_data, "error", e.message))
                for e in result.all_events
                if e.is_failure
            ]
            assert result.success, "\n".join(errors) + _tail(celery_worker["log"])
            materialised = {
                e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
            }
    assert materialised == set(DATA_ASSETS)

    succeeded = {e.step_key for e in events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    # every step ran in the Celery worker: the task reports which node took it
    on_worker = {
        e.step_key: e.engine_event_data.metadata["Celery worker"].value
        for e in events
        if e.event_type == dg.DagsterEventType.ENGINE_EVENT
        and (e.message or "").endswith("in celery worker")
    }
    assert set(on_worker) == succeeded
    assert all(node.startswith(f"{WORKER}@") for node in on_worker.values()), on_worker
    units = {k for k in succeeded if k.startswith("gpu_energy_intervals.compute_energy_unit[")}
    assert len(units) == 4, succeeded

    expected = _snapshot(load_config(reference).warehouse_path)
    assert expected["gpu_energy_intervals"] and expected["daily_summary"]  # the day was computed
    assert _snapshot(load_config(distributed).warehouse_path) == expected
    print(
        f"{DAY}: in-process {in_process_s:.1f} s; Celery worker on Redis {celery_s:.1f} s, "
        f"{len(succeeded)} steps ({len(units)} energy units)"
    )


def _readme_run_configs() -> dict[str, dict]:
    """The run config blocks of the README's "Across machines", by the executor they are for."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Across machines\n", 1)[1].split("\n## ", 1)[0]
    found = {}
    for block in re.findall(r"```yaml\n(.*?)```", section, re.S):
        run_config = yaml.safe_load(block)
        execution = run_config["execution"]["config"]
        kind = next((k for k in ("broker", "job_namespace") if k in execution), "multiprocess")
        found[kind] = run_config
    assert set(found) == {"multiprocess", "broker", "job_namespace"}, found
    return found


def test_definitions_take_each_executor_with_the_readme_run_config(fleet):
    """Kubernetes' and Celery's executors on the data assets: built, resolved, the README's run
    config validated; nothing is executed (no cluster)."""
    config = _config(fleet, "k8s")
    job = dg.define_asset_job("data_k8s", selection=DATA_KEYS, executor_def=k8s_job_executor)
    defs = dg.Definitions.merge(build_defs(config), dg.Definitions(jobs=[job]))
    k8s = defs.resolve_job_def("data_k8s")
    assert k8s.executor_def is k8s_job_executor
    assert {k.to_user_string() for k in k8s.asset_layer.executable_asset_keys} == set(DATA_ASSETS)
    celery = celery_data_job(str(config))
    assert celery.executor_def is celery_executor

    readme = _readme_run_configs()
    ops = readme["multiprocess"]["ops"]
    assert ops == UNITS
    dg.validate_run_config(_data_job(config), readme["multiprocess"])
    dg.validate_run_config(k8s, readme["job_namespace"] | {"ops": ops})
    dg.validate_run_config(celery, readme["broker"] | {"ops": ops})
    with pytest.raises(dg.DagsterInvalidConfigError, match="broker"):  # each executor its own
        dg.validate_run_config(k8s, readme["broker"])

    # the README's deployment module: the executor on the definitions, every job takes it
    deployed = dg.Definitions.merge(build_defs(config), dg.Definitions(executor=k8s_job_executor))
    assert deployed.resolve_implicit_global_asset_job_def().executor_def is k8s_job_executor
