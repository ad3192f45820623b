"""Safe reruns and parallel partitions (issue 6): a write killed between its delete and insert
leaves the warehouse as it was and a rerun completes; the warehouse lock lets processes take turns
on the DuckDB file; the multiprocess executor over concurrent partition runs matches an in-process
computation."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline import warehouse
from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.demo.fleet import generate_fleet
from pipeline.orchestrate import DATA_ASSETS, QUIET
from pipeline.warehouse import lake

REPO = Path(__file__).resolve().parents[2]
DAYS = ["2026-10-01", "2026-10-02", "2026-10-03"]
DATA_KEYS = [dg.AssetKey(a) for a in DATA_ASSETS]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    """A 3-day demo fleet; `_config(fleet, name)` gives configs on the same landing files, each
    with a warehouse of its own."""
    return generate_fleet(tmp_path_factory.mktemp("fleet"), days=3, start=date(2026, 10, 1))


def _config(fleet: Path, name: str, copy_of: Path | None = None) -> Path:
    """A config on the fleet's landing files with warehouse `<name>/wattprint.duckdb`, starting
    as a copy of the warehouse of config `copy_of` if given."""
    text = fleet.read_text()
    line = "  warehouse: warehouse/wattprint.duckdb\n"
    assert line in text, f"{fleet}: expected the demo config's line {line!r}"
    path = fleet.with_name(f"{name}.yaml")
    path.write_text(text.replace(line, f"  warehouse: {name}/wattprint.duckdb\n"))
    if copy_of is not None:
        target = load_config(path).warehouse_path
        target.parent.mkdir(parents=True)
        source = load_config(copy_of).warehouse_path
        shutil.copyfile(source, target)
        # the warehouse and its telemetry lake are one: a copy takes both
        shutil.copytree(lake.root_for(source), lake.root_for(target))
    return path


@pytest.fixture(scope="module")
def ingested(fleet) -> Path:
    """Config of a warehouse holding the fleet's landing files and inventory, nothing computed."""
    config = _config(fleet, "ingested")
    result = _data_job(config).execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey("inventory"), dg.AssetKey("landing_files")],
    )
    assert result.success
    return config


@pytest.fixture(scope="module")
def computed(fleet, ingested) -> tuple[Path, float]:
    """Config of a copy of `ingested` with every day computed in-process, one partition run after
    another; and the seconds that took."""
    config = _config(fleet, "computed", copy_of=ingested)
    t0 = time.perf_counter()
    job = _data_job(config)
    for day in DAYS:
        result = job.execute_in_process(
            run_config=QUIET,
            instance=dg.DagsterInstance.ephemeral(),
            partition_key=day,
            asset_selection=DATA_KEYS,
        )
        assert result.success
    return config, time.perf_counter() - t0


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in a total order (through the warehouse lock, read-only)."""
    with warehouse.connect(path, read_only=True, lock_timeout_s=30) as con:
        tables = [r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()]
        return {t: con.table(t).order("all").fetchall() for t in sorted(tables)}


def _data_job(config: Path) -> dg.JobDefinition:
    return build_defs(config).resolve_implicit_global_asset_job_def()


# --- the warehouse lock --------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pipeline import warehouse
    path, read_only, hold_s = sys.argv[1], sys.argv[2] == "ro", float(sys.argv[3])
    with warehouse.connect(path, read_only=read_only) as con:
        if not read_only:
            con.execute("create table if not exists t (writer int)")
            con.execute("insert into t values (1)")
        print("held", flush=True)
        time.sleep(hold_s)
    print("released", flush=True)
    """
)


