"""Reader throughput: wattprint's nvidia-smi CSV and telemetry Parquet readers against DuckDB
reading the same file (`read_csv` / `read_parquet`, fully materialised as Arrow).

    .venv/bin/python -m benchmarks.readers --gpus 64 --hours 6 --cadence-s 5 --repeat 3

Writes a synthetic fleet log (nvidia-smi `--format=csv` with units, one file; the same samples as
canonical telemetry Parquet) to a temporary folder, reads each with `read_file` and with DuckDB,
and prints rows/s and the ratio (ours / DuckDB throughput; 1.0 = as fast as DuckDB). Timings are
the best of `--repeat` runs; machines are shared and noisy, so read ratios, not absolute seconds.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import typer

from pipeline.readers import ReadContext, read_file

START = datetime(2026, 10, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Figure:
    name: str
    rows: int
    ours_s: float
    floor_s: float

    @property
    def ratio(self) -> float:
        """Our throughput as a share of DuckDB's on the same file."""
        return self.floor_s / self.ours_s

    def line(self) -> str:
        return (
            f"{self.name:18s} rows {self.rows:>11,}"
            f"  wattprint {self.rows / self.ours_s:>12,.0f} rows/s"
            f"  duckdb {self.rows / self.floor_s:>12,.0f} rows/s  ratio {self.ratio:.2f}"
        )


def fleet(gpus: int, hours: float, cadence_s: int, seed: int = 7) -> pl.DataFrame:
    """Samples of `gpus` GPUs on 8-GPU hosts, every `cadence_s` seconds for `hours` hours."""
    rng = np.random.default_rng(seed)
    polls = int(hours * 3600 // cadence_s)
    n = polls * gpus
    poll = np.repeat(np.arange(polls), gpus)
    gpu = np.tile(np.arange(gpus), polls)
    return pl.DataFrame(
        {
            "ts_utc": ((START.timestamp() + poll * cadence_s) * 1_000_000).astype(np.int64),
            "host": [f"gpu-{g // 8:04d}" for g in range(gpus)] * polls,
            "gpu_index": (gpu % 8).astype(np.int32),
            "power_w": np.round(rng.uniform(60.0, 700.0, n), 2),
            "util_pct": rng.integers(0, 101, n).astype(np.float64),
        }
    ).with_columns(pl.col("ts_utc").cast(pl.Datetime("us")))


def write_smi(samples: pl.DataFrame, path: Path) -> None:
    """One nvidia-smi log (all hosts in one file with a hostname column), units inside values."""
    header = "timestamp, hostname, index, name, power.draw [W], utilization.gpu [%]\n"
    body = samples.select(
        pl.col("ts_utc").dt.strftime("%Y/%m/%d %H:%M:%S%.3f"),
        pl.col("host"),
        pl.col("gpu_index").cast(pl.String),
        pl.lit("NVIDIA H100 80GB HBM3"),
        pl.format("{} W", pl.col("power_w").round(2)),
        pl.format("{} %", pl.col("util_pct").cast(pl.Int64)),
    )
    with path.open("w") as fh:
        fh.write(header)
        body.write_csv(fh, include_header=False, separator=",", quote_style="never")
    # nvidia-smi separates fields with ", "
    text = path.read_text().replace(",", ", ").replace(header.replace(",", ", "), header)
    path.write_text(text)


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(gpus: int, hours: float, cadence_s: int, repeat: int, folder: Path) -> list[Figure]:
    samples = fleet(gpus, hours, cadence_s)
    smi = folder / "smi.csv"
    lake = folder / "lake.parquet"
    write_smi(samples, smi)
    samples.write_parquet(lake, compression="zstd")
    ctx = ReadContext(timezone_for_path=lambda p: "UTC")
    figures = []
    for name, path, query in (
        ("nvidia-smi-csv", smi, "SELECT * FROM read_csv($p)"),
        ("telemetry-parquet", lake, "SELECT * FROM read_parquet($p)"),
    ):
        result = read_file(path, ctx)
        assert result.rows_accepted == samples.height, (name, result.problems[:3])
        ours = best(lambda path=path: read_file(path, ctx), repeat)
        floor = best(
            lambda query=query, path=path: duckdb.sql(
                query, params={"p": str(path)}
            ).to_arrow_table(),
            repeat,
        )
        figures.append(Figure(name, samples.height, ours, floor))
    return figures


def main(
    gpus: int = typer.Option(64, help="GPUs in the fleet (8 per host)"),
    hours: float = typer.Option(6.0, help="hours of telemetry"),
    cadence_s: int = typer.Option(5, help="seconds between polls"),
    repeat: int = typer.Option(3, help="runs per measurement; the best is kept"),
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for figure in measure(gpus, hours, cadence_s, repeat, Path(tmp)):
            print(figure.line())


if __name__ == "__main__":
    typer.run(main)
