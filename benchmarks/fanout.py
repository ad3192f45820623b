"""Fan-out benchmark: the energy pass in B units per day on W worker processes.

    .venv/bin/python -m benchmarks.fanout --gpus 4096 --buckets 1,2,4,8,16 --workers 1,2

Generates a fleet (benchmarks/fleet.py), ingests it into the lake and computes the allocations
(untimed), then for every B × W: plans the day into B units (pipeline/method/staging.py), runs
them on W processes (the same `staging.run_unit` a Dagster step runs) and commits them (the single
writer), and prints wall time, total CPU-seconds (parent and workers), the slowest and mean unit,
the commit, the CPU overhead against the single-process pass (`build_gpu_energy_intervals`, run
first in the same process) and the bytes the units read against the bytes of the day's lake
files. Weak scaling: `--weak` runs G GPUs with B units and 2G GPUs with 2B units and compares the
time per unit. Every B × W must store the same rows as the single-process pass (checked).
Figures are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import typer

from benchmarks.fleet import FleetSpec, generate
from pipeline.config import load_config
from pipeline.ingest import ingest_landing
from pipeline.inventory import load_inventory
from pipeline.method import staging
from pipeline.method.allocations import build_job_allocations
from pipeline.method.energy import build_gpu_energy_intervals
from pipeline.warehouse import connect

SPAWN = multiprocessing.get_context("spawn")


def _cpu_s() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _unit(stage_key: tuple[str, str]) -> tuple[float, float]:
    """Run one unit; (its wall seconds, its CPU seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    staging.run_unit(*stage_key)
    return time.perf_counter() - t0, time.process_time() - c0


def _stored(con) -> list[tuple]:
    return con.table("gpu_energy_intervals").order("host, gpu_index, start_utc, source").fetchall()


def prepare(gpus: int, folder: Path):
    fleet = generate(folder, FleetSpec(gpus, 1, 15))
    cfg = load_config(fleet.config_path)
    start = datetime(2026, 10, 1)
    end = start + timedelta(days=1)
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        ingest_landing(con, cfg)
        build_job_allocations(con, cfg, start, end)
    return cfg, start, end, fleet.samples


def measure(gpus: int, buckets: list[int], workers: list[int], folder: Path) -> list[dict]:
    cfg, start, end, samples = prepare(gpus, folder)
    rows = []
    with connect(cfg.warehouse_path) as con:
        c0, t0 = _cpu_s(), time.perf_counter()
        build_gpu_energy_intervals(con, cfg, start, end)
        single_s, single_cpu = time.perf_counter() - t0, _cpu_s() - c0
        reference = _stored(con)
        day_bytes = con.execute(
            "SELECT sum(bytes) FROM lake_files WHERE day = ?", [start.date()]
        ).fetchall()[0][0]
    print(
        f"{gpus:,} GPUs, {samples:,} samples; "
        f"single process {single_s:.2f} s, CPU {single_cpu:.2f} s"
    )
    for b in buckets:
        for w in workers:
            with connect(cfg.warehouse_path) as con:
                c0, t0 = _cpu_s(), time.perf_counter()
                stage, keys = staging.plan(con, cfg, start, end, units_per_day=b)
                plan_s = time.perf_counter() - t0
                files = _read_bytes(con, stage)
            # spawn, as Dagster's multiprocess executor does: a forked copy of a process whose
            # polars thread pool has run can deadlock
            with ProcessPoolExecutor(max_workers=w, mp_context=SPAWN) as pool:
                units = list(pool.map(_unit, [(stage, k) for k in keys]))
            with connect(cfg.warehouse_path) as con:
                t1 = time.perf_counter()
                staging.commit(con, stage)
                commit_s = time.perf_counter() - t1
                same = _stored(con) == reference
            wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
            rows.append({
                "gpus": gpus, "B": len(keys), "W": w, "wall_s": wall, "cpu_s": cpu,
                "plan_s": plan_s, "unit_max_s": max(u[0] for u in units),
                "unit_mean_s": sum(u[0] for u in units) / len(units), "commit_s": commit_s,
                "cpu_overhead": cpu / single_cpu, "bytes_ratio": files / day_bytes,
                "same_rows": same,
            })  # fmt: skip
    return rows


def _read_bytes(con, stage: str) -> int:
    """Bytes of every lake file the stage's units read (a file read by two units counts twice)."""
    import json

    store, rel = staging._parse(stage)
    doc = json.loads(store.read_text(f"{rel}/plan.json"))
    sizes = dict(con.execute("SELECT path, bytes FROM lake_files").fetchall())
    return sum(sizes[f] for u in doc["units"].values() for f in u["files"])


def main(
    gpus: int = typer.Option(4096, help="GPUs (8 per host)"),
    buckets: str = typer.Option("1,2,4,8,16", help="units per day to try"),
    workers: str = typer.Option("1,2", help="worker processes to try"),
    weak: bool = typer.Option(False, help="also run 2x the GPUs with 2x the units"),
) -> None:
    bs = [int(x) for x in buckets.split(",")]
    ws = [int(x) for x in workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="wattprint-fanout-"))
    try:
        rows = measure(gpus, bs, ws, folder / "a")
        if weak:
            rows += measure(2 * gpus, [2 * b for b in bs], ws, folder / "b")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    table = pl.DataFrame(rows)
    with pl.Config(tbl_rows=100, tbl_cols=20, float_precision=2, tbl_width_chars=200):
        print(table)
    print(f"machine: {os.cpu_count()} cores")


if __name__ == "__main__":
    typer.run(main)
