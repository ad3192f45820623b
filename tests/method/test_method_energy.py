"""GPU energy pieces (pipeline/method/pieces.py) on small cases worked out by hand.

Every expected value is computed here from the trapezoid rule, E = Δt × (P0 + P1) / 2, in W·s
divided by 3600 to give Wh, never copied from the code's output.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.energy import build_gpu_energy_intervals
from pipeline.warehouse import connect, insert_frame
from tests.frames import SAMPLE_SCHEMA
from tests.pieces_check import checked_pieces

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)
MAX_GAP_S = 900.0
TDP_W, IDLE_W = 400.0, 100.0

COLS = "hour_utc, start_utc, end_utc, start_power_w, end_power_w, energy_wh, source"


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "telemetry": {"max_gap_s": MAX_GAP_S},
            "sites": {
                "s1": {
                    "grid_zone": "Z1",
                    "timezone": "UTC",
                    "pue": 1.5,
                    "annual_gco2e_per_kwh": 300.0,
                },
            },
            "gpu_models": {
                "g": {
                    "tdp_w": TDP_W,
                    "idle_w": IDLE_W,
                    "embodied_kg": 1000.0,
                    "lifetime_years": 4.0,
                },
            },
            "host_groups": [{"hosts": "n1", "site": "s1", "gpu_model": "g", "gpus": 4}],
            "phase_rules": [],
        }
    )


def at(hh: int, mm: int = 0, day: datetime = D1) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def samples(rows: list[tuple], source: str = "smi/n1/a.csv") -> pl.DataFrame:
    """rows: (ts_utc, power_w, util_pct) for GPU 0 of host n1."""
    return pl.DataFrame(
        [
            {
                "source_path": source,
                "line": i + 1,
                "host": "n1",
                "gpu_index": 0,
                "ts_utc": ts,
                "power_w": p,
                "util_pct": u,
            }
            for i, (ts, p, u) in enumerate(rows)
        ],
        schema=SAMPLE_SCHEMA,
    )


def wh(seconds: float, p0: float, p1: float) -> float:
    return seconds * (p0 + p1) / 2 / 3600


@pytest.fixture
def wh_db(tmp_path: Path):
    cfg = make_config()
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        yield con, cfg


def stored(con) -> list[tuple]:
    """The rows gpu_energy_intervals holds (merged pieces), in a fixed order."""
    return con.table("gpu_energy_intervals").order("start_utc, source").fetchall()


def pieces(con, start: datetime = D1, end: datetime = D3) -> list[tuple]:
    """The energy pieces of the window (not merged; checked against the SQL reference)."""
    got = checked_pieces(con, make_config(), start, end).sort("start_utc")
    return got.select(COLS.split(", ")).rows()


def test_two_samples_make_one_trapezoid_piece(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con, "raw_gpu_samples", samples([(at(0, 0), 100.0, 10.0), (at(0, 10), 200.0, 20.0)])
    )
    n = build_gpu_energy_intervals(con, cfg, D1, D2)
    assert n == 1
    rows = pieces(con)
    expected_wh = 600 * (100 + 200) / 2 / 3600  # 10 min, mean 150 W → 25 Wh
    assert len(rows) == 1
    hour, start, end, p0, p1, e, source = rows[0]
    assert (hour, start, end) == (at(0), at(0, 0), at(0, 10))
    assert (p0, p1) == (100.0, 200.0)
    assert e == pytest.approx(expected_wh) and expected_wh == pytest.approx(25.0)
    assert source == "samples"
    site, host, gpu = con.execute(
        "SELECT site, host, gpu_index FROM gpu_energy_intervals"
    ).fetchone()
    assert (site, host, gpu) == ("s1", "n1", 0)


def test_interval_across_the_hour_is_cut_with_interpolated_power(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con, "raw_gpu_samples", samples([(at(0, 55), 100.0, None), (at(1, 5), 200.0, None)])
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    rows = pieces(con)
    # linear from 100 W at 00:55 to 200 W at 01:05: halfway (01:00) is 150 W
    mid_w = 100 + (200 - 100) * 300 / 600
    assert mid_w == 150.0
    first_wh = 300 * (100 + 150) / 2 / 3600  # 10.4166… Wh
    second_wh = 300 * (150 + 200) / 2 / 3600  # 14.5833… Wh
    assert [r[:5] for r in rows] == [
        (at(0), at(0, 55), at(1, 0), 100.0, mid_w),
        (at(1), at(1, 0), at(1, 5), mid_w, 200.0),
    ]
    assert rows[0][5] == pytest.approx(first_wh)
    assert rows[1][5] == pytest.approx(second_wh)
    # cutting preserves the whole interval's energy: 10 min at a mean of 150 W
    assert rows[0][5] + rows[1][5] == pytest.approx(600 * (100 + 200) / 2 / 3600)
    assert {r[6] for r in rows} == {"samples"}


def test_gap_longer_than_max_gap_is_filled_by_the_power_model(wh_db) -> None:
    con, cfg = wh_db
    # two hours apart (> 900 s); measured power 380 W / 320 W, utilisation 40 % / 60 %
    insert_frame(
        con, "raw_gpu_samples", samples([(at(0, 30), 380.0, 40.0), (at(2, 30), 320.0, 60.0)])
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    rows = pieces(con)
    mean_util = (40 + 60) / 2 / 100  # 0.5
    gap_w = IDLE_W + (TDP_W - IDLE_W) * mean_util  # 100 + 300 × 0.5 = 250 W, not the 350 W mean
    assert gap_w == 250.0
    assert [r[:5] for r in rows] == [
        (at(0), at(0, 30), at(1, 0), gap_w, gap_w),
        (at(1), at(1, 0), at(2, 0), gap_w, gap_w),
        (at(2), at(2, 0), at(2, 30), gap_w, gap_w),
    ]
    assert [r[5] for r in rows] == pytest.approx(
        [1800 * 250 / 3600, 3600 * 250 / 3600, 1800 * 250 / 3600]
    )
    assert sum(r[5] for r in rows) == pytest.approx(2 * 250.0)  # 2 h × 250 W
    assert {r[6] for r in rows} == {"estimated"}


def test_gap_without_utilisation_uses_the_mean_power(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con, "raw_gpu_samples", samples([(at(3, 0), 380.0, None), (at(3, 30), 320.0, None)])
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    rows = pieces(con)
    assert len(rows) == 1
    assert rows[0][3:5] == ((380 + 320) / 2, (380 + 320) / 2)
    assert rows[0][5] == pytest.approx(1800 * 350 / 3600)
    assert rows[0][6] == "estimated"


def test_gap_of_exactly_max_gap_is_not_a_gap(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con, "raw_gpu_samples", samples([(at(4, 0), 380.0, 0.0), (at(4, 15), 320.0, 100.0)])
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    ((*_, p0, p1, e, source),) = pieces(con)
    assert (p0, p1, source) == (380.0, 320.0, "samples")
    assert e == pytest.approx(900 * (380 + 320) / 2 / 3600)


def test_sample_without_power_uses_the_power_model(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", samples([(at(5, 0), 200.0, 30.0), (at(5, 5), None, 25.0)]))
    build_gpu_energy_intervals(con, cfg, D1, D2)
    rows = pieces(con)
    model_w = IDLE_W + (TDP_W - IDLE_W) * 25 / 100  # 100 + 300 × 0.25 = 175 W
    assert len(rows) == 1
    assert rows[0][3:5] == (200.0, model_w)
    assert rows[0][5] == pytest.approx(300 * (200 + 175) / 2 / 3600)
    assert rows[0][6] == "estimated"


def test_sample_without_power_or_utilisation_is_skipped(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con,
        "raw_gpu_samples",
        samples([(at(6, 0), 200.0, None), (at(6, 5), None, None), (at(6, 10), 100.0, None)]),
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    rows = pieces(con)
    # the empty sample is not a zero: the interval runs 06:00 → 06:10
    assert [r[1:5] for r in rows] == [(at(6, 0), at(6, 10), 200.0, 100.0)]
    assert rows[0][5] == pytest.approx(600 * (200 + 100) / 2 / 3600)


def test_window_edge_cuts_an_interval_crossing_midnight(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con,
        "raw_gpu_samples",
        samples([(at(23, 55), 100.0, None), (at(0, 5, day=D2), 300.0, None)]),
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_intervals(con, cfg, D2, D3)
    day1, day2 = pieces(con, D1, D2), pieces(con, D2, D3)
    midnight_w = 100 + (300 - 100) * 300 / 600  # 200 W at 00:00
    assert [r[:5] for r in day1] == [(at(23), at(23, 55), D2, 100.0, midnight_w)]
    assert [r[:5] for r in day2] == [(D2, D2, at(0, 5, day=D2), midnight_w, 300.0)]
    assert day1[0][5] == pytest.approx(300 * (100 + 200) / 2 / 3600)  # 12.5 Wh
    assert day2[0][5] == pytest.approx(300 * (200 + 300) / 2 / 3600)  # 20.83 Wh
    whole_wh = 600 * (100 + 300) / 2 / 3600  # 33.3 Wh
    assert day1[0][5] + day2[0][5] == pytest.approx(whole_wh)


def test_gap_crossing_midnight_is_kept_in_both_daily_windows(wh_db) -> None:
    """A gap is longer than max_gap_s by definition, so reading max_gap_s beyond the window's
    edges is not enough to find its bounding samples; daily windows must still fill it."""
    con, cfg = wh_db
    insert_frame(
        con, "raw_gpu_samples", samples([(at(23, 0), 250.0, 50.0), (at(1, 0, day=D2), 250.0, 50.0)])
    )
    gap_w = IDLE_W + (TDP_W - IDLE_W) * 0.5  # 250 W for the whole 2 h gap
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_intervals(con, cfg, D2, D3)
    day1, day2 = pieces(con, D1, D2), pieces(con, D2, D3)
    assert [r[1:3] for r in day1] == [(at(23), D2)]
    assert [r[1:3] for r in day2] == [(D2, at(1, 0, day=D2))]
    assert day1[0][5] == pytest.approx(3600 * gap_w / 3600)
    assert day2[0][5] == pytest.approx(3600 * gap_w / 3600)
    # the same as one window over both days
    con.execute("DELETE FROM gpu_energy_intervals")
    build_gpu_energy_intervals(con, cfg, D1, D3)
    assert pieces(con) == day1 + day2


def test_duplicate_samples_from_two_files_count_once(wh_db) -> None:
    con, cfg = wh_db
    rows = [(at(7, 0), 100.0, None), (at(7, 10), 200.0, None)]
    insert_frame(con, "raw_gpu_samples", samples(rows, source="smi/n1/a.csv"))
    insert_frame(con, "raw_gpu_samples", samples(rows, source="smi/n1/b.csv"))
    assert build_gpu_energy_intervals(con, cfg, D1, D2) == 1
    (row,) = pieces(con)
    assert row[5] == pytest.approx(600 * (100 + 200) / 2 / 3600)


def test_gpus_are_integrated_separately(wh_db) -> None:
    con, cfg = wh_db
    df = pl.concat(
        [
            samples([(at(8, 0), 100.0, None), (at(8, 10), 100.0, None)]),
            samples([(at(8, 0), 300.0, None), (at(8, 10), 300.0, None)]).with_columns(
                gpu_index=pl.lit(1, pl.Int32), source_path=pl.lit("smi/n1/gpu1.csv")
            ),
        ]
    )
    insert_frame(con, "raw_gpu_samples", df)
    build_gpu_energy_intervals(con, cfg, D1, D2)
    got = con.execute(
        "SELECT gpu_index, energy_wh FROM gpu_energy_intervals ORDER BY gpu_index"
    ).fetchall()
    assert [g for g, _ in got] == [0, 1]
    assert [e for _, e in got] == pytest.approx([600 * 100 / 3600, 600 * 300 / 3600])


def test_host_not_in_inventory_is_ignored(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con,
        "raw_gpu_samples",
        samples([(at(9, 0), 100.0, None), (at(9, 10), 200.0, None)]).with_columns(
            host=pl.lit("stranger")
        ),
    )
    assert build_gpu_energy_intervals(con, cfg, D1, D2) == 0


def test_rerunning_a_window_is_idempotent(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con,
        "raw_gpu_samples",
        samples(
            [
                (at(10, 0), 100.0, 10.0),
                (at(10, 50), 200.0, 20.0),
                (at(11, 55), 150.0, None),
                (at(12, 5), 250.0, 80.0),
            ]
        ),
    )
    first_n = build_gpu_energy_intervals(con, cfg, D1, D2)
    first = stored(con)
    second_n = build_gpu_energy_intervals(con, cfg, D1, D2)
    second = stored(con)
    assert first == second
    # 10:00-10:50 gap (one piece), 10:50-11:55 gap cut at 11:00, 11:55-12:05 measured and cut
    # at 12:00 → 1 + 2 + 2 pieces; stored merged per GPU, hour and source (no job cuts here):
    # 10:00-11:00 estimated, 11:00-11:55 estimated, 11:55-12:00 and 12:00-12:05 samples
    assert len(pieces(con, D1, D2)) == 5
    assert first_n == second_n == len(first) == 4
