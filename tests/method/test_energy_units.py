"""The energy pass in units of (day × host buckets): however the buckets are grouped, the stored
rows are the same bits; a rerun changes nothing; a unit failing mid-way leaves the warehouse as
it was. The fleet has what makes units hard: labelled pods, a 32-bit counter wrap, a gap across
midnight, the same samples in two files, and jobs whose hosts lie in different buckets."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method import passes, staging
from pipeline.method.checks import energy_conservation
from pipeline.method.energy import (
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
    params,
)
from pipeline.warehouse import connect, insert_frame, lake
from tests.frames import ALLOCATION_SCHEMA, schema_of
from tests.method.test_method_label_attribution import allocation
from tests.pieces_check import checked_pieces

D1 = datetime(2026, 3, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)
HOSTS = [f"n{i:02d}" for i in range(1, 9)]
SAMPLE_SCHEMA = schema_of(
    "raw_gpu_samples",
    ["source_path", "line", "host", "gpu_index", "ts_utc", "power_w", "energy_mj", "workload"],
)


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-03-01",
            "telemetry": {"max_gap_s": 900, "max_fill_s": 7200},
            "sites": {"s1": {"grid_zone": "Z1", "timezone": "UTC", "annual_gco2e_per_kwh": 300.0}},
            "gpu_models": {"g": {"tdp_w": 700.0, "idle_w": 60.0}},
            "host_groups": [{"hosts": h, "site": "s1", "gpu_model": "g", "gpus": 2} for h in HOSTS],
            "phase_rules": [],
        }
    )


def _samples() -> pl.DataFrame:
    rows = []
    for h, host in enumerate(HOSTS):
        for gpu in (0, 1):
            t, line, counter = D1 - timedelta(minutes=7 * h), 0, 2.0**32 - 3.0e8
            while t < D3 + timedelta(minutes=30):
                line += 1
                power = 200.0 + 150.0 * math.sin(line / 9.0 + h + gpu)
                gap = host == "n02" and D2 - timedelta(minutes=40) < t < D2 + timedelta(minutes=50)
                label = (
                    "4211"
                    if host == "n03" and D1 + timedelta(hours=8) <= t < D1 + timedelta(hours=12)
                    else None
                )
                energy = None
                if host == "n01" and gpu == 0:  # a 32-bit counter, wrapping a few hours in
                    counter = (counter + power * 600 * 1000.0) % 2.0**32
                    energy = counter
                if not gap:
                    rows.append(
                        ("dcgm/" + host + ".prom", line, host, gpu, t, power, energy, label)
                    )
                t += timedelta(minutes=10)
    frame = pl.DataFrame(rows, schema=SAMPLE_SCHEMA, orient="row")
    # n04's samples of day 2 also come in a second file (a re-export): each counts once
    again = frame.filter(pl.col("host") == "n04", pl.col("ts_utc") >= D2)
    return pl.concat([frame, again.with_columns(source_path=pl.lit("dcgm/n04-again.prom"))])


def _allocations() -> pl.DataFrame:
    rows = [
        allocation(
            "4211",
            "n03",
            1,
            D1 + timedelta(hours=7, minutes=30),
            D1 + timedelta(hours=12, minutes=30),
        )
    ]
    for host in ("n01", "n05", "n07"):  # one job across hosts in different buckets
        rows.append(
            allocation(
                "5000",
                host,
                2,
                D1 + timedelta(hours=6, minutes=17),
                D1 + timedelta(hours=20, minutes=43),
            )
        )
    rows.append(allocation("6000", "n02", 1, D1 + timedelta(hours=22), D2))
    rows.append(allocation("6000", "n02", 1, D2, D2 + timedelta(hours=3, minutes=5)))
    return pl.DataFrame(rows, schema=ALLOCATION_SCHEMA)


@pytest.fixture
def fleet(tmp_path: Path):
    cfg = make_config()
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        insert_frame(con, "raw_gpu_samples", _samples())
        insert_frame(con, "job_allocations", _allocations())
        yield con, cfg


def _stored(con) -> tuple[list[tuple], list[tuple]]:
    pieces = con.table("gpu_energy_intervals").order("host, gpu_index, start_utc, source")
    attributed = con.table("gpu_energy_attributed").order("host, gpu_index, hour_utc, job_key")
    return pieces.fetchall(), attributed.fetchall()


def _build(con, cfg, units_per_day: int | None) -> None:
    inputs = passes.Inputs.read(con, params(cfg), D1, D3)
    units = passes.plan(con, inputs, D1, D3, units_per_day=units_per_day)
    passes.commit(con, D1, D3, [passes.run_unit(inputs, u) for u in units])
    build_gpu_energy_attributed(con, D1, D3)


def test_the_fleet_spans_buckets_and_has_every_hard_shape(fleet) -> None:
    con, cfg = fleet
    assert len({lake.bucket_of(h) for h in ("n01", "n05", "n07")}) == 3
    checked_pieces(con, cfg, D1, D3)  # the pass gives the SQL reference's pieces
    build_gpu_energy_intervals(con, cfg, D1, D3)
    sources = {
        r[0] for r in con.execute("SELECT DISTINCT source FROM gpu_energy_intervals").fetchall()
    }
    assert sources == {"counter", "samples", "estimated"}
    labelled = con.execute("SELECT count(*) FROM gpu_energy_intervals WHERE workload = '4211'")
    assert labelled.fetchall()[0][0] > 0


def test_any_grouping_of_buckets_stores_the_same_bits(fleet) -> None:
    con, cfg = fleet
    results = []
    for units_per_day in (1, 2, 3, 64):
        _build(con, cfg, units_per_day)
        results.append(_stored(con))
        assert energy_conservation(con, D1, D3).passed
    assert all(r == results[0] for r in results[1:])
    # and the same as the pipeline's own call
    build_gpu_energy_intervals(con, cfg, D1, D3)
    build_gpu_energy_attributed(con, D1, D3)
    assert _stored(con) == results[0]
    assert len(results[0][0]) > 0 and len(results[0][1]) > 0


def test_daily_windows_store_what_one_window_stores(fleet) -> None:
    con, cfg = fleet
    build_gpu_energy_intervals(con, cfg, D1, D3)
    whole = _stored(con)[0]
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_intervals(con, cfg, D2, D3)
    assert _stored(con)[0] == whole


def test_a_unit_failing_midway_leaves_the_warehouse_as_it_was(fleet, monkeypatch) -> None:
    con, cfg = fleet
    build_gpu_energy_intervals(con, cfg, D1, D3)
    before = _stored(con)
    done = []
    real = passes.run_unit

    def dies_on_the_second(inputs, unit):
        if len(done) == 1:
            raise MemoryError("worker killed")
        done.append(unit)
        return real(inputs, unit)

    monkeypatch.setattr(passes, "run_unit", dies_on_the_second)
    with pytest.raises(MemoryError):
        build_gpu_energy_intervals(con, cfg, D1, D3)
    assert _stored(con) == before


def test_staged_units_commit_only_when_every_unit_has_a_result(fleet) -> None:
    con, cfg = fleet
    build_gpu_energy_intervals(con, cfg, D1, D3)
    reference = _stored(con)[0]
    con.execute("DELETE FROM gpu_energy_intervals")
    stage, keys = staging.plan(con, cfg, D1, D3, units_per_day=3)
    assert len(keys) == 6
    for key in keys[:-1]:  # the last unit's worker was killed: no result file
        staging.run_unit(stage, key)
    with pytest.raises(staging.StageIncomplete, match="1 of 6 energy units have no result"):
        staging.commit(con, stage)
    assert _stored(con)[0] == []
    staging.run_unit(stage, keys[-1])  # the retried step
    assert staging.commit(con, stage) == len(reference)
    assert _stored(con)[0] == reference
    assert not staging.exists(stage)  # the stage is cleared once committed
