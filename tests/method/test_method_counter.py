"""GPU energy from the energy counter (pipeline/method/pieces.py), by hand.

Units: energy_mj is the GPU's counter in millijoules. 1 Wh = 3600 J = 3.6e6 mJ, so an interval's
counter energy is delta_mj / 3.6e6 Wh and its (constant) power delta_mj / 1000 / seconds W.
Host n1 has 4 GPUs of TDP 400 W and idle 100 W; max_gap_s 900, max_fill_s 6 h. Every expected
number below is computed in the test from the inputs, never copied from the code's output.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.checks import energy_conservation
from pipeline.method.energy import (
    WRAP_MAX_TDP_RATIO,
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
)
from pipeline.warehouse import connect, insert_frame
from tests.frames import ALLOCATION_SCHEMA, schema_of
from tests.pieces_check import checked_pieces

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)
MAX_GAP_S, MAX_FILL_S = 900.0, 21600.0
TDP_W, IDLE_W = 400.0, 100.0
MJ_PER_WH = 3.6e6
U32, U64 = 2.0**32, 2.0**64

SAMPLE_SCHEMA = schema_of(
    "raw_gpu_samples",
    ["source_path", "line", "host", "gpu_index", "ts_utc", "power_w", "util_pct", "energy_mj"],
)
COLS = "hour_utc, start_utc, end_utc, start_power_w, end_power_w, energy_wh, source"


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "telemetry": {"max_gap_s": MAX_GAP_S, "max_fill_s": MAX_FILL_S},
            "sites": {
                "s1": {"grid_zone": "Z1", "timezone": "UTC", "annual_gco2e_per_kwh": 300.0},
            },
            "gpu_models": {"g": {"tdp_w": TDP_W, "idle_w": IDLE_W}},
            "host_groups": [{"hosts": "n1", "site": "s1", "gpu_model": "g", "gpus": 4}],
            "phase_rules": [],
        }
    )


def at(hh: int, mm: int = 0, ss: int = 0, day: datetime = D1) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


def samples(rows: list[tuple], gpu: int = 0) -> pl.DataFrame:
    """rows: (ts_utc, power_w, util_pct, energy_mj) for one GPU of host n1."""
    return pl.DataFrame(
        [
            {
                "source_path": "dcgm/n1.prom",
                "line": i + 1,
                "host": "n1",
                "gpu_index": gpu,
                "ts_utc": ts,
                "power_w": p,
                "util_pct": u,
                "energy_mj": e,
            }
            for i, (ts, p, u, e) in enumerate(rows)
        ],
        schema=SAMPLE_SCHEMA,
    )


@pytest.fixture
def wh_db(tmp_path: Path):
    cfg = make_config()
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        yield con, cfg


def pieces(con, start: datetime = D1, end: datetime = D3) -> list[tuple]:
    """The energy pieces of the window (not merged; checked against the SQL reference)."""
    got = checked_pieces(con, make_config(), start, end).sort("start_utc")
    return got.select(COLS.split(", ")).rows()


def build(con, cfg, rows: list[tuple]) -> list[tuple]:
    insert_frame(con, "raw_gpu_samples", samples(rows))
    build_gpu_energy_intervals(con, cfg, D1, D2)
    return pieces(con)


def test_counter_delta_is_the_interval_energy_and_beats_the_power_samples(wh_db) -> None:
    con, cfg = wh_db
    # 10 min; counter +1.8e8 mJ = 180 kJ → 50 Wh, i.e. 180,000 J / 600 s = 300 W throughout.
    # The power samples say 100 W at both ends (trapezoid: 600 s × 100 W = 16.7 Wh): a sampled
    # power misses the load between samples, the counter does not, so the counter wins.
    rows = build(con, cfg, [(at(0), 100.0, 10.0, 1.0e9), (at(0, 10), 100.0, 10.0, 1.0e9 + 1.8e8)])
    assert 1.8e8 / MJ_PER_WH == pytest.approx(50.0)
    assert len(rows) == 1
    hour, start, end, p0, p1, e, source = rows[0]
    assert (hour, start, end, source) == (at(0), at(0), at(0, 10), "counter")
    assert p0 == p1 == pytest.approx(1.8e8 / 1000 / 600)  # 300 W
    assert e == pytest.approx(50.0)


def test_counter_at_tdp_over_an_hour(wh_db) -> None:
    con, cfg = wh_db
    # 1.44e9 mJ = 1.44e6 J = 0.4 kWh over 1 h (mean 400 W, the TDP; a mean above 1.5 x TDP is not
    # priced from the counter: tests/ingest/test_plausibility.py). 1 h > max_gap_s: still counter,
    # not a gap.
    rows = build(con, cfg, [(at(2), None, None, 5.0e9), (at(3), None, None, 5.0e9 + 1.44e9)])
    assert rows == [(at(2), at(2), at(3), 400.0, 400.0, pytest.approx(400.0), "counter")]


def test_a_counter_rise_above_one_and_a_half_tdp_is_not_priced(wh_db) -> None:
    con, cfg = wh_db
    # 3.6e9 mJ over 1 h is a mean of 1 kW on a 400 W board: the counter says nothing, and with
    # no power or utilisation beside it the interval has no energy (as a reset without power)
    rows = build(con, cfg, [(at(2), None, None, 5.0e9), (at(3), None, None, 5.0e9 + 3.6e9)])
    assert rows == []
    # with power samples beside it, the interval falls back to them (an hour > max_gap_s: a gap,
    # estimated at the bounding samples' mean power)
    sampled = [(at(2), 300.0, None, 5.0e9), (at(3), 300.0, None, 5.0e9 + 3.6e9)]
    insert_frame(con, "raw_gpu_samples", samples(sampled, gpu=1))
    rows = build(con, cfg, [])
    assert [(r[3], r[4], r[6]) for r in rows] == [(300.0, 300.0, "estimated")]


def test_counter_interval_across_the_hour_is_cut_at_constant_power(wh_db) -> None:
    con, cfg = wh_db
    # 00:55 → 01:05, +2.16e8 mJ = 60 Wh at 2.16e5 J / 600 s = 360 W; cut at 01:00 into two
    # 5-minute pieces of 300 s × 360 W / 3600 = 30 Wh each (the power is flat, not interpolated
    # between the power samples of 100 W and 300 W)
    rows = build(
        con, cfg, [(at(0, 55), 100.0, None, 7.0e8), (at(1, 5), 300.0, None, 7.0e8 + 2.16e8)]
    )
    assert [r[:5] for r in rows] == [
        (at(0), at(0, 55), at(1), 360.0, 360.0),
        (at(1), at(1), at(1, 5), 360.0, 360.0),
    ]
    assert [r[5] for r in rows] == pytest.approx([30.0, 30.0])
    assert {r[6] for r in rows} == {"counter"}


def test_counter_reset_falls_back_to_power_and_starts_a_new_segment(wh_db) -> None:
    con, cfg = wh_db
    # 04:00 counter 5e9 mJ; 04:05 it reads 1e6 (driver reloaded): a decrease from above 2^32
    # (4.29e9), and 2^64 - 5e9 + 1e6 mJ is no wrap either → reset. That interval is priced from
    # the power samples: 300 s × (200 + 300) / 2 W = 20.83 Wh, source 'samples'. From 04:05 a new
    # segment: +9e7 mJ in 300 s = 9e4 J → 25 Wh at 300 W.
    assert 5.0e9 > U32
    rows = build(
        con,
        cfg,
        [
            (at(4, 0), 200.0, None, 5.0e9),
            (at(4, 5), 300.0, None, 1.0e6),
            (at(4, 10), 300.0, None, 1.0e6 + 9.0e7),
        ],
    )
    assert [r[1:5] + (r[6],) for r in rows] == [
        (at(4, 0), at(4, 5), 200.0, 300.0, "samples"),
        (at(4, 5), at(4, 10), 300.0, 300.0, "counter"),
    ]
    assert rows[0][5] == pytest.approx(300 * (200 + 300) / 2 / 3600)  # 20.83 Wh
    assert rows[1][5] == pytest.approx(9.0e7 / MJ_PER_WH)  # 25 Wh


def test_counter_reset_without_power_leaves_the_interval_empty(wh_db) -> None:
    con, cfg = wh_db
    # counter-only samples: the reset interval 05:00-05:05 has neither counter nor power, so it
    # gets no piece (like a gap with nothing to estimate from); 05:05-05:10 is +3.6e7 mJ = 10 Wh
    rows = build(
        con,
        cfg,
        [
            (at(5, 0), None, None, 8.0e9),
            (at(5, 5), None, None, 2.0e6),
            (at(5, 10), None, None, 3.8e7),
        ],
    )
    assert [r[1:3] for r in rows] == [(at(5, 5), at(5, 10))]
    assert rows[0][5] == pytest.approx((3.8e7 - 2.0e6) / MJ_PER_WH)  # 10 Wh
    assert rows[0][6] == "counter"


def test_counter_reset_with_utilisation_is_estimated_by_the_power_model(wh_db) -> None:
    con, cfg = wh_db
    # reset between samples with only utilisation (50 % and 70 %): the power model prices them at
    # 100 + 300 × 0.5 = 250 W and 100 + 300 × 0.7 = 310 W; trapezoid over 300 s = 23.33 Wh
    rows = build(con, cfg, [(at(6, 0), None, 50.0, 6.0e9), (at(6, 5), None, 70.0, 5.0e5)])
    assert [r[3:5] + (r[6],) for r in rows] == [(250.0, 310.0, "estimated")]
    assert rows[0][5] == pytest.approx(300 * (250 + 310) / 2 / 3600)


def test_sixty_four_bit_wrap(wh_db) -> None:
    con, cfg = wh_db
    # 2^25 mJ below the top of the unsigned 64-bit range, then 26,445,568 mJ past zero:
    # delta = 2^25 + 26,445,568 = 33,554,432 + 26,445,568 = 6e7 mJ = 16.67 Wh (200 W for 300 s),
    # within 2 × TDP × 300 s = 2.4e8 mJ, so a wrap, not a reset
    e0 = U64 - 2.0**25
    e1 = 6.0e7 - 2.0**25
    assert e1 == 26_445_568.0 and 6.0e7 <= WRAP_MAX_TDP_RATIO * TDP_W * 300 * 1000
    rows = build(con, cfg, [(at(7, 0), 150.0, None, e0), (at(7, 5), 150.0, None, e1)])
    assert [r[3:5] + (r[6],) for r in rows] == [(200.0, 200.0, "counter")]
    assert rows[0][5] == pytest.approx(6.0e7 / MJ_PER_WH)  # 16.67 Wh, not 300 s × 150 W = 12.5


def test_thirty_two_bit_wrap(wh_db) -> None:
    con, cfg = wh_db
    # 4e7 mJ below 2^32 then 2e7 past zero: delta 6e7 mJ = 16.67 Wh at 200 W over 300 s
    e0 = U32 - 4.0e7
    rows = build(con, cfg, [(at(8, 0), 150.0, None, e0), (at(8, 5), 150.0, None, 2.0e7)])
    assert [r[3:5] + (r[6],) for r in rows] == [(200.0, 200.0, "counter")]
    assert rows[0][5] == pytest.approx(6.0e7 / MJ_PER_WH)


def test_decrease_below_two_to_the_32_too_big_for_a_wrap_is_a_reset(wh_db) -> None:
    con, cfg = wh_db
    # 3e9 → 1e6 mJ in 300 s: a 32-bit wrap would mean (2^32 - 3e9) + 1e6 = 1.296e9 mJ, a mean of
    # 4,320 W on a 400 W GPU (limit 2 × 400 W × 300 s = 2.4e8 mJ) → a reset; the power samples
    # price the interval: 300 s × 150 W = 12.5 Wh
    wrapped = (U32 - 3.0e9) + 1.0e6
    assert wrapped / 1000 / 300 == pytest.approx(4320.0, abs=1.0)
    rows = build(con, cfg, [(at(9, 0), 150.0, None, 3.0e9), (at(9, 5), 150.0, None, 1.0e6)])
    assert [r[3:7] for r in rows] == [(150.0, 150.0, pytest.approx(12.5), "samples")]


def test_wrap_over_a_gap_is_a_reset(wh_db) -> None:
    con, cfg = wh_db
    # the same 32-bit wrap as above but 20 min apart (> max_gap_s): a 32-bit counter may have
    # wrapped more than once, so it is a reset; the gap is filled at the mean power (no
    # utilisation): 1200 s × 200 W = 66.67 Wh, 'estimated'
    rows = build(con, cfg, [(at(10, 0), 200.0, None, U32 - 4.0e7), (at(10, 20), 200.0, None, 2e7)])
    assert [r[3:7] for r in rows] == [(200.0, 200.0, pytest.approx(1200 * 200 / 3600), "estimated")]


def test_sample_without_counter_uses_the_power_path(wh_db) -> None:
    con, cfg = wh_db
    # 11:00 has a counter, 11:05 has none, 11:10 has one again: both intervals are priced from
    # power (trapezoid), the counter is not bridged over the sample without it
    rows = build(
        con,
        cfg,
        [
            (at(11, 0), 100.0, None, 1.0e9),
            (at(11, 5), 200.0, None, None),
            (at(11, 10), 100.0, None, 2e9),
        ],
    )
    assert [r[6] for r in rows] == ["samples", "samples"]
    assert [r[5] for r in rows] == pytest.approx([300 * 150 / 3600, 300 * 150 / 3600])


def test_counter_over_a_gap_longer_than_the_fill_cap_is_kept_at_its_mean_power(wh_db) -> None:
    con, cfg = wh_db
    # 12 h between samples (> max_fill_s = 6 h). Power samples alone would give nothing for those
    # hours; the counter says 1.08e10 mJ = 3000 Wh, i.e. 1.08e7 J / 43,200 s = 250 W. It is spread
    # evenly: 12 hourly pieces of 250 Wh.
    rows = build(con, cfg, [(at(0), 250.0, None, 1.0e9), (at(12), 250.0, None, 1.0e9 + 1.08e10)])
    assert [r[0] for r in rows] == [at(h) for h in range(12)]
    assert {(r[3], r[4], r[6]) for r in rows} == {(250.0, 250.0, "counter")}
    assert [r[5] for r in rows] == pytest.approx([250.0] * 12)
    assert sum(r[5] for r in rows) == pytest.approx(1.08e10 / MJ_PER_WH)


def test_counter_crossing_midnight_is_split_between_daily_windows(wh_db) -> None:
    con, cfg = wh_db
    # 23:50 → 00:10 next day, +4.8e8 mJ = 133.3 Wh at 4.8e5 J / 1200 s = 400 W: 66.67 Wh each day
    insert_frame(
        con,
        "raw_gpu_samples",
        samples([(at(23, 50), None, None, 2.0e9), (at(0, 10, day=D2), None, None, 2.48e9)]),
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_intervals(con, cfg, D2, D3)
    rows = pieces(con)
    assert [r[1:3] for r in rows] == [(at(23, 50), D2), (D2, at(0, 10, day=D2))]
    assert [r[5] for r in rows] == pytest.approx([600 * 400 / 3600, 600 * 400 / 3600])


def allocation(job_id: str, gpus: float, start: datetime, end: datetime) -> dict:
    return {
        "day": start.date(),
        "job_key": f"s1/{job_id}",
        "job_id": job_id,
        "site": "s1",
        "host": "n1",
        "gpus_on_host": gpus,
        "start_utc": start,
        "end_utc": end,
        "phase": "training",
        "model": None,
        "team": None,
        "phase_rule": "test",
    }


def test_counter_interval_cut_at_a_job_boundary_splits_energy_by_time(wh_db) -> None:
    con, cfg = wh_db
    # 13:00 → 13:10, +1.44e8 mJ = 40 Wh at 1.44e5 J / 600 s = 240 W. Job 7 holds the whole host
    # (4 of 4 GPUs) until 13:04: it gets 240 s × 240 W = 16 Wh, idle the other 360 s = 24 Wh.
    # Linear interpolation between equal end powers is that constant, so the split is exact.
    insert_frame(
        con,
        "raw_gpu_samples",
        samples([(at(13, 0), 90.0, None, 3.0e9), (at(13, 10), 90.0, None, 3.0e9 + 1.44e8)]),
    )
    insert_frame(
        con,
        "job_allocations",
        pl.DataFrame([allocation("7", 4.0, at(12), at(13, 4))], schema=ALLOCATION_SCHEMA),
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_attributed(con, D1, D2)
    got = {
        k: (e, s, m)
        for k, e, s, m in con.execute(
            "SELECT job_key, energy_wh, gpu_s, measured_wh FROM gpu_energy_attributed "
            "WHERE gpu_index = 0"
        ).fetchall()
    }
    assert set(got) == {"s1/7", None}
    assert got["s1/7"] == (pytest.approx(16.0), pytest.approx(240.0), pytest.approx(16.0))
    # counter energy counts as measured, idle included
    assert got[None] == (pytest.approx(24.0), pytest.approx(360.0), pytest.approx(24.0))
    assert energy_conservation(con, D1, D2).passed


def test_rerun_is_bit_identical(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(
        con,
        "raw_gpu_samples",
        samples(
            [
                (at(14, 0), 100.0, None, 1.0e9),
                (at(14, 7), 120.0, None, 1.0e9 + 1.234567e8),
                (at(15, 3), 130.0, None, 1.0e9 + 2.0e9),
                (at(15, 9), 140.0, None, 5.0e3),
            ]
        ),
    )
    build_gpu_energy_intervals(con, cfg, D1, D2)
    first, stored = pieces(con), con.table("gpu_energy_intervals").order("start_utc").fetchall()
    build_gpu_energy_intervals(con, cfg, D1, D2)
    assert pieces(con) == first
    assert con.table("gpu_energy_intervals").order("start_utc").fetchall() == stored
    # 14:00-14:07 counter, 14:07-15:03 counter cut at 15:00, 15:03-15:09 reset → samples
    assert [r[6] for r in first] == ["counter", "counter", "counter", "samples"]
