"""The reader benchmark still runs end to end on a tiny fleet (figures are printed, not asserted:
timings on a shared machine are noise)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.readers import fleet, measure


def test_reader_benchmark_runs_and_reads_every_sample(tmp_path: Path) -> None:
    figures = measure(gpus=16, hours=0.25, cadence_s=15, repeat=1, folder=tmp_path)
    # 0.25 h / 15 s = 60 polls × 16 GPUs
    assert [(f.name, f.rows) for f in figures] == [
        ("nvidia-smi-csv", 960),
        ("telemetry-parquet", 960),
    ]
    assert all(f.ours_s > 0 and f.floor_s > 0 and f.ratio > 0 for f in figures)
    assert "rows/s" in figures[0].line()


def test_fleet_is_deterministic_and_on_8_gpu_hosts() -> None:
    a, b = fleet(16, 0.1, 60), fleet(16, 0.1, 60)
    assert a.equals(b)
    assert a["host"].n_unique() == 2
    assert sorted(a["gpu_index"].unique().to_list()) == list(range(8))
