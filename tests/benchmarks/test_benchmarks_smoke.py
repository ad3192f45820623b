"""The reader and fleet-scale benchmarks still run end to end on tiny fleets (figures are printed,
not asserted: timings on a shared machine are noise)."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_scale_benchmark_runs_every_stage_and_the_baselines_agree(tmp_path: Path) -> None:
    """The fleet benchmark end to end on 32 GPUs: every stage runs, ingest accepts every sample,
    the floor query and the pandas baseline (on all files) compute the same per-job energy, and
    the pipeline's job energy matches theirs (they skip only hour cuts and interpolation)."""
    from benchmarks.fleet import FleetSpec
    from benchmarks.scale import PIPELINE, measure, report
    from pipeline.config import load_config
    from pipeline.warehouse import connect

    spec = FleetSpec(gpus=32, days=1, cadence_s=300)
    result = measure(spec, tmp_path, pandas_files=100)
    names = [s.name for s in result.stages]
    assert names == [
        "generate",
        *PIPELINE,
        "floor query",
        "numpy one-pass floor",
        "pandas baseline",
    ]
    assert spec.samples == 32 * 288
    assert result.stage("ingest").rows >= spec.samples  # plus sacct, serving, billing, grid rows
    assert result.stage("pandas baseline").rows == spec.samples
    assert result.figures["floor_pandas_max_diff_wh"] < 1e-6
    assert set(result.ratios) == {
        "attribution / floor (time)",
        "samples -> job energy / numpy one-pass floor (time)",
        "attribution speed-up over pandas",
    }
    assert all(v > 0 for v in result.ratios.values())
    text = report(result)
    assert "end to end" in text and "peak RSS" in text and "32 GPUs" in text

    cfg = load_config(tmp_path / "wattprint.yaml")
    with connect(cfg.warehouse_path, read_only=True) as con:
        ours = (
            con.table("gpu_energy_attributed")
            .filter("job_key IS NOT NULL")
            .aggregate("sum(energy_wh)")
            .fetchall()[0][0]
        )
    assert ours / 1000 == pytest.approx(result.figures["floor_job_energy_kwh"], rel=2e-3)


def test_nightly_benchmark_times_only_the_new_day(tmp_path: Path) -> None:
    from benchmarks.scale import nightly

    result = nightly(gpus=16, cadence_s=900, history_days=2, folder=tmp_path)
    # the new day's telemetry: 16 GPUs x 96 samples
    assert result.stage("energy pieces").rows == 16 * 96
    ingest = result.stage("ingest")
    assert 16 * 96 <= ingest.rows < 2 * 16 * 96  # the new day's files only, not the history


def test_fanout_benchmark_stores_the_single_process_rows_for_every_b_and_w(tmp_path: Path) -> None:
    from benchmarks.fanout import measure

    rows = measure(gpus=32, buckets=[1, 3], workers=[1, 2], folder=tmp_path)
    assert [(r["B"], r["W"]) for r in rows] == [(1, 1), (1, 2), (3, 1), (3, 2)]
    assert all(r["same_rows"] for r in rows)
    assert all(r["wall_s"] > 0 and r["cpu_s"] > 0 and r["bytes_ratio"] >= 1.0 for r in rows)


def test_catalog_benchmark_publishes_and_reads_back_every_day(capsys) -> None:
    from benchmarks.catalog import main

    main(gpus=8, days=2)
    out = capsys.readouterr().out
    assert "384 gpu_energy_intervals rows a day" in out  # 8 GPUs × 24 h × 2 pieces
    assert "read one day back:" in out and "(384 rows)" in out
