"""Shared-catalog benchmark: publishing a day's merged energy pieces to the Iceberg catalog.

    .venv/bin/python -m benchmarks.catalog --gpus 10000 --days 30

Builds a warehouse whose `gpu_energy_intervals` holds `--days` days of a `--gpus` fleet (rows of
the shape the energy pass stores: ~2 merged pieces per GPU-hour, 474 k a day at 10k GPUs), then
publishes the days one after another (pipeline/warehouse/catalog.py: one Iceberg overwrite per
day, SQLite catalog, files in a folder) and prints, for the first and the last day: publish time,
the floor (DuckDB writing the same rows to one Parquet file, what any table format must at least
do) and their ratio; the last day against the first (what history costs a nightly publish); the
time to read one day back; and bytes per row. Printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import typer

from pipeline.warehouse import connect, insert_frame
from pipeline.warehouse.catalog import SharedCatalog

DAY0 = datetime(2026, 10, 1)
PIECES_PER_GPU_HOUR = 2


def day_frame(gpus: int, day: datetime, seed: int) -> pl.DataFrame:
    """A day of merged pieces: every GPU, every hour, two pieces (a job and idle)."""
    rng = np.random.default_rng(seed)
    n = gpus * 24 * PIECES_PER_GPU_HOUR
    i = np.arange(n)
    hour = (i // (gpus * PIECES_PER_GPU_HOUR)).astype("timedelta64[h]")
    half = (i % 2).astype("timedelta64[m]") * 30
    start = np.datetime64(day, "us") + hour + half
    energy = rng.uniform(50, 200, n)
    return pl.DataFrame(
        {
            "hour_utc": np.datetime64(day, "us") + hour,
            "site": "site-a",
            "host": [f"node-{g // 8:05d}" for g in (i // 2) % gpus],
            "gpu_index": ((i // 2) % 8).astype(np.int32),
            "start_utc": start,
            "end_utc": start + np.timedelta64(30, "m"),
            "start_power_w": rng.uniform(60, 700, n),
            "end_power_w": rng.uniform(60, 700, n),
            "energy_wh": energy,
            "source": "nvidia_smi",
            "workload": None,
            "covered_s": 1800.0,
        }
    )


def main(gpus: int = 10_000, days: int = 30) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="wattprint-catalog-bench-"))
    try:
        wh = tmp / "wattprint.duckdb"
        with connect(wh) as con:
            for d in range(days):
                insert_frame(
                    con, "gpu_energy_intervals", day_frame(gpus, DAY0 + timedelta(days=d), d)
                )
            rows_per_day = con.table("gpu_energy_intervals").count("*").fetchall()[0][0] // days
            shared = SharedCatalog(f"sqlite:///{tmp}/catalog.db", str(tmp / "tables"))
            times = []
            for d in range(days):
                start = DAY0 + timedelta(days=d)
                t0 = time.perf_counter()
                shared.publish(con, "gpu_energy_intervals", start, start + timedelta(days=1))
                times.append(time.perf_counter() - t0)
            floor = []
            for d in (0, days - 1):
                start = DAY0 + timedelta(days=d)
                hour = duckdb.ColumnExpression("hour_utc")
                col = con.table("gpu_energy_intervals").filter(
                    (hour >= duckdb.ConstantExpression(start))
                    & (hour < duckdb.ConstantExpression(start + timedelta(days=1)))
                )
                t0 = time.perf_counter()
                col.to_parquet(str(tmp / f"floor-{d}.parquet"))
                floor.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        back = shared.read("gpu_energy_intervals", DAY0, DAY0 + timedelta(days=1))
        read_s = time.perf_counter() - t0
        if back.num_rows != rows_per_day:
            raise RuntimeError(f"read back {back.num_rows} rows of a day, published {rows_per_day}")
        size = sum(f.stat().st_size for f in (tmp / "tables").rglob("*.parquet"))
        print(f"catalog publish, {gpus:,} GPUs, {rows_per_day:,} gpu_energy_intervals rows a day")
        print(f"  day 1:  {times[0]:.2f} s  floor {floor[0]:.2f} s  ({times[0] / floor[0]:.1f}×)")
        print(
            f"  day {days}: {times[-1]:.2f} s  floor {floor[1]:.2f} s  "
            f"({times[-1] / floor[1]:.1f}×); day {days} ÷ day 1: {times[-1] / times[0]:.2f}×"
        )
        print(f"  median publish {sorted(times)[len(times) // 2]:.2f} s a day")
        print(f"  read one day back: {read_s:.2f} s ({back.num_rows:,} rows)")
        print(f"  data files: {size / (days * rows_per_day):.1f} bytes a row")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    typer.run(main)
