"""Facility, carbon (location and market), CFE, water and embodied, worked out by hand.

Fleet, one warehouse built over two windows:

* 2026-01-01 00:00-02:00, site `m` (PUE 1.25, residual mix 400 g/kWh, zone Z1 at 300 g/kWh with
  40 % carbon-free): host m1 with 4 GPUs at 200 W, so IT = 0.8 kWh and facility = 1.0 kWh an
  hour. Job 1 holds 3 GPUs and job 2 holds 1 GPU in hour 00. A PPA profile (20 g/kWh) delivers
  0.0005 MWh in hour 00 and 0.002 MWh in hour 01. GPU embodied 1752 kg over 4 years, server
  embodied 3504 kg over 5 years (overhead 0 W).
* same hour 00, site `m2` (PUE 1.25, no residual mix, zone Z2 at 500 g/kWh, no CFE data): host
  m2a with 1 idle GPU at 400 W (facility 0.5 kWh), a profile with factor 0 delivering 0.00025 MWh.
* 2026-01-31 22:00 to 2026-02-01 02:00, site `p` (PUE 1.2, 1.5 in January; WUE 2 L/kWh, off-site
  water 1.5 L/kWh; annual factor 50 g/kWh): host p1, 1 GPU at 400 W. Zone ZP has 80 and 120 g/kWh
  half-hourly at Jan 31 22:00 and 400 g/kWh on Jan 10; no February data. Job 31 holds the GPU
  from Jan 31 23:00 to Feb 1 01:00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
from pipeline.warehouse import connect, insert_frame
from tests.frames import JOB_SCHEMA, SAMPLE_SCHEMA, schema_of

D1 = datetime(2026, 1, 1)
JAN31 = datetime(2026, 1, 31)
FEB1 = datetime(2026, 2, 1)
HOURS_PER_YEAR = 8760

GRID_SCHEMA = schema_of(
    "raw_grid_intensity",
    [
        "source_path",
        "line",
        "zone",
        "datetime_utc",
        "gco2e_per_kwh_direct",
        "cfe_pct",
    ],
)


def make_config(base_dir) -> Config:
    ppa = {"kind": "PPA", "start": "2026-01-01", "end": "2026-12-31"}
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "base_dir": str(base_dir),
            "sites": {
                "m": {"grid_zone": "Z1", "pue": 1.25, "annual_gco2e_per_kwh": 999.0,
                      "residual_mix_gco2e_per_kwh": 400.0},
                "m2": {"grid_zone": "Z2", "pue": 1.25, "annual_gco2e_per_kwh": 999.0},
                "p": {"grid_zone": "ZP", "pue": 1.2, "pue_by_month": {"2026-01": 1.5},
                      "wue_l_per_kwh": 2.0, "offsite_water_l_per_kwh": 1.5,
                      "annual_gco2e_per_kwh": 50.0},
            },
            "gpu_models": {
                "ge": {"tdp_w": 400.0, "idle_w": 100.0, "embodied_kg": 1752.0,
                       "lifetime_years": 4.0},
                "g": {"tdp_w": 400.0, "idle_w": 100.0},
            },
            "server_models": {"srv": {"overhead_w": 0.0, "embodied_kg": 3504.0,
                                      "lifetime_years": 5.0}},
            "host_groups": [
                {"hosts": "m1", "site": "m", "gpu_model": "ge", "gpus": 4, "server_model": "srv"},
                {"hosts": "m2a", "site": "m2", "gpu_model": "g", "gpus": 1},
                {"hosts": "p1", "site": "p", "gpu_model": "g", "gpus": 1},
            ],
            "instruments": [
                ppa | {"name": "ppa-m", "site": "m", "hourly_profile": "ppa_m.csv",
                       "gco2e_per_kwh": 20.0},
                ppa | {"name": "ppa-m2", "site": "m2", "hourly_profile": "ppa_m2.csv",
                       "gco2e_per_kwh": 0.0},
            ],
        }
    )  # fmt: skip


def constant(host: str, gpus: int, start: datetime, hours: int, watts: float) -> pl.DataFrame:
    ts = [start + timedelta(minutes=10 * i) for i in range(6 * hours + 1)]
    return pl.DataFrame(
        [
            {"source_path": f"smi/{host}.csv", "line": i + 1, "host": host, "gpu_index": g,
             "ts_utc": t, "power_w": watts, "util_pct": None}
            for g in range(gpus)
            for i, t in enumerate(ts)
        ],
        schema=SAMPLE_SCHEMA,
    )  # fmt: skip


def grid(rows: list[tuple[str, datetime, float, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"source_path": "grid/em.csv", "line": i + 1, "zone": z, "datetime_utc": t,
             "gco2e_per_kwh_direct": g, "cfe_pct": c}
            for i, (z, t, g, c) in enumerate(rows)
        ],
        schema=GRID_SCHEMA,
    )  # fmt: skip


def job(job_id: str, host: str, start: datetime, end: datetime, gpus: int) -> dict:
    return {
        "source_path": "sacct/a.txt",
        "line": int(job_id),
        "job_id": job_id,
        "step": None,
        "job_name": "x",
        "start_utc": start,
        "end_utc": end,
        "hosts": [host],
        "gpus": gpus,
        "comment": f"phase=inference,model=m{job_id},team=t",
    }


def build(con, cfg: Config, start: datetime, end: datetime) -> None:
    build_job_allocations(con, cfg, start, end)
    build_gpu_energy_intervals(con, cfg, start, end)
    build_gpu_energy_attributed(con, start, end)
    build_footprint_hourly(con, start, end)
    build_daily_summary(con, start, end)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("full_footprint")
    (base / "ppa_m.csv").write_text(
        "hour_utc,mwh\n2026-01-01T00:00:00Z,0.0005\n2026-01-01T01:00:00Z,0.002\n"
    )
    (base / "ppa_m2.csv").write_text("hour_utc,mwh\n2026-01-01T00:00:00Z,0.00025\n")
    cfg = make_config(base)
    with connect(base / "w.duckdb") as con:
        load_inventory(con, cfg)
        samples = [
            constant("m1", 4, D1, 2, 200.0),
            constant("m2a", 1, D1, 1, 400.0),
            constant("p1", 1, JAN31 + timedelta(hours=22), 4, 400.0),
        ]
        insert_frame(con, "raw_gpu_samples", pl.concat(samples))
        insert_frame(
            con,
            "raw_grid_intensity",
            grid(
                [
                    ("Z1", D1, 300.0, 40.0),
                    ("Z1", D1 + timedelta(hours=1), 300.0, 40.0),
                    ("Z2", D1, 500.0, None),
                    ("ZP", datetime(2026, 1, 10, 12), 400.0, None),
                    ("ZP", JAN31 + timedelta(hours=22), 80.0, None),
                    ("ZP", JAN31 + timedelta(hours=22, minutes=30), 120.0, None),
                ]
            ),
        )
        jobs = [
            job("1", "m1", D1, D1 + timedelta(hours=1), 3),
            job("2", "m1", D1, D1 + timedelta(hours=1), 1),
            job("31", "p1", JAN31 + timedelta(hours=23), FEB1 + timedelta(hours=1), 1),
        ]
        insert_frame(con, "raw_slurm_jobs", pl.DataFrame(jobs, schema=JOB_SCHEMA))
        build(con, cfg, D1, D1 + timedelta(days=1))
        build(con, cfg, JAN31, FEB1 + timedelta(days=1))
        yield con


def hourly(con, site: str) -> dict[tuple[datetime, str | None], dict]:
    df = pl.from_arrow(
        con.sql("SELECT * FROM footprint_hourly WHERE site = ?", params=[site]).to_arrow_table()
    )
    return {(r["hour_utc"], r["job_key"]): r for r in df.iter_rows(named=True)}


def daily(con, site: str) -> dict[tuple[date, str], dict]:
    """daily_summary rows summed per day and phase (over models)."""
    df = pl.from_arrow(
        con.sql("SELECT * FROM daily_summary WHERE site = ?", params=[site]).to_arrow_table()
    )
    df = df.group_by("day", "phase").agg(pl.col(pl.Float64).sum())
    return {(r["day"], r["phase"]): r for r in df.iter_rows(named=True)}


H22, H23 = JAN31 + timedelta(hours=22), JAN31 + timedelta(hours=23)
F00, F01 = FEB1, FEB1 + timedelta(hours=1)


# --- 4. facility: PUE by month ---------------------------------------------------------------


def test_pue_follows_the_utc_month_across_a_month_boundary(fleet) -> None:
    rows = hourly(fleet, "p")
    # 1 GPU at 400 W: IT 0.4 kWh an hour; January override 1.5, February the site's 1.2
    assert rows[(H22, None)]["pue"] == 1.5
    assert rows[(H23, "p/31")]["facility_energy_kwh"] == pytest.approx(0.4 * 1.5)  # 0.6
    assert rows[(F00, "p/31")]["pue"] == 1.2
    assert rows[(F00, "p/31")]["facility_energy_kwh"] == pytest.approx(0.4 * 1.2)  # 0.48
    d = daily(fleet, "p")
    assert d[(JAN31.date(), "inference")]["facility_energy_kwh"] == pytest.approx(0.6)
    assert d[(FEB1.date(), "inference")]["facility_energy_kwh"] == pytest.approx(0.48)


# --- 5. location-based carbon and its fallbacks ----------------------------------------------


def test_location_intensity_hourly_then_monthly_mean_then_annual(fleet) -> None:
    rows = hourly(fleet, "p")
    h22 = rows[(H22, None)]
    # two half-hourly values in the hour: (80 + 120) / 2 = 100 g/kWh
    assert (h22["gco2e_per_kwh"], h22["intensity_source"]) == (pytest.approx(100.0), "hourly")
    assert h22["co2e_kg_location"] == pytest.approx(0.6 * 100 / 1000)  # 0.06 kg
    h23 = rows[(H23, "p/31")]
    # no value for 23:00: ZP's January mean of all its readings, (400 + 80 + 120) / 3 = 200
    assert h23["intensity_source"] == "monthly_mean"
    assert h23["gco2e_per_kwh"] == pytest.approx((400 + 80 + 120) / 3)
    assert h23["co2e_kg_location"] == pytest.approx(0.6 * 200 / 1000)  # 0.12 kg
    for key in ((F00, "p/31"), (F01, None)):
        # no February data at all: the site's annual factor, 50 g/kWh
        assert (rows[key]["gco2e_per_kwh"], rows[key]["intensity_source"]) == (50.0, "annual")
        assert rows[key]["co2e_kg_location"] == pytest.approx(0.48 * 50 / 1000)  # 0.024 kg


def test_fallback_hours_are_counted_in_the_daily_summary(fleet) -> None:
    d = daily(fleet, "p")
    jan_idle, jan_job = d[(JAN31.date(), "idle")], d[(JAN31.date(), "inference")]
    assert jan_idle["fallback_facility_kwh"] == 0.0  # 22:00 was hourly
    assert jan_idle["co2e_kg_location_fallback"] == 0.0
    assert jan_job["fallback_facility_kwh"] == pytest.approx(0.6)  # 23:00 monthly mean
    assert jan_job["co2e_kg_location_fallback"] == pytest.approx(0.12)
    for phase in ("idle", "inference"):  # 01:00 idle, 00:00 job: both annual
        assert d[(FEB1.date(), phase)]["fallback_facility_kwh"] == pytest.approx(0.48)
        assert d[(FEB1.date(), phase)]["co2e_kg_location_fallback"] == pytest.approx(0.024)


# --- 6. market-based with an hourly instrument profile ---------------------------------------


def test_profile_reaches_instrument_hours_in_kwh(fleet) -> None:
    rows = fleet.execute(
        "SELECT name, hour_utc, kwh, gco2e_per_kwh FROM instrument_hours ORDER BY name, hour_utc"
    ).fetchall()
    assert rows == [
        ("ppa-m", D1, pytest.approx(0.5), 20.0),  # 0.0005 MWh
        ("ppa-m", D1 + timedelta(hours=1), pytest.approx(2.0), 20.0),
        ("ppa-m2", D1, pytest.approx(0.25), 0.0),
    ]


def test_hourly_instrument_is_shared_pro_rata_between_jobs(fleet) -> None:
    rows = hourly(fleet, "m")
    j1, j2 = rows[(D1, "m/1")], rows[(D1, "m/2")]
    # 3 and 1 GPUs × 200 W × 1 h × PUE 1.25: 0.75 and 0.25 kWh of the site-hour's 1.0 kWh
    assert j1["facility_energy_kwh"] == pytest.approx(3 * 200 / 1000 * 1.25)
    assert j2["facility_energy_kwh"] == pytest.approx(1 * 200 / 1000 * 1.25)
    # 0.5 kWh delivered / 1.0 kWh used: matched share 0.5 of every row
    assert j1["instrument_kwh"] == pytest.approx(0.75 * 0.5)  # 0.375
    assert j2["instrument_kwh"] == pytest.approx(0.25 * 0.5)  # 0.125
    assert j1["market_basis"] == "residual_mix"
    # matched part at the PPA's 20 g/kWh, the rest at the 400 g/kWh residual mix
    assert j1["co2e_kg_market"] == pytest.approx((0.375 * 20 + 0.375 * 400) / 1000)  # 0.1575
    assert j1["co2e_kg_market_residual"] == pytest.approx(0.375 * 400 / 1000)
    assert j2["co2e_kg_market"] == pytest.approx((0.125 * 20 + 0.125 * 400) / 1000)  # 0.0525
    # location-based ignores instruments: 0.75 × 300 g/kWh
    assert j1["co2e_kg_location"] == pytest.approx(0.75 * 300 / 1000)
    # CFE: matched + the grid's 40 % of the unmatched rest
    assert j1["grid_cfe_pct"] == 40.0
    assert j1["cfe_kwh"] == pytest.approx(0.375 + 0.375 * 0.40)  # 0.525
    assert j2["cfe_kwh"] == pytest.approx(0.125 + 0.125 * 0.40)  # 0.175


def test_supply_above_consumption_covers_the_hour_fully(fleet) -> None:
    idle = hourly(fleet, "m")[(D1 + timedelta(hours=1), None)]
    # hour 01: 4 idle GPUs → 1.0 kWh facility; 2.0 kWh delivered → share min(1, 2/1) = 1
    assert idle["facility_energy_kwh"] == pytest.approx(1.0)
    assert idle["instrument_kwh"] == pytest.approx(1.0)
    assert idle["co2e_kg_market"] == pytest.approx(1.0 * 20 / 1000)
    assert idle["co2e_kg_market_residual"] == pytest.approx(0.0, abs=1e-12)
    assert idle["cfe_kwh"] == pytest.approx(1.0)
    assert idle["co2e_kg_location"] == pytest.approx(1.0 * 300 / 1000)


def test_without_residual_mix_the_rest_is_priced_at_location(fleet) -> None:
    (idle,) = hourly(fleet, "m2").values()
    # 1 GPU × 400 W × 1.25 = 0.5 kWh; 0.25 kWh delivered → share 0.5; rest at 500 g/kWh
    assert idle["facility_energy_kwh"] == pytest.approx(0.5)
    assert idle["instrument_kwh"] == pytest.approx(0.25)
    assert idle["market_basis"] == "location_factor"
    assert idle["co2e_kg_market"] == pytest.approx((0.25 * 0.0 + 0.25 * 500) / 1000)  # 0.125
    assert idle["co2e_kg_location"] == pytest.approx(0.5 * 500 / 1000)
    # no CFE data for the hour counts as 0 % carbon-free: only the matched 0.25 kWh
    assert idle["grid_cfe_pct"] is None
    assert idle["cfe_kwh"] == pytest.approx(0.25)


def test_market_and_instrument_totals_in_the_daily_summary(fleet) -> None:
    d = daily(fleet, "m")
    # hour 00: 0.375 + 0.125 (jobs) + 0 (idle); hour 01: 1.0 (idle)
    assert d[(D1.date(), "inference")]["instrument_kwh"] == pytest.approx(0.5)
    assert d[(D1.date(), "idle")]["instrument_kwh"] == pytest.approx(1.0)
    assert d[(D1.date(), "inference")]["co2e_kg_market"] == pytest.approx(0.1575 + 0.0525)
    assert d[(D1.date(), "inference")]["cfe_kwh"] == pytest.approx(0.525 + 0.175)


# --- 8. water --------------------------------------------------------------------------------


def test_water_is_onsite_it_times_wue_plus_offsite_facility(fleet) -> None:
    rows = hourly(fleet, "p")
    jan = rows[(H22, None)]
    # on-site 0.4 kWh IT × 2 L/kWh = 0.8 L; off-site 0.6 kWh facility × 1.5 L/kWh = 0.9 L
    assert jan["water_onsite_l"] == pytest.approx(0.4 * 2.0)
    assert jan["water_offsite_l"] == pytest.approx(0.4 * 1.5 * 1.5)
    assert jan["water_l"] == pytest.approx(0.8 + 0.9)
    feb = rows[(F00, "p/31")]
    # February PUE 1.2: off-site 0.48 × 1.5 = 0.72 L
    assert feb["water_l"] == pytest.approx(0.4 * 2.0 + 0.4 * 1.2 * 1.5)
    assert hourly(fleet, "m")[(D1, "m/1")]["water_l"] == 0.0  # nothing configured for `m`


# --- 9. embodied -----------------------------------------------------------------------------


def test_embodied_rates_per_gpu_hour_in_the_inventory(fleet) -> None:
    (gpu_rate, server_rate) = fleet.execute(
        "SELECT embodied_kg_per_gpu_hour, server_embodied_kg_per_gpu_hour FROM hosts "
        "WHERE host = 'm1'"
    ).fetchall()[0]
    # GPU: 1752 kg / (4 y × 8760 h) = 0.05 kg per GPU-hour
    assert gpu_rate == pytest.approx(1752 / (4 * HOURS_PER_YEAR))
    assert gpu_rate == pytest.approx(0.05)
    # server: 3504 kg / (5 y × 8760 h) = 0.08 kg per server-hour, over 4 GPUs = 0.02
    assert server_rate == pytest.approx(3504 / (5 * HOURS_PER_YEAR) / 4)
    assert server_rate == pytest.approx(0.02)


def test_embodied_per_gpu_hour_held_and_idle(fleet) -> None:
    rows = hourly(fleet, "m")
    j1, j2 = rows[(D1, "m/1")], rows[(D1, "m/2")]
    assert (j1["embodied_gpu_kg"], j1["embodied_server_kg"]) == (
        pytest.approx(3 * 0.05),
        pytest.approx(3 * 0.02),
    )
    assert j1["embodied_kg"] == pytest.approx(3 * (0.05 + 0.02))  # 0.21 kg
    assert j2["embodied_kg"] == pytest.approx(1 * (0.05 + 0.02))  # 0.07 kg
    # hour 00 fully held: idle gets nothing; hour 01: 4 idle GPU-hours
    assert rows[(D1, None)]["embodied_kg"] == pytest.approx(0.0, abs=1e-12)
    assert rows[(D1 + timedelta(hours=1), None)]["embodied_kg"] == pytest.approx(4 * 0.07)
