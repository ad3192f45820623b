"""IT energy by hand: host overhead (configured or measured) and the scheduler estimation path.

Fleet, all on 2026-01-01 (UTC), every expected value worked out below from the inputs:

* site `ho` (PUE 1.25): hosts n1, n2, n3, each 4 GPUs drawing a constant 300 W from 00:00 to
  01:00, server model `srv` configured at 800 W of non-GPU power. n2 has node power readings
  (mean 2200 W), n3 has readings below its GPUs' power (1000 W). Jobs 1, 2, 3 hold 2 of the 4
  GPUs of n1, n2, n3 for that hour.
* site `est`: hosts e1 (GPU model with average_power_w 350) and e2 (power model only, TDP 400 W,
  idle 100 W), no telemetry at all; jobs 11 (e1, training), 12 (e2, training) and 13 (e2,
  inference) each hold 2 GPUs from 00:00 to 03:00.
* site `gap`: single-GPU hosts f1 and f2 at 200 W. f1 reports 00:00-01:00 and 09:00-10:00 (a gap
  of 8 h, longer than max_fill_s = 6 h); f2 reports 00:00-01:00 and 03:00-04:00 at 50 %
  utilisation (a gap of 2 h, between max_gap_s and max_fill_s). Job 21 holds f1 00:00-10:00 and
  job 22 holds f2 00:00-04:00, both training.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
D2 = D1 + timedelta(days=1)
TDP_W, IDLE_W = 400.0, 100.0
OVERHEAD_W = 800.0  # configured non-GPU power of one server
AVERAGE_W = 350.0  # configured average board power of GPU model g_avg
MAX_GAP_S, MAX_FILL_S = 900.0, 21600.0

NODE_SCHEMA = schema_of(
    "raw_node_power",
    [
        "source_path",
        "line",
        "host",
        "ts_utc",
        "node_power_w",
    ],
)


def make_config() -> Config:
    site = {"grid_zone": "Z", "timezone": "UTC", "annual_gco2e_per_kwh": 100.0}
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "telemetry": {"max_gap_s": MAX_GAP_S, "max_fill_s": MAX_FILL_S},
            "sites": {"ho": site | {"pue": 1.25}, "est": site | {"pue": 1.0}, "gap": site},
            "gpu_models": {
                "g": {"tdp_w": TDP_W, "idle_w": IDLE_W},
                "g_avg": {"tdp_w": TDP_W, "idle_w": IDLE_W, "average_power_w": AVERAGE_W},
            },
            "server_models": {"srv": {"overhead_w": OVERHEAD_W}},
            "host_groups": [
                {
                    "hosts": "n[1-3]",
                    "site": "ho",
                    "gpu_model": "g",
                    "gpus": 4,
                    "server_model": "srv",
                },
                {"hosts": "e1", "site": "est", "gpu_model": "g_avg", "gpus": 4},
                {"hosts": "e2", "site": "est", "gpu_model": "g", "gpus": 4},
                {"hosts": "f[1-2]", "site": "gap", "gpu_model": "g", "gpus": 1},
            ],
        }
    )


def at(hh: int, mm: int = 0) -> datetime:
    return D1 + timedelta(hours=hh, minutes=mm)


def constant(
    host: str, gpus: int, start: datetime, end: datetime, watts: float, util: float | None = None
) -> pl.DataFrame:
    """A sample every 10 minutes from start to end inclusive, on every GPU of the host."""
    n = int((end - start).total_seconds() // 600)
    ts = [start + timedelta(minutes=10 * i) for i in range(n + 1)]
    rows = [
        {
            "source_path": f"smi/{host}/{start:%H}.csv",
            "line": i + 1,
            "host": host,
            "gpu_index": g,
            "ts_utc": t,
            "power_w": watts,
            "util_pct": util,
        }
        for g in range(gpus)
        for i, t in enumerate(ts)
    ]
    return pl.DataFrame(rows, schema=SAMPLE_SCHEMA)


def node(host: str, readings: list[tuple[datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "source_path": f"power/{host}.csv",
                "line": i + 1,
                "host": host,
                "ts_utc": t,
                "node_power_w": w,
            }
            for i, (t, w) in enumerate(readings)
        ],
        schema=NODE_SCHEMA,
    )


def job(job_id: str, host: str, start: datetime, end: datetime, gpus: int, phase: str) -> dict:
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
        "comment": f"phase={phase},model=m{job_id},team=t",
    }


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory):
    cfg = make_config()
    with connect(tmp_path_factory.mktemp("full_energy") / "w.duckdb") as con:
        load_inventory(con, cfg)
        telemetry = [constant(h, 4, at(0), at(1), 300.0) for h in ("n1", "n2", "n3")] + [
            constant("f1", 1, at(0), at(1), 200.0),
            constant("f1", 1, at(9), at(10), 200.0),
            constant("f2", 1, at(0), at(1), 200.0, util=50.0),
            constant("f2", 1, at(3), at(4), 200.0, util=50.0),
        ]
        insert_frame(con, "raw_gpu_samples", pl.concat(telemetry))
        insert_frame(
            con,
            "raw_node_power",
            pl.concat(
                [
                    node("n2", [(at(0, 15), 2100.0), (at(0, 45), 2300.0)]),  # mean 2200 W
                    node("n3", [(at(0, 30), 1000.0)]),  # below the GPUs' 1200 W
                ]
            ),
        )
        jobs = [
            job("1", "n1", at(0), at(1), 2, "training"),
            job("2", "n2", at(0), at(1), 2, "training"),
            job("3", "n3", at(0), at(1), 2, "training"),
            job("11", "e1", at(0), at(3), 2, "training"),
            job("12", "e2", at(0), at(3), 2, "training"),
            job("13", "e2", at(0), at(3), 2, "inference"),
            job("21", "f1", at(0), at(10), 1, "training"),
            job("22", "f2", at(0), at(4), 1, "training"),
        ]
        insert_frame(con, "raw_slurm_jobs", pl.DataFrame(jobs, schema=JOB_SCHEMA))
        build_job_allocations(con, cfg, D1, D2)
        build_gpu_energy_intervals(con, cfg, D1, D2)
        build_gpu_energy_attributed(con, D1, D2)
        build_footprint_hourly(con, D1, D2)
        build_daily_summary(con, D1, D2)
        yield con


def per_job(con, site: str) -> dict[str | None, dict]:
    """footprint_hourly summed over the day per job (None = idle)."""
    df = pl.from_arrow(
        con.sql(
            "SELECT job_key, count(*) AS hours, sum(gpu_hours) AS gpu_hours, "
            "sum(gpu_energy_kwh) AS gpu, sum(host_energy_kwh) AS host, "
            "sum(host_measured_kwh) AS host_measured, sum(it_energy_kwh) AS it, "
            "sum(facility_energy_kwh) AS facility, sum(measured_kwh) AS measured, "
            "sum(scheduler_estimated_kwh) AS sched "
            "FROM footprint_hourly WHERE site = ? GROUP BY job_key",
            params=[site],
        ).to_arrow_table()
    )
    return {r["job_key"]: r for r in df.iter_rows(named=True)}


# --- 1. host overhead, configured ------------------------------------------------------------


def test_configured_host_overhead_is_shared_by_gpus_held(fleet) -> None:
    j = per_job(fleet, "ho")["ho/1"]
    # 2 of n1's 4 GPUs for 1 h: 2 GPU-hours; GPU energy 2 × 300 W × 1 h = 600 Wh
    assert j["gpu_hours"] == pytest.approx(2.0)
    assert j["gpu"] == pytest.approx(2 * 300 * 1 / 1000)  # 0.6 kWh
    # no node power for n1: the configured 800 W × 2/4 of the host × 1 h = 400 Wh
    assert j["host"] == pytest.approx(800 * 2 / 4 * 1 / 1000)  # 0.4 kWh
    assert j["host_measured"] == 0.0
    assert j["it"] == pytest.approx(0.6 + 0.4)  # IT = GPU + host
    assert j["facility"] == pytest.approx((0.6 + 0.4) * 1.25)


def test_host_overhead_config_reaches_the_inventory(fleet) -> None:
    rows = fleet.execute("SELECT host, host_overhead_w FROM hosts ORDER BY host").fetchall()
    assert dict(rows) == {
        "e1": 0.0,
        "e2": 0.0,
        "f1": 0.0,
        "f2": 0.0,
        "n1": 800.0,
        "n2": 800.0,
        "n3": 800.0,
    }


# --- 2. host overhead, measured --------------------------------------------------------------


def test_measured_node_power_replaces_the_configured_overhead(fleet) -> None:
    j = per_job(fleet, "ho")["ho/2"]
    # node power: mean(2100, 2300) = 2200 W; the GPUs draw 4 × 300 = 1200 W → overhead 1000 W,
    # not the configured 800 W; the job holds 2/4 of the host for 1 h → 500 Wh, all measured
    overhead_w = (2100 + 2300) / 2 - 4 * 300
    assert overhead_w == 1000.0
    assert j["host"] == pytest.approx(overhead_w * 2 / 4 * 1 / 1000)  # 0.5 kWh
    assert j["host_measured"] == pytest.approx(j["host"])
    assert j["it"] == pytest.approx(0.6 + 0.5)


def test_node_power_below_gpu_power_clamps_the_overhead_at_zero(fleet) -> None:
    j = per_job(fleet, "ho")["ho/3"]
    # 1000 W node reading against 1200 W of GPUs: max(1000 − 1200, 0) = 0 W
    assert j["host"] == 0.0
    assert j["host_measured"] == 0.0
    assert j["it"] == pytest.approx(j["gpu"]) and j["gpu"] == pytest.approx(0.6)


def test_idle_takes_the_unheld_half_of_every_host_overhead(fleet) -> None:
    idle = per_job(fleet, "ho")[None]
    # the other 2 GPUs of each of n1, n2, n3 for 1 h
    assert idle["gpu_hours"] == pytest.approx(3 * 2.0)
    assert idle["gpu"] == pytest.approx(3 * 0.6)
    # n1 configured 800 × 2/4 + n2 measured 1000 × 2/4 + n3 clamped 0
    assert idle["host"] == pytest.approx((400 + 500 + 0) / 1000)
    assert idle["host_measured"] == pytest.approx(500 / 1000)
    assert idle["it"] == pytest.approx(1.8 + 0.9)


def test_host_energy_reaches_the_daily_summary(fleet) -> None:
    host, measured, it = fleet.execute(
        "SELECT sum(host_energy_kwh), sum(host_measured_kwh), sum(it_energy_kwh) "
        "FROM daily_summary WHERE site = 'ho'"
    ).fetchall()[0]
    # whole hosts for 1 h: 800 (n1) + 1000 (n2) + 0 (n3) W of overhead
    assert host == pytest.approx((800 + 1000 + 0) / 1000)
    assert measured == pytest.approx((1000 + 0) / 1000)
    assert it == pytest.approx(3 * 4 * 300 / 1000 + 1.8)  # 12 GPU-hours at 300 W + overhead


# --- 3. estimation path ----------------------------------------------------------------------


def test_host_without_telemetry_uses_the_configured_average_power(fleet) -> None:
    j = per_job(fleet, "est")["est/11"]
    # 2 GPUs × 3 h × 350 W = 2100 Wh, all from the scheduler, nothing measured
    assert j["hours"] == 3
    assert j["gpu_hours"] == pytest.approx(2 * 3)
    assert j["gpu"] == pytest.approx(2 * 3 * 350 / 1000)
    assert j["sched"] == pytest.approx(j["gpu"])
    assert j["measured"] == 0.0
    assert j["host"] == 0.0  # no server model
    per_hour = fleet.execute(
        "SELECT hour_utc, gpu_energy_kwh FROM footprint_hourly WHERE job_key = 'est/11' "
        "ORDER BY hour_utc"
    ).fetchall()
    assert per_hour == [(at(h), pytest.approx(2 * 350 / 1000)) for h in range(3)]


def test_host_without_telemetry_uses_the_power_model_at_the_phase_utilisation(fleet) -> None:
    rows = per_job(fleet, "est")
    # training: idle + (TDP − idle) × 1.0 = 100 + 300 × 1.0 = 400 W; 2 GPUs × 3 h → 2400 Wh
    assert rows["est/12"]["gpu"] == pytest.approx(2 * 3 * (100 + 300 * 1.0) / 1000)
    # inference: 100 + 300 × 0.6 = 280 W; 2 GPUs × 3 h → 1680 Wh
    assert rows["est/13"]["gpu"] == pytest.approx(2 * 3 * (100 + 300 * 0.6) / 1000)
    for key in ("est/12", "est/13"):
        assert rows[key]["sched"] == pytest.approx(rows[key]["gpu"])
        assert rows[key]["measured"] == 0.0


def test_unallocated_time_on_a_host_without_telemetry_is_not_estimated(fleet) -> None:
    # e2 has 4 GPUs, all held; e1 has 2 of 4 unheld, but a silent host may be switched off
    assert None not in per_job(fleet, "est")
    gpu_index = fleet.execute(
        "SELECT DISTINCT gpu_index FROM gpu_energy_attributed WHERE site = 'est'"
    ).fetchall()
    assert gpu_index == [(None,)]  # the scheduler does not say which GPUs


def test_gap_longer_than_the_fill_cap_is_estimated_from_the_scheduler(fleet) -> None:
    j = per_job(fleet, "gap")["gap/21"]
    # f1: samples 00:00-01:00 and 09:00-10:00 at 200 W; the 8 h gap > 6 h gives no pieces, so
    # hours 01..08 have no telemetry and take the training power model, 400 W × 1 GPU
    assert j["hours"] == 10
    assert j["measured"] == pytest.approx(2 * 200 / 1000)  # hours 00 and 09
    assert j["sched"] == pytest.approx(8 * 400 / 1000)
    assert j["gpu"] == pytest.approx((2 * 200 + 8 * 400) / 1000)
    hours = fleet.execute(
        "SELECT DISTINCT hour_utc FROM gpu_energy_intervals WHERE host = 'f1' ORDER BY 1"
    ).fetchall()
    assert hours == [(at(0),), (at(9),)]


def test_gap_below_the_fill_cap_is_filled_by_the_power_model(fleet) -> None:
    j = per_job(fleet, "gap")["gap/22"]
    # f2: the 2 h gap 01:00-03:00 is filled at idle + (TDP − idle) × mean util of the bounding
    # samples = 100 + 300 × 0.5 = 250 W (not the 200 W measured nor the 400 W training model)
    fill_w = 100 + 300 * (50 + 50) / 200
    assert fill_w == 250.0
    assert j["gpu"] == pytest.approx((2 * 200 + 2 * fill_w) / 1000)
    assert j["measured"] == pytest.approx(2 * 200 / 1000)
    assert j["sched"] == 0.0  # pieces exist: the gap fill is not the scheduler path
    sources = fleet.execute(
        "SELECT hour_utc, source, sum(energy_wh) FROM gpu_energy_intervals WHERE host = 'f2' "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert sources == [
        (at(0), "samples", pytest.approx(200.0)),
        (at(1), "estimated", pytest.approx(250.0)),
        (at(2), "estimated", pytest.approx(250.0)),
        (at(3), "samples", pytest.approx(200.0)),
    ]


def test_gap_site_has_no_idle_energy(fleet) -> None:
    # each job holds its host's only GPU whenever the host reports
    idle = per_job(fleet, "gap").get(None)
    assert idle is None or idle["gpu"] == pytest.approx(0.0, abs=1e-9)