def _hold(path: Path, mode: str, hold_s: float) -> subprocess.Popen:
    """A second process holding the warehouse `mode` ("rw"/"ro") for `hold_s`; returns once held."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), mode, str(hold_s)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert line == "held\n", line + proc.stderr.read()
    return proc


def test_lock_makes_a_second_process_wait_instead_of_failing(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path):
        pass
    holder = _hold(path, "rw", 2.0)
    try:
        # what DuckDB alone does while another process writes: fail at once, even read-only
        with pytest.raises(duckdb.IOException, match="Could not set lock"):
            duckdb.connect(str(path), read_only=True)
        # a short timeout runs out with an error that names the lock file
        with pytest.raises(warehouse.WarehouseBusy, match=r"w\.duckdb\.lock"):
            with warehouse.connect(path, lock_timeout_s=0.2):
                pass
        waits: list[str] = []
        t0 = time.monotonic()
        with warehouse.connect(path, on_wait=waits.append) as con:
            waited_s = time.monotonic() - t0
            con.execute("insert into t values (2)")
            rows = con.sql("select writer from t order by writer").fetchall()
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0, holder.stderr.read()
    assert rows == [(1,), (2,)]  # both writers' rows: the second waited, then wrote
    assert len(waits) == 1 and "waiting up to 600 s to write" in waits[0]
    assert waited_s > 0.3
    print(f"second writer waited {waited_s:.2f} s for the first")


def test_readers_share_the_warehouse_and_a_writer_waits_for_them(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as con:
        con.execute("create table t as select 1 as x")
    reader = _hold(path, "ro", 2.0)
    try:
        waits: list[str] = []
        with warehouse.connect(path, read_only=True, on_wait=waits.append) as con:
            assert con.sql("select x from t").fetchall() == [(1,)]
        assert waits == []  # two readers at once, no waiting
        with warehouse.connect(path, on_wait=waits.append) as con:  # a writer waits for them
            con.execute("insert into t values (2)")
        assert len(waits) == 1 and "to write" in waits[0]
    finally:
        reader.wait(timeout=30)
    assert reader.returncode == 0, reader.stderr.read()
    # no process holds the warehouse now: plain DuckDB opens it too
    con = duckdb.connect(str(path), read_only=True)
    assert con.sql("select count(*) from t").fetchall() == [(2,)]
    con.close()


def test_nested_connect_in_one_thread_reuses_the_lock(tmp_path):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path, lock_timeout_s=1) as outer:
        with warehouse.connect(path, lock_timeout_s=1) as inner:
            inner.execute("create table t (x int)")
        outer.execute("insert into t values (1)")
    with warehouse.connect(path, read_only=True):
        with pytest.raises(RuntimeError, match="holds it read-only"):
            with warehouse.connect(path):
                pass


# --- a write killed between delete and insert ----------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    import dagster as dg
    import pipeline.warehouse as wh
    from pipeline.definitions import build_defs
    from pipeline.orchestrate import DATA_ASSETS, QUIET

    config, day, table = sys.argv[1:4]
    real_run = wh.run

    def run(con, name, params=()):
        cur = real_run(con, name, params)
        if name == f"delete_{table}_window":
            print("deleted", cur.fetchall()[0][0], flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # mid-transaction, holding the warehouse lock
        return cur

    wh.run = run  # this child only: replace_window looks `run` up at call time
    job = build_defs(config).resolve_implicit_global_asset_job_def()
    job.execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=day,
        asset_selection=[dg.AssetKey(a) for a in DATA_ASSETS],
    )
    print("not killed", flush=True)
    """
)


def test_run_killed_between_delete_and_insert_leaves_warehouse_unchanged(fleet, computed):
    config = _config(fleet, "killed", copy_of=computed[0])
    path = load_config(config).warehouse_path
    before = _snapshot(path)
    assert before["daily_summary"] and before["gpu_energy_attributed"]

    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(config), DAYS[1], "daily_summary"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    deleted = [ln for ln in proc.stdout.splitlines() if ln.startswith("deleted ")]
    assert len(deleted) == 1 and int(deleted[0].split()[1]) > 0, proc.stdout  # it did delete

    # the killed process's lock died with it: the warehouse opens at once, read-write
    with warehouse.connect(path, lock_timeout_s=5):
        pass
    assert _snapshot(path) == before

    rerun = _data_job(config).execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=DAYS[1],
        asset_selection=DATA_KEYS,
    )
    assert rerun.success
    assert _snapshot(path) == before


def test_failure_between_delete_and_insert_fails_the_run_and_changes_nothing(
    fleet, computed, monkeypatch
):
    config = _config(fleet, "failed", copy_of=computed[0])
    path = load_config(config).warehouse_path
    before = _snapshot(path)
    assert before["job_allocations"]

    import pipeline.method.allocations as allocations

    real_run = allocations.run
    deletes: list[int] = []

    def failing_run(con, name, params=()):
        cur = real_run(con, name, params)
        if name == "delete_job_allocations_window":
            deletes.append(cur.fetchall()[0][0])
            raise RuntimeError("injected failure between delete and insert")
        return cur

    monkeypatch.setattr(allocations, "run", failing_run)
    job = _data_job(config)
    failed = job.execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=DAYS[0],
        asset_selection=DATA_KEYS,
        raise_on_error=False,
    )
    assert not failed.success
    failures = [e for e in failed.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert [e.step_key for e in failures] == ["job_allocations"]
    assert "injected failure" in str(failures[0].event_specific_data.error)
    assert len(deletes) == 1 and deletes[0] > 0
    assert _snapshot(path) == before

    monkeypatch.undo()
    rerun = job.execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=DAYS[0],
        asset_selection=DATA_KEYS,
    )
    assert rerun.success
    assert _snapshot(path) == before


# --- the multiprocess executor over concurrent partition runs ------------------------------------


