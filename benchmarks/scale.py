"""Fleet-scale benchmark: the nightly pipeline, stage by stage, on a generated fleet.

    .venv/bin/python -m benchmarks.scale --gpus 10000 --days 1 --cadence-s 15

Generates a fleet (benchmarks/fleet.py) in a temporary folder, then runs the pipeline's domain
code in the order the Dagster assets run it (ingest → energy pieces → allocations → attribution
→ footprint → daily summary → cost → report), on one warehouse file, and prints per stage: wall
time, rows in and per second, and peak RSS (the process's high-water mark, reset before each
stage through /proc/self/clear_refs). Then, in the same run and on the same files:

- floor ratio: our attribution (energy pieces + attribution) against one hand-written DuckDB
  query doing the interval join and sum (benchmarks/baselines.py);
- pandas ratio: against the same method in pandas, on the first `--pandas-files` telemetry files
  (pandas holds everything in memory; the ratio is of throughput, samples per second).

Ratios above 1 mean we are slower than the floor, and faster than pandas. Figures are printed,
never asserted: the machine is shared.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from benchmarks.baselines import ALLOCATION_COLUMNS, floor, numpy_floor, pandas_attribution
from benchmarks.fleet import Fleet, FleetSpec, generate
from pipeline.config import Config, load_config
from pipeline.demo.hardware import GPUS_PER_NODE
from pipeline.ingest import ingest_landing
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.cost import build_cost_attributed
from pipeline.method.energy import (
    build_daily_summary,
    build_footprint_hourly,
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
)
from pipeline.reporting import report_period
from pipeline.warehouse import connect

MIB = 1024 * 1024


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux ≥ 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> float:
    """VmHWM: the most resident memory since the last reset (else since the process began)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Stage:
    name: str
    seconds: float
    rows: int  # rows the stage reads (samples for the telemetry stages), or writes
    peak_rss_mib: float

    def line(self) -> str:
        rate = f"{self.rows / self.seconds:>13,.0f}" if self.seconds > 0 else " " * 13
        return (
            f"  {self.name:24s} {self.seconds:8.2f} s {self.rows:>13,} rows {rate} rows/s"
            f"  peak RSS {self.peak_rss_mib:7,.0f} MiB"
        )


@dataclass
class Result:
    spec: FleetSpec
    stages: list[Stage] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)  # cross-checks, with units
    notes: list[str] = field(default_factory=list)

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def end_to_end_s(self) -> float:
        return sum(s.seconds for s in self.stages if s.name in PIPELINE)

    @property
    def peak_rss_mib(self) -> float:
        return max(s.peak_rss_mib for s in self.stages if s.name in PIPELINE)


# the nightly run's stages (generating the files is not one)
PIPELINE = (
    "ingest",
    "allocations",
    "energy pieces",
    "attribution",
    "footprint",
    "daily summary",
    "cost",
    "report",
)


def timed(result: Result, name: str, rows: int | Callable[[object], int], fn: Callable[[], object]):
    _reset_peak()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    n = rows(out) if callable(rows) else rows
    result.stages.append(Stage(name, seconds, int(n), _peak_rss_mib()))
    return out


def run_pipeline(
    result: Result, cfg: Config, first: date, last: date, report_from: date | None = None
) -> None:
    """The nightly run's domain code for days [first, last] (what the Dagster assets call); the
    report covers `report_from` (default `first`) to `last`."""
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    samples = result.spec.samples // result.spec.days * ((last - first).days + 1)
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        timed(result, "ingest", lambda s: s.rows_accepted, lambda: ingest_landing(con, cfg))
        timed(result, "allocations", int, lambda: build_job_allocations(con, cfg, start, end))
        timed(result, "energy pieces", samples,
              lambda: build_gpu_energy_intervals(con, cfg, start, end))  # fmt: skip
        timed(result, "attribution", int, lambda: build_gpu_energy_attributed(con, start, end))
        timed(result, "footprint", int, lambda: build_footprint_hourly(con, start, end))
        timed(result, "daily summary", int, lambda: build_daily_summary(con, start, end))
        timed(result, "cost", int, lambda: build_cost_attributed(con, start, end))
        since = report_from or first
        label = since.strftime("%Y-%m")
        timed(result, "report", 0, lambda: report_period(con, cfg, since, last, label))


