"""Hourly footprint, daily summary and the training/inference crossover, worked out by hand.

Fleet: two sites with one single-GPU host each; every GPU draws a constant 300 W from 00:00 to
03:00 UTC on 2026-01-01, so each GPU-hour is 300 Wh = 0.3 kWh of IT energy.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.energy import (
    build_daily_summary,
    build_footprint_hourly,
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
)
from pipeline.method.lifecycle import crossover
from pipeline.warehouse import connect, insert_frame
from tests.frames import JOB_SCHEMA, SAMPLE_SCHEMA, schema_of

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
FEB1 = datetime(2026, 2, 1)
WATTS = 300.0
IT_KWH = WATTS * 1.0 / 1000  # one GPU-hour at 300 W
EMBODIED_KG, LIFETIME_Y = 1752.0, 4.0
EMBODIED_PER_GPU_H = EMBODIED_KG / (LIFETIME_Y * 8760)  # 0.05 kg per GPU-hour

GRID_SCHEMA = schema_of(
    "raw_grid_intensity",
    [
        "source_path",
        "line",
        "zone",
        "datetime_utc",
        "gco2e_per_kwh_direct",
    ],
)


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "telemetry": {"max_gap_s": 900.0},
            "sites": {
                # grid data for zone Z1; no residual mix
                "s1": {
                    "grid_zone": "Z1",
                    "timezone": "UTC",
                    "pue": 1.5,
                    "wue_l_per_kwh": 2.0,
                    "annual_gco2e_per_kwh": 300.0,
                },
                # no grid data for zone Z2; monthly PUE for January; residual mix configured
                "s2": {
                    "grid_zone": "Z2",
                    "timezone": "Europe/Stockholm",
                    "pue": 1.2,
                    "pue_by_month": {"2026-01": 1.4},
                    "annual_gco2e_per_kwh": 250.0,
                    "residual_mix_gco2e_per_kwh": 450.0,
                },
            },
            "gpu_models": {
                "g": {
                    "tdp_w": 400.0,
                    "idle_w": 100.0,
                    "embodied_kg": EMBODIED_KG,
                    "lifetime_years": LIFETIME_Y,
                },
            },
            "host_groups": [
                {"hosts": "n1", "site": "s1", "gpu_model": "g", "gpus": 1},
                {"hosts": "n2", "site": "s2", "gpu_model": "g", "gpus": 1},
            ],
        }
    )


def constant(host: str, start: datetime, hours: int) -> pl.DataFrame:
    ts = [start + timedelta(minutes=10 * i) for i in range(6 * hours + 1)]
    return pl.DataFrame(
        [
            {
                "source_path": f"smi/{host}.csv",
                "line": i + 1,
                "host": host,
                "gpu_index": 0,
                "ts_utc": t,
                "power_w": WATTS,
                "util_pct": None,
            }
            for i, t in enumerate(ts)
        ],
        schema=SAMPLE_SCHEMA,
    )


def grid(rows: list[tuple[str, datetime, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "source_path": "grid/em.csv",
                "line": i + 1,
                "zone": z,
                "datetime_utc": t,
                "gco2e_per_kwh_direct": v,
            }
            for i, (z, t, v) in enumerate(rows)
        ],
        schema=GRID_SCHEMA,
    )


def build(con, cfg: Config, start: datetime, end: datetime) -> None:
    build_job_allocations(con, cfg, start, end)
    build_gpu_energy_intervals(con, cfg, start, end)
    build_gpu_energy_attributed(con, start, end)
    build_footprint_hourly(con, start, end)
    build_daily_summary(con, start, end)


def _fleet(path: Path):
    cfg = make_config()
    with connect(path) as con:
        load_inventory(con, cfg)
        insert_frame(
            con, "raw_gpu_samples", pl.concat([constant("n1", D1, 3), constant("n2", D1, 3)])
        )
        insert_frame(
            con,
            "raw_grid_intensity",
            grid(
                [
                    ("Z1", D1, 200.0),  # hour 00:00
                    ("Z1", D1 + timedelta(hours=1), 400.0),  # hour 01:00; 02:00 is missing
                    ("Z1", datetime(2026, 1, 10, 12), 900.0),  # same month, outside the window
                    ("Z1", datetime(2026, 1, 15), None),  # no value: not part of any mean
                    ("Z1", FEB1, 10_000.0),  # another month
                ]
            ),
        )
        insert_frame(
            con,
            "raw_slurm_jobs",
            pl.DataFrame(
                [
                    {
                        "source_path": "sacct/a.txt",
                        "line": 1,
                        "job_id": "7",
                        "step": None,
                        "job_name": "whatever",
                        "start_utc": D1 + timedelta(hours=1),
                        "end_utc": D1 + timedelta(hours=2),
                        "hosts": ["n1"],
                        "gpus": 1,
                        "comment": "phase=training,model=m1,team=t1",
                    }
                ],
                schema=JOB_SCHEMA,
            ),
        )
        build(con, cfg, D1, D2)
        yield con, cfg


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory):
    """Built once for the tests that only read it."""
    yield from _fleet(tmp_path_factory.mktemp("fleet") / "w.duckdb")


@pytest.fixture
def own_fleet(tmp_path: Path):
    """A fresh copy for the tests that write to it."""
    yield from _fleet(tmp_path / "w.duckdb")


def hourly(con, site: str) -> dict[tuple[int, str | None], dict]:
    df = pl.from_arrow(
        con.sql(
            "SELECT * FROM footprint_hourly WHERE site = ? ORDER BY hour_utc, job_key",
            params=[site],
        ).to_arrow_table()
    )
    return {(r["hour_utc"].hour, r["job_key"]): r for r in df.iter_rows(named=True)}


def test_location_carbon_uses_the_hourly_intensity(fleet) -> None:
    con, _ = fleet
    rows = hourly(con, "s1")
    h0 = rows[(0, None)]  # idle: no job on n1 at 00:00-01:00
    assert h0["gpu_hours"] == pytest.approx(1.0)
    assert h0["it_energy_kwh"] == pytest.approx(0.3)
    assert h0["measured_kwh"] == pytest.approx(0.3)
    assert h0["pue"] == 1.5
    assert h0["facility_energy_kwh"] == pytest.approx(0.3 * 1.5)
    assert (h0["gco2e_per_kwh"], h0["intensity_source"]) == (200.0, "hourly")
    assert h0["co2e_kg_location"] == pytest.approx(0.3 * 1.5 * 200 / 1000)  # 0.09 kg
    h1 = rows[(1, "s1/7")]
    assert (h1["gco2e_per_kwh"], h1["intensity_source"]) == (400.0, "hourly")
    assert h1["co2e_kg_location"] == pytest.approx(0.3 * 1.5 * 400 / 1000)  # 0.18 kg


def test_missing_hour_falls_back_to_the_zone_monthly_mean(fleet) -> None:
    con, _ = fleet
    h2 = hourly(con, "s1")[(2, None)]
    january_mean = (200 + 400 + 900) / 3  # the null row and February are not in it
    assert january_mean == 500.0
    assert h2["intensity_source"] == "monthly_mean"
    assert h2["gco2e_per_kwh"] == pytest.approx(january_mean)
    assert h2["co2e_kg_location"] == pytest.approx(0.3 * 1.5 * 500 / 1000)  # 0.225 kg


def test_market_uses_location_intensity_without_residual_mix(fleet) -> None:
    con, _ = fleet
    for r in hourly(con, "s1").values():
        assert r["market_basis"] == "location_factor"
        assert r["co2e_kg_market"] == pytest.approx(r["co2e_kg_location"])


def test_zone_without_data_uses_the_annual_factor_and_residual_mix(fleet) -> None:
    con, _ = fleet
    rows = hourly(con, "s2")
    assert sorted(rows) == [(0, None), (1, None), (2, None)]
    for r in rows.values():
        assert (r["gco2e_per_kwh"], r["intensity_source"]) == (250.0, "annual")
        assert r["pue"] == 1.4  # pue_by_month for 2026-01, not the site's 1.2
        assert r["facility_energy_kwh"] == pytest.approx(0.3 * 1.4)
        assert r["co2e_kg_location"] == pytest.approx(0.3 * 1.4 * 250 / 1000)  # 0.105 kg
        assert r["market_basis"] == "residual_mix"
        assert r["co2e_kg_market"] == pytest.approx(0.3 * 1.4 * 450 / 1000)  # 0.189 kg
        assert r["water_l"] == 0.0  # no WUE configured


def test_month_without_override_uses_the_site_pue(own_fleet) -> None:
    con, cfg = own_fleet
    insert_frame(con, "raw_gpu_samples", constant("n2", FEB1, 1))
    build(con, cfg, FEB1, FEB1 + timedelta(days=1))
    (pue, facility) = con.execute(
        "SELECT pue, facility_energy_kwh FROM footprint_hourly WHERE hour_utc = ?", [FEB1]
    ).fetchone()
    assert pue == 1.2
    assert facility == pytest.approx(0.3 * 1.2)


def test_water_is_it_energy_times_wue(fleet) -> None:
    con, _ = fleet
    for r in hourly(con, "s1").values():
        assert r["water_l"] == pytest.approx(r["it_energy_kwh"] * 2.0)
    assert hourly(con, "s1")[(0, None)]["water_l"] == pytest.approx(0.3 * 2.0)  # not facility


def test_embodied_per_gpu_hour_held(fleet) -> None:
    con, _ = fleet
    assert EMBODIED_PER_GPU_H == pytest.approx(0.05)
    per_host = con.execute(
        "SELECT host, embodied_kg_per_gpu_hour FROM hosts ORDER BY host"
    ).fetchall()
    assert per_host == [("n1", pytest.approx(0.05)), ("n2", pytest.approx(0.05))]
    rows = hourly(con, "s1")
    assert rows[(0, None)]["embodied_kg"] == pytest.approx(1.0 * 0.05)
    assert rows[(1, "s1/7")]["embodied_kg"] == pytest.approx(1.0 * 0.05)
    # the job held the only GPU 01:00-02:00: nothing idle then
    assert rows[(1, None)]["gpu_hours"] == pytest.approx(0.0, abs=1e-12)
    assert rows[(1, None)]["embodied_kg"] == pytest.approx(0.0, abs=1e-12)


def test_daily_summary_puts_idle_under_its_own_phase(fleet) -> None:
    con, _ = fleet
    df = pl.from_arrow(con.sql("SELECT * FROM daily_summary ORDER BY site, phase").to_arrow_table())
    got = {(r["site"], r["phase"], r["model"], r["team"]): r for r in df.iter_rows(named=True)}
    assert sorted(got) == [
        ("s1", "idle", "", ""),
        ("s1", "training", "m1", "t1"),
        ("s2", "idle", "", ""),
    ]
    assert {r["day"] for r in got.values()} == {D1.date()}

    train = got[("s1", "training", "m1", "t1")]
    assert train["jobs"] == 1
    assert train["gpu_hours"] == pytest.approx(1.0)
    assert train["it_energy_kwh"] == pytest.approx(0.3)
    assert train["facility_energy_kwh"] == pytest.approx(0.3 * 1.5)
    assert train["co2e_kg_location"] == pytest.approx(0.3 * 1.5 * 400 / 1000)
    assert train["water_l"] == pytest.approx(0.3 * 2.0)
    assert train["embodied_kg"] == pytest.approx(1.0 * 0.05)

    idle1 = got[("s1", "idle", "", "")]
    assert idle1["jobs"] == 0
    assert idle1["gpu_hours"] == pytest.approx(2.0)  # 00:00-01:00 and 02:00-03:00
    assert idle1["it_energy_kwh"] == pytest.approx(0.6)
    assert idle1["co2e_kg_location"] == pytest.approx(0.3 * 1.5 * (200 + 500) / 1000)
    assert idle1["embodied_kg"] == pytest.approx(2.0 * 0.05)

    idle2 = got[("s2", "idle", "", "")]
    assert idle2["gpu_hours"] == pytest.approx(3.0)
    assert idle2["facility_energy_kwh"] == pytest.approx(3 * 0.3 * 1.4)
    assert idle2["co2e_kg_market"] == pytest.approx(3 * 0.3 * 1.4 * 450 / 1000)

    total = con.execute("SELECT sum(it_energy_kwh) FROM daily_summary").fetchone()[0]
    assert total == pytest.approx(2 * 3 * 0.3)  # two GPUs × three hours × 0.3 kWh


def test_footprint_and_summary_reruns_are_idempotent(own_fleet) -> None:
    con, cfg = own_fleet
    q1 = "SELECT * FROM footprint_hourly ORDER BY hour_utc, site, job_key"
    q2 = "SELECT * FROM daily_summary ORDER BY site, phase"
    before = con.execute(q1).fetchall(), con.execute(q2).fetchall()
    build(con, cfg, D1, D2)
    assert (con.execute(q1).fetchall(), con.execute(q2).fetchall()) == before


# --- crossover -------------------------------------------------------------------------------


def days(n: int) -> list[date]:
    return [date(2026, 1, 1) + timedelta(days=i) for i in range(n)]


def test_crossover_reached_on_the_first_day_cumulative_inference_catches_up() -> None:
    training = np.array([10.0, 0.0, 0.0, 0.0])
    inference = np.array([2.0, 3.0, 4.0, 5.0])
    # cumulative inference 2, 5, 9, 14 against 10 of training: reached on the fourth day
    c = crossover(days(4), training, inference)
    assert c.reached and c.date == date(2026, 1, 4)
    assert c.lifecycle_training_kwh == 10.0
    assert c.lifecycle_inference_kwh == 2 + 3 + 4 + 5


def test_crossover_projected_from_the_last_seven_days() -> None:
    training = np.array([200.0] + [0.0] * 9)
    inference = np.array([5.0, 5.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    total_i = 3 * 5 + (1 + 2 + 3 + 4 + 5 + 6 + 7)  # 43
    rate = (1 + 2 + 3 + 4 + 5 + 6 + 7) / 7  # 4 kWh/day, not the 4.3 mean of all ten days
    c = crossover(days(10), training, inference)
    assert not c.reached and c.date is None
    assert c.projected_days == pytest.approx((200 - total_i) / rate)  # 39.25 days
    assert c.lifecycle_inference_kwh == pytest.approx(total_i)


def test_crossover_with_fewer_than_seven_days_uses_them_all() -> None:
    c = crossover(days(3), np.array([100.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0]))
    assert c.projected_days == pytest.approx((100 - 6) / ((1 + 2 + 3) / 3))


def test_crossover_without_training_or_inference_has_no_projection() -> None:
    no_training = crossover(days(3), np.zeros(3), np.array([1.0, 1.0, 1.0]))
    assert (no_training.reached, no_training.projected_days) == (False, None)
    no_inference = crossover(days(3), np.array([5.0, 0.0, 0.0]), np.zeros(3))
    assert (no_inference.reached, no_inference.projected_days) == (False, None)
    empty = crossover([], np.array([]), np.array([]))
    assert (empty.reached, empty.projected_days, empty.lifecycle_training_kwh) == (False, None, 0.0)