def multiprocess_data_job(config: str) -> dg.JobDefinition:
    """The data assets as a job on Dagster's multiprocess executor (each step its own process);
    rebuilt in every step process by `dg.build_reconstructable_job`."""
    defs = build_defs(Path(config))
    job = dg.define_asset_job(
        "data_multiprocess", selection=DATA_KEYS, executor_def=dg.multiprocess_executor
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(
        "data_multiprocess"
    )


LAUNCHER = textwrap.dedent(
    """
    import json, os, sys
    import dagster as dg
    from pipeline.orchestrate import QUIET

    config, day, home = sys.argv[1:4]
    os.makedirs(home)  # a Dagster instance of its own: sqlite storage is not for concurrent runs
    job = dg.build_reconstructable_job(
        "test_dagster_safe_writes", "multiprocess_data_job", reconstructable_args=(config,)
    )
    # step processes fork from a server that has imported the pipeline once (spawn, the default,
    # would import Dagster and the pipeline afresh for every step)
    preload = ["test_dagster_safe_writes", "pipeline.reporting", "pipeline.method.cost"]
    start = {"forkserver": {"preload_modules": preload}}
    # each day's energy pass in 4 units (a step each), so units run in parallel too
    plan = {"plan_energy_units": {"config": {"units_per_day": 4}}}
    run_config = QUIET | {
        "execution": {"config": {"start_method": start}},
        "ops": {"gpu_energy_intervals": {"ops": plan}},
    }
    with dg.instance_for_test(temp_dir=home) as instance:
        with dg.execute_job(
            job, instance=instance, run_config=run_config, tags={"dagster/partition": day}
        ) as result:
            records = instance.all_logs(result.run_id)
            summary = {
                "success": result.success,
                "messages": [r.message or "" for r in records],
                "steps": [
                    (r.timestamp, r.dagster_event.event_type_value, r.dagster_event.step_key)
                    for r in records
                    if r.dagster_event is not None and r.dagster_event.step_key
                ],
                "errors": [
                    str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure
                ],
                "materialised": sorted(
                    e.asset_key.to_user_string()
                    for e in result.get_asset_materialization_events()
                ),
            }
    print("SUMMARY " + json.dumps(summary), flush=True)
    """
)


def _max_overlap(runs: list[dict]) -> int:
    """The most steps (over all runs) running at one moment, from their start/end events."""
    edges = sorted(
        (ts, 1 if kind == "STEP_START" else -1)
        for run in runs
        for ts, kind, _ in run["steps"]
        if kind in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE")
    )
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_multiprocess_concurrent_partitions_match_in_process(fleet, ingested, computed, tmp_path):
    """One run per day, launched at once as separate processes (as a daemon or a backfill would),
    each on the multiprocess executor: every step its own process, all on one warehouse file."""
    reference, in_process_s = computed
    parallel = _config(fleet, "parallel", copy_of=ingested)
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(REPO), str(Path(__file__).resolve().parent)]),
    }
    t0 = time.perf_counter()
    launched = [
        subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(parallel), day, str(tmp_path / day)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for day in DAYS
    ]
    outputs = [p.communicate(timeout=240) for p in launched]
    multiprocess_s = time.perf_counter() - t0
    runs = []
    for day, proc, (out, err) in zip(DAYS, launched, outputs, strict=True):
        assert proc.returncode == 0, f"run of {day}: {out}{err}"
        lines = [ln for ln in out.splitlines() if ln.startswith("SUMMARY ")]
        assert len(lines) == 1, f"run of {day}: {out}{err}"
        runs.append(json.loads(lines[0].removeprefix("SUMMARY ")))

    for day, run in zip(DAYS, runs, strict=True):
        assert run["success"], f"run of {day}: " + "\n".join(run["errors"] + run["messages"])
        assert run["materialised"] == sorted(DATA_ASSETS)
        assert not [m for m in run["messages"] if "Could not set lock" in m]
        # the day's energy pass ran as 4 unit steps, each its own process
        units = {
            k
            for _, kind, k in run["steps"]
            if kind == "STEP_SUCCESS" and "compute_energy_unit[" in k
        }
        assert len(units) == 4, units
    # steps of several processes ran at once, and the warehouse came out as computed in-process
    overlap = _max_overlap(runs)
    assert overlap >= 2
    assert _snapshot(load_config(parallel).warehouse_path) == _snapshot(
        load_config(reference).warehouse_path
    )
    waits = sum("waiting up to" in m for run in runs for m in run["messages"])
    print(
        f"{len(DAYS)} partitions: in-process, one after another {in_process_s:.1f} s; "
        f"multiprocess executor, {len(DAYS)} concurrent runs {multiprocess_s:.1f} s; "
        f"at most {overlap} steps at once; {waits} waits for the warehouse lock"
    )


def test_lock_timeout_from_environment(monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_TIMEOUT_ENV, "12.5")
    assert warehouse.resolve_lock_timeout_s() == 12.5
    assert warehouse.resolve_lock_timeout_s(3) == 3.0
    monkeypatch.setenv(warehouse.LOCK_TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match="WATTPRINT_LOCK_TIMEOUT_S='soon'"):
        warehouse.resolve_lock_timeout_s()
    monkeypatch.delenv(warehouse.LOCK_TIMEOUT_ENV)
    assert warehouse.resolve_lock_timeout_s() == 600.0