def compare(result: Result, fleet: Fleet, cfg: Config, pandas_files: int) -> None:
    """Floor and pandas ratios, on the fleet's telemetry files and the computed allocations."""
    with connect(cfg.warehouse_path, read_only=True) as con:
        allocations = con.table("job_allocations").select(*ALLOCATION_COLUMNS).to_arrow_table()
    files = fleet.telemetry_files
    floor_wh = timed(result, "floor query", fleet.samples,
                     lambda: floor(files, allocations, GPUS_PER_NODE))  # fmt: skip
    ours_s = result.stage("energy pieces").seconds + result.stage("attribution").seconds
    result.ratios["attribution / floor (time)"] = ours_s / result.stage("floor query").seconds
    numpy_wh = timed(result, "numpy one-pass floor", fleet.samples, lambda: numpy_floor(files))
    result.ratios["samples -> job energy / numpy one-pass floor (time)"] = (
        ours_s / result.stage("numpy one-pass floor").seconds
    )
    result.notes.append(f"numpy floor total GPU energy {numpy_wh:,.0f} Wh")
    some = files[:pandas_files]
    per_file = fleet.samples // len(files)
    pandas_wh = timed(result, "pandas baseline", per_file * len(some),
                      lambda: pandas_attribution(some, allocations, GPUS_PER_NODE))  # fmt: skip
    ours_rate = fleet.samples / ours_s
    pandas_rate = result.stage("pandas baseline").rows / result.stage("pandas baseline").seconds
    result.ratios["attribution speed-up over pandas"] = ours_rate / pandas_rate
    # the two baselines compute the same thing: a cross-check that they are the same method
    if len(some) == len(files):
        worst = max(abs(floor_wh[k] - pandas_wh.get(k, 0.0)) for k in floor_wh)
        result.figures["floor_pandas_max_diff_wh"] = worst
        result.notes.append(f"floor and pandas agree within {worst:.3g} Wh per job")
    result.figures["floor_job_energy_kwh"] = sum(floor_wh.values()) / 1000
    result.notes.append(
        f"floor total {sum(floor_wh.values()) / 1000:,.1f} kWh over "
        f"{len(floor_wh):,} jobs; pandas ran on {len(some)} of {len(files)} files"
    )


def measure(
    spec: FleetSpec, folder: Path, pandas_files: int = 2, compare_baselines: bool = True
) -> Result:
    result = Result(spec)
    fleet = timed(result, "generate", spec.samples, lambda: generate(folder, spec))
    cfg = load_config(fleet.config_path)
    last = spec.start + timedelta(days=spec.days - 1)
    run_pipeline(result, cfg, spec.start, last)
    if compare_baselines and not spec.smi:
        compare(result, fleet, cfg, pandas_files)
    return result


def _held_back(landing: Path, day: date) -> list[Path]:
    """The landing files of `day` alone: its telemetry and its sacct files."""
    lake = sorted((landing / "telemetry" / "lake" / day.isoformat()).glob("*.parquet"))
    return lake + sorted(landing.glob(f"slurm/*/sacct-{day.isoformat()}-*.txt"))


def nightly(gpus: int, cadence_s: int, history_days: int, folder: Path) -> Result:
    """The nightly run for the day after `history_days` days already computed: that day's files
    land, then ingest, the day's partitions and the month's report. Only the nightly run is
    timed; the history is built first, untimed."""
    spec = FleetSpec(gpus, history_days + 1, cadence_s)
    result = Result(spec)
    fleet = generate(folder, spec)
    cfg = load_config(fleet.config_path)
    last = spec.start + timedelta(days=history_days)
    hold = folder / "held-back"
    moved = []
    for path in _held_back(cfg.landing_dir, last):
        target = hold / path.relative_to(cfg.landing_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        moved.append((path.rename(target), path))
    history = Result(spec)
    run_pipeline(history, cfg, spec.start, last - timedelta(days=1))
    for held, path in moved:
        held.rename(path)
    run_pipeline(result, cfg, last, last, report_from=spec.start)
    return result


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def report(result: Result) -> str:
    s = result.spec
    fmt = "nvidia-smi CSV" if s.smi else "telemetry Parquet"
    lines = [
        f"fleet: {s.gpus:,} GPUs x {s.days} day(s) at {s.cadence_s} s = {s.samples:,} samples "
        f"({fmt})",
        f"machine: {machine()}",
        *(st.line() for st in result.stages),
        f"  end to end (ingest..report)  {result.end_to_end_s:8.2f} s  "
        f"peak RSS {result.peak_rss_mib:,.0f} MiB",
        *(f"  {k}: {v:.2f}" for k, v in result.ratios.items()),
        *(f"  note: {n}" for n in result.notes),
    ]
    return "\n".join(lines)


def _without_report(result: Result) -> float:
    return result.end_to_end_s - result.stage("report").seconds


def main(
    gpus: int = typer.Option(1024, help="GPUs (8 per host)"),
    days: int = typer.Option(1, help="UTC days of telemetry"),
    cadence_s: int = typer.Option(15, help="seconds between samples"),
    smi: bool = typer.Option(False, help="nvidia-smi CSV logs instead of telemetry Parquet"),
    pandas_files: int = typer.Option(2, help="telemetry files the pandas baseline reads"),
    keep: Annotated[Path | None, typer.Option(help="generate into this folder, keep it")] = None,
    history_days: Annotated[
        int,
        typer.Option(
            help="instead: the nightly run after this many days of history, against the "
            "nightly run after 1 day (ratio = this / 1 day)"
        ),
    ] = 0,
) -> None:
    spec = FleetSpec(gpus, days, cadence_s, smi=smi)
    folder = keep or Path(tempfile.mkdtemp(prefix="wattprint-bench-"))
    try:
        if history_days:
            runs = {n: nightly(gpus, cadence_s, n, folder / f"h{n}") for n in (1, history_days)}
            for n, r in runs.items():
                print(f"nightly run after {n} day(s) of history:")
                print(report(r))
            short, long = runs[1], runs[history_days]
            print(
                f"  nightly ratio {history_days} days / 1 day of history: "
                f"{long.end_to_end_s / short.end_to_end_s:.2f} (report included), "
                f"{_without_report(long) / _without_report(short):.2f} (without the report)"
            )
        else:
            print(report(measure(spec, folder, pandas_files)))
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    typer.run(main)
