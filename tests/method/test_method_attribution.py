"""Job allocations and attribution of GPU energy to jobs and idle, on cases worked out by hand.

Attribution rule: a job with g of a host's G GPUs takes g/G of every GPU's energy on that host
while it runs; power is linear inside a sample interval, so a job boundary inside one is priced at
the interpolated power; what no job holds is idle (job_key NULL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.checks import energy_conservation
from pipeline.method.energy import build_gpu_energy_attributed, build_gpu_energy_intervals
from pipeline.warehouse import connect, insert_frame
from tests.frames import SAMPLE_SCHEMA, schema_of

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)

JOB_SCHEMA = schema_of(
    "raw_slurm_jobs",
    [
        "source_path",
        "line",
        "job_id",
        "step",
        "job_name",
        "user_name",
        "account",
        "partition",
        "state",
        "start_utc",
        "end_utc",
        "node_list",
        "hosts",
        "gpus",
        "comment",
    ],
)


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "telemetry": {"max_gap_s": 900.0},
            "sites": {
                "s1": {
                    "grid_zone": "Z1",
                    "timezone": "UTC",
                    "pue": 1.2,
                    "annual_gco2e_per_kwh": 300.0,
                },
            },
            "gpu_models": {
                "g": {
                    "tdp_w": 400.0,
                    "idle_w": 100.0,
                    "embodied_kg": 1000.0,
                    "lifetime_years": 4.0,
                },
            },
            "host_groups": [
                {"hosts": "q1", "site": "s1", "gpu_model": "g", "gpus": 4},
                {"hosts": "e[1-2]", "site": "s1", "gpu_model": "g", "gpus": 8},
            ],
            "phase_rules": [
                {
                    "name": "train",
                    "field": "job_name",
                    "pattern": r"^train-(?P<model>\w+)",
                    "phase": "training",
                    "model": "{model}",
                },
            ],
        }
    )


def at(hh: int, mm: int = 0, day: datetime = D1) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def samples(
    rows: list[tuple], host: str = "q1", gpu: int = 0, source: str = "smi/a.csv"
) -> pl.DataFrame:
    """rows: (ts_utc, power_w)."""
    return pl.DataFrame(
        [
            {
                "source_path": source,
                "line": i + 1,
                "host": host,
                "gpu_index": gpu,
                "ts_utc": ts,
                "power_w": p,
                "util_pct": None,
            }
            for i, (ts, p) in enumerate(rows)
        ],
        schema=SAMPLE_SCHEMA,
    )


def constant(
    host: str, watts: float, start: datetime, end: datetime, every_min: int = 5, gpu: int = 0
) -> pl.DataFrame:
    n = int((end - start).total_seconds() // (every_min * 60))
    return samples(
        [(start + timedelta(minutes=every_min * i), watts) for i in range(n + 1)],
        host=host,
        gpu=gpu,
    )


def job(
    job_id: str,
    start: datetime,
    end: datetime | None,
    hosts: list[str],
    gpus: int | None,
    source: str = "sacct/a.txt",
    line: int = 1,
    name: str = "train-atlas",
    comment: str | None = None,
) -> dict:
    return {
        "source_path": source,
        "line": line,
        "job_id": job_id,
        "step": None,
        "job_name": name,
        "user_name": "ada",
        "account": "lab",
        "partition": "gpu",
        "state": "RUNNING" if end is None else "COMPLETED",
        "start_utc": start,
        "end_utc": end,
        "node_list": ",".join(hosts),
        "hosts": hosts,
        "gpus": gpus,
        "comment": comment,
    }


def add_jobs(con, *rows: dict) -> None:
    insert_frame(con, "raw_slurm_jobs", pl.DataFrame(list(rows), schema=JOB_SCHEMA))


def build_all(con, cfg: Config, start: datetime, end: datetime) -> None:
    build_job_allocations(con, cfg, start, end)
    build_gpu_energy_intervals(con, cfg, start, end)
    build_gpu_energy_attributed(con, start, end)


def attributed(con, host: str = "q1") -> dict[str | None, tuple[float, float, float]]:
    """job_key → (energy_wh, gpu_s, measured_wh) summed over hours and GPUs of one host."""
    rows = con.execute(
        "SELECT job_key, sum(energy_wh), sum(gpu_s), sum(measured_wh) "
        "FROM gpu_energy_attributed WHERE host = ? GROUP BY job_key",
        [host],
    ).fetchall()
    return {k: (e, s, m) for k, e, s, m in rows}


def allocations(con) -> list[tuple]:
    return con.execute(
        "SELECT day, job_key, host, gpus_on_host, start_utc, end_utc "
        "FROM job_allocations ORDER BY job_key, host, day"
    ).fetchall()


@pytest.fixture
def wh_db(tmp_path: Path):
    cfg = make_config()
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        yield con, cfg


# --- attribution -----------------------------------------------------------------------------


def test_half_the_host_for_half_an_hour(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", constant("q1", 200.0, at(0), at(1)))
    add_jobs(con, job("101", at(0, 15), at(0, 45), ["q1"], 2))
    build_all(con, cfg, D1, D2)
    got = attributed(con)
    assert set(got) == {"s1/101", None}
    gpu_wh = 200 * 1.0  # one GPU at 200 W for one hour
    job_wh = 2 / 4 * 200 * 0.5  # 2 of 4 GPUs × 200 W × 0.5 h = 50 Wh
    job_gpu_s = 2 / 4 * 1800  # 900 GPU-seconds
    assert got["s1/101"][0] == pytest.approx(job_wh)
    assert got["s1/101"][1] == pytest.approx(job_gpu_s)
    assert got["s1/101"][2] == pytest.approx(job_wh)  # all from measured samples
    assert got[None][0] == pytest.approx(gpu_wh - job_wh)  # 150 Wh
    assert got[None][1] == pytest.approx(3600 - job_gpu_s)  # 2700 GPU-seconds
    assert energy_conservation(con, D1, D2).passed


def test_job_boundary_inside_a_power_ramp(wh_db) -> None:
    con, cfg = wh_db
    # one 10-minute interval ramping 100 W → 220 W; the job takes the whole host from 00:04
    insert_frame(con, "raw_gpu_samples", samples([(at(0, 0), 100.0), (at(0, 10), 220.0)]))
    add_jobs(con, job("102", at(0, 4), at(0, 30), ["q1"], None))  # no GPU count: whole node
    build_all(con, cfg, D1, D2)
    got = attributed(con)
    p_cut = 100 + (220 - 100) * 240 / 600  # 148 W at 00:04
    job_wh = 1.0 * 360 * (p_cut + 220) / 2 / 3600  # 00:04-00:10 → 18.4 Wh
    idle_wh = 240 * (100 + p_cut) / 2 / 3600  # 00:00-00:04 → 8.27 Wh
    assert job_wh == pytest.approx(18.4)
    assert got["s1/102"][0] == pytest.approx(job_wh)
    assert got["s1/102"][1] == pytest.approx(360.0)
    assert got[None][0] == pytest.approx(idle_wh)
    assert got[None][1] == pytest.approx(240.0)
    assert job_wh + idle_wh == pytest.approx(600 * (100 + 220) / 2 / 3600)
    assert energy_conservation(con, D1, D2).passed


def test_overclaimed_host_scales_the_shares(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", constant("q1", 200.0, at(0), at(1)))
    add_jobs(
        con,
        job("201", at(0), at(1), ["q1"], 4, line=1),
        job("202", at(0), at(1), ["q1"], 4, line=2),
    )
    build_all(con, cfg, D1, D2)
    got = attributed(con)
    # 8 GPUs claimed on a 4-GPU host: each job's 4/4 is scaled to 4/8
    assert got["s1/201"][0] == pytest.approx(4 / 8 * 200.0)
    assert got["s1/202"][0] == pytest.approx(4 / 8 * 200.0)
    assert got["s1/201"][1] == pytest.approx(4 / 8 * 3600)
    assert got[None][0] == pytest.approx(0.0, abs=1e-9)
    assert got[None][1] == pytest.approx(0.0, abs=1e-9)
    assert energy_conservation(con, D1, D2).passed


def test_jobs_one_after_the_other_in_one_sample_interval_are_not_scaled(wh_db) -> None:
    """Scaling is for jobs holding more than G GPUs *at once*: a job that ends inside a sample
    interval and another that starts later in it never overlap, so neither is scaled."""
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", samples([(at(0, 0), 200.0), (at(0, 10), 200.0)]))
    add_jobs(
        con,
        job("203", at(0, 0), at(0, 4), ["q1"], 4, line=1),
        job("204", at(0, 6), at(0, 10), ["q1"], 4, line=2),
    )
    build_all(con, cfg, D1, D2)
    got = attributed(con)
    assert got["s1/203"][0] == pytest.approx(240 * 200 / 3600)  # 4/4 × 4 min × 200 W
    assert got["s1/204"][0] == pytest.approx(240 * 200 / 3600)
    assert got[None][0] == pytest.approx(120 * 200 / 3600)  # 00:04-00:06 nobody
    assert got[None][1] == pytest.approx(120.0)
    assert energy_conservation(con, D1, D2).passed


def test_partial_overlap_scales_only_while_overclaimed(wh_db) -> None:
    con, cfg = wh_db
    # ramp 100 W → 300 W over 00:00-00:10; A holds 4 GPUs 00:00-00:06, B holds 2 GPUs 00:04-00:10
    insert_frame(con, "raw_gpu_samples", samples([(at(0, 0), 100.0), (at(0, 10), 300.0)]))
    add_jobs(
        con,
        job("205", at(0, 0), at(0, 6), ["q1"], 4, line=1),
        job("206", at(0, 4), at(0, 10), ["q1"], 2, line=2),
    )

    def p(s: float) -> float:
        return 100 + 200 * s / 600

    def e(s0: float, s1: float) -> float:
        return (s1 - s0) * (p(s0) + p(s1)) / 2 / 3600

    build_all(con, cfg, D1, D2)
    got = attributed(con)
    # 00:00-00:04 A alone (4/4); 00:04-00:06 both, 6 of 4 claimed (A 4/6, B 2/6);
    # 00:06-00:10 B alone (2/4), the other half idle
    a_wh = e(0, 240) + 4 / 6 * e(240, 360)
    b_wh = 2 / 6 * e(240, 360) + 2 / 4 * e(360, 600)
    idle_wh = 2 / 4 * e(360, 600)
    assert got["s1/205"][0] == pytest.approx(a_wh)
    assert got["s1/206"][0] == pytest.approx(b_wh)
    assert got[None][0] == pytest.approx(idle_wh)
    assert got["s1/205"][1] == pytest.approx(240 + 4 / 6 * 120)
    assert got["s1/206"][1] == pytest.approx(2 / 6 * 120 + 2 / 4 * 240)
    assert a_wh + b_wh + idle_wh == pytest.approx(e(0, 600))
    assert energy_conservation(con, D1, D2).passed


def test_conservation_check_fails_when_a_row_is_lost(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", constant("q1", 200.0, at(0), at(2)))
    add_jobs(con, job("301", at(0, 15), at(1, 45), ["q1"], 2))
    build_all(con, cfg, D1, D2)
    ok = energy_conservation(con, D1, D2)
    assert ok.passed and ok.checked == 2 and ok.worst_abs_diff_wh < 1e-6
    con.execute(
        "DELETE FROM gpu_energy_attributed WHERE job_key = 's1/301' AND hour_utc = ?", [at(1)]
    )
    bad = energy_conservation(con, D1, D2)
    assert not bad.passed
    assert bad.failing == 1
    # the job held 2/4 of the GPU 01:00-01:45 at 200 W
    assert bad.worst_abs_diff_wh == pytest.approx(2 / 4 * 200 * 0.75)


def test_measured_wh_excludes_estimated_pieces(wh_db) -> None:
    con, cfg = wh_db
    # 00:00-00:10 measured 200 W; 00:10-01:00 is a gap (> 900 s) filled at the mean power 200 W
    insert_frame(
        con, "raw_gpu_samples", samples([(at(0, 0), 200.0), (at(0, 10), 200.0), (at(1, 0), 200.0)])
    )
    add_jobs(con, job("401", at(0, 0), at(1, 0), ["q1"], 4))
    build_all(con, cfg, D1, D2)
    energy, gpu_s, measured = attributed(con)["s1/401"]
    assert energy == pytest.approx(200.0)
    assert gpu_s == pytest.approx(3600.0)
    assert measured == pytest.approx(600 * 200 / 3600)


# --- allocations -----------------------------------------------------------------------------


def test_job_over_two_hosts_spreads_its_gpus(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(con, job("501", at(2), at(3), ["e1", "e2"], 16))
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [
        (D1.date(), "s1/501", "e1", 16 / 2, at(2), at(3)),
        (D1.date(), "s1/501", "e2", 16 / 2, at(2), at(3)),
    ]
    insert_frame(con, "raw_gpu_samples", constant("e2", 300.0, at(2), at(3)))
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_attributed(con, D1, D2)
    got = attributed(con, "e2")
    assert got["s1/501"][0] == pytest.approx(8 / 8 * 300.0)  # 8 of 8 GPUs on e2 for 1 h
    assert None not in got or got[None][0] == pytest.approx(0.0, abs=1e-9)


def test_job_assigns_phase_model_and_rule(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(
        con,
        job("502", at(2), at(3), ["q1"], 1, name="train-atlas"),
        job(
            "503",
            at(2),
            at(3),
            ["q1"],
            1,
            name="x",
            line=2,
            comment="phase=inference,model=m2,team=t2",
        ),
    )
    build_job_allocations(con, cfg, D1, D2)
    rows = con.execute(
        "SELECT job_key, phase, model, team, phase_rule FROM job_allocations ORDER BY job_key"
    ).fetchall()
    assert rows == [
        ("s1/502", "training", "atlas", None, "rule:train"),
        ("s1/503", "inference", "m2", "t2", "tags"),
    ]


def test_running_job_holds_to_the_window_end(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(con, job("601", at(22), None, ["q1"], 4))
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [(D1.date(), "s1/601", "q1", 4.0, at(22), D2)]
    insert_frame(con, "raw_gpu_samples", constant("q1", 200.0, at(23), D2))
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_attributed(con, D1, D2)
    energy_wh, gpu_s, measured_wh = attributed(con)["s1/601"]
    assert measured_wh == pytest.approx(200.0)  # held all of 23:00-24:00, the measured hour
    # 22:00-23:00 has no telemetry: estimated from the allocation, 4 GPUs × 1 h at TDP 400 W
    # (an unclassified job takes utilisation 1.0 in the default estimation profile)
    assert energy_wh - measured_wh == pytest.approx(4 * 1 * 400.0)
    # the telemetry has GPU 0 only (1 GPU-hour held); the estimate covers the 4 allocated GPUs
    assert gpu_s == pytest.approx(1 * 3600 + 4 * 3600)


def test_job_crossing_midnight_is_in_two_days(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(con, job("701", at(22), at(2, day=D2), ["q1"], 4))
    build_job_allocations(con, cfg, D1, D3)
    expected = [
        (D1.date(), "s1/701", "q1", 4.0, at(22), D2),
        (D2.date(), "s1/701", "q1", 4.0, D2, at(2, day=D2)),
    ]
    assert allocations(con) == expected
    # the same rows from two daily windows
    build_job_allocations(con, cfg, D1, D2)
    build_job_allocations(con, cfg, D2, D3)
    assert allocations(con) == expected


def test_same_job_in_two_sacct_files_counts_once_with_its_end(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(
        con,
        job("801", at(20), None, ["q1"], 4, source="sacct/2026-01-01T21.txt"),
        job("801", at(20), at(23), ["q1"], 4, source="sacct/2026-01-02T06.txt"),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [(D1.date(), "s1/801", "q1", 4.0, at(20), at(23))]


def test_finished_job_does_not_come_back_from_a_stale_running_copy(wh_db) -> None:
    """The next day's window sees only the running copy (the finished one ends before it); it
    must not take the job as running all that day."""
    con, cfg = wh_db
    add_jobs(
        con,
        job("802", at(20), None, ["q1"], 4, source="sacct/2026-01-01T21.txt"),
        job("802", at(20), at(23), ["q1"], 4, source="sacct/2026-01-02T06.txt"),
    )
    build_job_allocations(con, cfg, D1, D3)
    assert allocations(con) == [(D1.date(), "s1/802", "q1", 4.0, at(20), at(23))]
    build_job_allocations(con, cfg, D2, D3)
    assert allocations(con) == [(D1.date(), "s1/802", "q1", 4.0, at(20), at(23))]


def test_running_copy_of_a_requeued_job_still_holds(wh_db) -> None:
    """An earlier run of the same job id that ended before this run started does not make the
    running copy stale."""
    con, cfg = wh_db
    add_jobs(
        con,
        job("803", at(1), at(2), ["q1"], 4, source="sacct/a.txt"),
        job("803", at(20), None, ["q1"], 4, source="sacct/b.txt"),
    )
    build_job_allocations(con, cfg, D2, D3)
    assert allocations(con) == [(D2.date(), "s1/803", "q1", 4.0, D2, D3)]


def test_host_not_in_inventory_is_skipped(wh_db) -> None:
    con, cfg = wh_db
    add_jobs(con, job("901", at(2), at(3), ["q1", "stranger"], 2))
    build_job_allocations(con, cfg, D1, D2)
    # 2 GPUs over 2 nodes: 1 on q1; the unknown node is dropped, its share not moved to q1
    assert allocations(con) == [(D1.date(), "s1/901", "q1", 1.0, at(2), at(3))]


def test_rerun_is_idempotent(wh_db) -> None:
    con, cfg = wh_db
    insert_frame(con, "raw_gpu_samples", constant("q1", 200.0, at(0), at(2)))
    add_jobs(con, job("1001", at(0, 15), at(1, 45), ["q1"], 2))
    build_all(con, cfg, D1, D2)
    q = "SELECT * FROM gpu_energy_attributed ORDER BY hour_utc, job_key NULLS LAST"
    first, first_alloc = con.execute(q).fetchall(), allocations(con)
    build_all(con, cfg, D1, D2)
    assert con.execute(q).fetchall() == first
    assert allocations(con) == first_alloc
    assert len(first) == 4  # 2 hours × (job, idle)
