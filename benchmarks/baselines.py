"""What the attribution stage is measured against, on the same files in the same run.

- `floor`: one hand-written DuckDB query doing the interval join and sum: each GPU's consecutive
  samples make an interval (trapezoid energy), joined to the allocations overlapping it on its
  host, clipped to the overlap and shared by GPU count, summed per job. It is what the stage
  would cost if it did nothing else: no hour cuts, gaps, counters, labels, idle remainder,
  scheduler estimates or stored intermediate tables.
- `numpy_floor`: the physical floor of reading the samples at all: one vectorised pass per file
  (numpy, one core, no sort: the files hold each GPU's samples in time order), the trapezoid per
  GPU summed. GPU energy only, no jobs: what no method that reads every sample can beat.
- `pandas_attribution`: the same method written the straightforward way in pandas (sort, shift
  within each GPU, merge on host, filter overlaps, group by job).

Both read the telemetry Parquet files and the allocations the pipeline computed (handed over as an
Arrow table, so neither pays for the Slurm parsing).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.warehouse import memory_limit, sql

ALLOCATION_COLUMNS = ["job_key", "host", "gpus_on_host", "start_utc", "end_utc"]


def floor(files: list[Path], allocations: pa.Table, host_gpus: int) -> dict[str, float]:
    """Energy (Wh) per job_key from the interval join, in one DuckDB query."""
    con = duckdb.connect(config={"memory_limit": memory_limit()})  # the pipeline's limit
    try:
        con.register("allocations", allocations)
        rows = con.execute(
            sql("bench_floor_job_energy"),
            {"files": [str(f) for f in files], "host_gpus": float(host_gpus)},
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def numpy_floor(files: list[Path]) -> float:
    """Total GPU energy (Wh) of the files: trapezoid between consecutive samples of each GPU."""
    total = 0.0
    for f in files:
        t = pq.read_table(f, columns=["ts_utc", "host", "gpu_index", "power_w"])
        ts = t.column("ts_utc").combine_chunks().cast(pa.int64()).to_numpy() / 1e6
        host = t.column("host").combine_chunks().dictionary_encode().indices.to_numpy()
        gpu = t.column("gpu_index").combine_chunks().to_numpy()
        power = t.column("power_w").combine_chunks().to_numpy()
        same = (host[1:] == host[:-1]) & (gpu[1:] == gpu[:-1])
        wh = (ts[1:] - ts[:-1]) * (power[1:] + power[:-1]) / 7200.0
        total += float(wh[same].sum())
    return total


def pandas_attribution(
    files: list[Path], allocations: pa.Table, host_gpus: int
) -> dict[str, float]:
    """The same sums as `floor`, in pandas."""
    s = pd.concat(
        [
            pq.read_table(f, columns=["ts_utc", "host", "gpu_index", "power_w"]).to_pandas()
            for f in files
        ],
        ignore_index=True,
    )
    s["host"] = s["host"].astype(str)
    s = s.sort_values(["host", "gpu_index", "ts_utc"], ignore_index=True)
    g = s.groupby(["host", "gpu_index"], sort=False)
    s["t1"] = g["ts_utc"].shift(-1)
    s["p1"] = g["power_w"].shift(-1)
    s = s.dropna(subset=["t1"])
    a = allocations.to_pandas()
    m = s.merge(a, on="host")
    c = m[["ts_utc", "start_utc"]].max(axis=1)
    d = m[["t1", "end_utc"]].min(axis=1)
    m = m[d > c].copy()
    held_s = (d[d > c] - c[d > c]).dt.total_seconds()
    m["energy_wh"] = (
        held_s * (m["power_w"] + m["p1"]) / 2.0 / 3600.0 * m["gpus_on_host"] / host_gpus
    )
    return m.groupby("job_key")["energy_wh"].sum().to_dict()
