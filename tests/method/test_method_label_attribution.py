"""Attribution by the telemetry's workload label (sql/method/insert_gpu_energy_attributed.sql).

Rule: a piece labelled with a job that has an allocation (job_id = label) on the same host
overlapping it goes wholly to that job; while it does, that job and that GPU leave the GPU-count
share path on the host, so the remaining jobs share the remaining (unlabelled) GPUs:
share = g / max(G - L, Σg), G the host's GPUs, L the labelled GPUs then, Σg the remaining jobs'
GPUs. A label with no such allocation takes the share path as if unlabelled.

Fleet: q1 (4 GPUs) and q2 (2 GPUs), site s1. GPUs draw a constant power sampled every 5 minutes
(so a GPU at P W for an hour is P Wh); every expected value is worked out in the test.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.checks import energy_conservation
from pipeline.method.energy import build_gpu_energy_attributed, build_gpu_energy_intervals
from pipeline.warehouse import connect, insert_frame, schema_files, sql
from tests.frames import ALLOCATION_SCHEMA, JOB_SCHEMA, schema_of

D1 = datetime(2026, 3, 2)
D2 = D1 + timedelta(days=1)

SAMPLE_SCHEMA = schema_of(
    "raw_gpu_samples",
    [
        "source_path",
        "line",
        "host",
        "gpu_index",
        "ts_utc",
        "power_w",
        "util_pct",
        "energy_mj",
        "workload",
    ],
)


def make_config() -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-03-01",
            "telemetry": {"max_gap_s": 900.0},
            "sites": {
                "s1": {"grid_zone": "Z1", "timezone": "UTC", "annual_gco2e_per_kwh": 300.0},
            },
            "gpu_models": {"g": {"tdp_w": 400.0, "idle_w": 100.0}},
            "host_groups": [
                {"hosts": "q1", "site": "s1", "gpu_model": "g", "gpus": 4},
                {"hosts": "q2", "site": "s1", "gpu_model": "g", "gpus": 2},
            ],
            "phase_rules": [],
        }
    )


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return D1 + timedelta(hours=hh, minutes=mm, seconds=ss)


def series(
    host: str,
    gpu: int,
    watts: float,
    start: datetime,
    end: datetime,
    label: Callable[[datetime], str | None] | str | None = None,
    every_s: int = 300,
) -> pl.DataFrame:
    """Samples of constant power from start to end inclusive; label: the workload of each sample
    (a constant, or a function of its time)."""
    n = int((end - start).total_seconds() // every_s)
    times = [start + timedelta(seconds=every_s * i) for i in range(n + 1)]
    return pl.DataFrame(
        [
            {
                "source_path": f"dcgm/{host}.prom",
                "line": 1000 * gpu + i + 1,
                "host": host,
                "gpu_index": gpu,
                "ts_utc": t,
                "power_w": watts,
                "util_pct": None,
                "energy_mj": None,
                "workload": label(t) if callable(label) else label,
            }
            for i, t in enumerate(times)
        ],
        schema=SAMPLE_SCHEMA,
    )


def allocation(
    job_id: str, host: str, gpus: float, start: datetime, end: datetime
) -> dict[str, object]:
    return {
        "day": start.date(),
        "job_key": f"s1/{job_id}",
        "job_id": job_id,
        "site": "s1",
        "host": host,
        "gpus_on_host": gpus,
        "start_utc": start,
        "end_utc": end,
        "phase": "training",
        "model": None,
        "team": None,
        "phase_rule": "test",
    }


@pytest.fixture
def wh_db(tmp_path: Path):
    cfg = make_config()
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        yield con, cfg


def run(con, cfg, telemetry: list[pl.DataFrame], allocs: list[dict] | None = None) -> None:
    insert_frame(con, "raw_gpu_samples", pl.concat(telemetry))
    if allocs is not None:
        insert_frame(con, "job_allocations", pl.DataFrame(allocs, schema=ALLOCATION_SCHEMA))
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_attributed(con, D1, D2)
    assert energy_conservation(con, D1, D2).passed


def by_job(con, host: str = "q1") -> dict[str | None, tuple[float, float]]:
    """job_key → (energy_wh, gpu_s) over the host's GPUs and hours."""
    rows = con.execute(
        "SELECT job_key, sum(energy_wh), sum(gpu_s) FROM gpu_energy_attributed "
        "WHERE host = ? GROUP BY job_key",
        [host],
    ).fetchall()
    return {k: (e, s) for k, e, s in rows}


def by_gpu_job(con, host: str = "q1") -> dict[tuple[int, str | None], float]:
    rows = con.execute(
        "SELECT gpu_index, job_key, sum(energy_wh) FROM gpu_energy_attributed "
        "WHERE host = ? GROUP BY ALL",
        [host],
    ).fetchall()
    return {(g, k): e for g, k, e in rows}


def test_labelled_gpus_go_to_their_job_and_the_co_tenant_shares_the_rest(wh_db) -> None:
    """Slurm job 4211 (2 GPUs) is labelled on GPUs 0 and 1 (200 W); job 4212 (2 GPUs, no label)
    runs beside it; GPUs 2 and 3 (100 W) are unlabelled. Allocations come from sacct here, so
    the label is spelled as the allocation's job_id."""
    con, cfg = wh_db
    telemetry = [
        series("q1", 0, 200.0, at(10), at(11), "4211"),
        series("q1", 1, 200.0, at(10), at(11), "4211"),
        series("q1", 2, 100.0, at(10), at(11)),
        series("q1", 3, 100.0, at(10), at(11)),
    ]
    jobs = [
        {
            "source_path": "sacct.txt",
            "line": i + 1,
            "job_id": jid,
            "step": None,
            "job_name": "x",
            "start_utc": at(10),
            "end_utc": at(11),
            "hosts": ["q1"],
            "gpus": 2,
            "comment": None,
        }
        for i, jid in enumerate(["4211", "4212"])
    ]
    insert_frame(con, "raw_slurm_jobs", pl.DataFrame(jobs, schema=JOB_SCHEMA))
    build_job_allocations(con, cfg, D1, D2)
    run(con, cfg, telemetry)
    got = by_job(con)
    # 4211: GPUs 0 and 1 whole: 2 × 200 W × 1 h = 400 Wh, 7200 GPU-s
    assert got["s1/4211"] == (pytest.approx(400.0), pytest.approx(7200.0))
    # 4212 shares GPUs 2 and 3 by 2 / max(4 - 2 labelled, 2) = 1: 2 × 100 Wh = 200 Wh. (Without
    # the labels each job would take 2/4 of every GPU: 300 Wh each.)
    assert got["s1/4212"] == (pytest.approx(200.0), pytest.approx(7200.0))
    # nothing idle: 4 GPUs, 4 held
    assert got.get(None, (0.0, 0.0)) == (pytest.approx(0.0, abs=1e-9), pytest.approx(0.0, abs=1e-9))
    per_gpu = by_gpu_job(con)
    assert per_gpu[(0, "s1/4211")] == pytest.approx(200.0)
    assert (0, "s1/4212") not in per_gpu and (2, "s1/4211") not in per_gpu
    assert per_gpu[(2, "s1/4212")] == pytest.approx(100.0)


def test_co_tenant_with_fewer_gpus_leaves_the_rest_idle(wh_db) -> None:
    con, cfg = wh_db
    telemetry = [
        series("q1", 0, 200.0, at(10), at(11), "4211"),
        series("q1", 1, 200.0, at(10), at(11), "4211"),
        series("q1", 2, 100.0, at(10), at(11)),
        series("q1", 3, 100.0, at(10), at(11)),
    ]
    allocs = [
        allocation("4211", "q1", 2.0, at(10), at(11)),
        allocation("4212", "q1", 1.0, at(10), at(11)),
    ]
    run(con, cfg, telemetry, allocs)
    got = by_job(con)
    assert got["s1/4211"] == (pytest.approx(400.0), pytest.approx(7200.0))
    # 4212 holds 1 of the 2 unlabelled GPUs: 1/2 of GPU 2 and of GPU 3 = 50 + 50 Wh, 3600 GPU-s
    assert got["s1/4212"] == (pytest.approx(100.0), pytest.approx(3600.0))
    # the other unlabelled GPU's worth is idle: 100 Wh, 3600 GPU-s
    assert got[None] == (pytest.approx(100.0), pytest.approx(3600.0))


def test_label_without_an_overlapping_allocation_takes_the_share_path(wh_db) -> None:
    """GPU 3 says '4213', whose only allocation is on q2; GPU 2 says 'ghost', which has none;
    GPU 1 says '4211' an hour after 4211 ended. All three are shared as if unlabelled."""
    con, cfg = wh_db
    telemetry = [
        series("q1", 0, 200.0, at(10), at(11), "4211"),
        series("q1", 1, 200.0, at(10), at(12), "4211"),
        series("q1", 2, 100.0, at(10), at(11), "ghost"),
        series("q1", 3, 100.0, at(10), at(11), "4213"),
    ]
    allocs = [
        allocation("4211", "q1", 2.0, at(10), at(11)),
        allocation("4212", "q1", 2.0, at(10), at(11)),
        allocation("4213", "q2", 2.0, at(10), at(11)),
    ]
    run(con, cfg, telemetry, allocs)
    got = by_job(con)
    # 10:00-11:00: 4211 takes GPUs 0 and 1 (400 Wh); GPUs 2 and 3 are on the share path, where
    # L = 2 labelled GPUs, so 4212 takes 2 / max(4 - 2, 2) = all of them: 200 Wh
    assert got["s1/4211"] == (pytest.approx(400.0), pytest.approx(7200.0))
    assert got["s1/4212"] == (pytest.approx(200.0), pytest.approx(7200.0))
    # 11:00-12:00: GPU 1 still says 4211 but no allocation overlaps: idle, 200 Wh
    assert got[None] == (pytest.approx(200.0), pytest.approx(3600.0))
    assert "s1/4213" not in got  # its allocation on q2 does not claim q1's GPU
    assert by_gpu_job(con)[(1, None)] == pytest.approx(200.0)


def test_a_job_leaves_the_share_path_only_while_it_is_labelled(wh_db) -> None:
    """4211's samples are labelled 10:00-10:25 and unlabelled from 10:30 (pieces take their
    starting sample's label), though it holds 2 GPUs all hour beside 4212 (2 GPUs)."""
    con, cfg = wh_db

    def label(t: datetime) -> str | None:
        return "4211" if t < at(10, 30) else None

    telemetry = [
        series("q1", 0, 200.0, at(10), at(11), label),
        series("q1", 1, 200.0, at(10), at(11), label),
        series("q1", 2, 100.0, at(10), at(11)),
        series("q1", 3, 100.0, at(10), at(11)),
    ]
    allocs = [
        allocation("4211", "q1", 2.0, at(10), at(11)),
        allocation("4212", "q1", 2.0, at(10), at(11)),
    ]
    run(con, cfg, telemetry, allocs)
    got = by_job(con)
    # 10:00-10:30: 4211 gets GPUs 0, 1 = 2 × 200 W × 0.5 h = 200 Wh; 4212 gets GPUs 2, 3 = 100 Wh
    # 10:30-11:00: shared 2/4 each of (200 + 200 + 100 + 100) W × 0.5 h = 300 Wh → 150 Wh each
    assert got["s1/4211"] == (pytest.approx(200.0 + 150.0), pytest.approx(3600.0 + 3600.0))
    assert got["s1/4212"] == (pytest.approx(100.0 + 150.0), pytest.approx(3600.0 + 3600.0))


def test_a_labelled_piece_goes_wholly_to_its_job_past_the_allocation_end(wh_db) -> None:
    """GPU 0 (200 W) is labelled 4211 on every sample up to 10:30; 4211's allocation ends at
    10:32:30, inside the 10:30-10:35 piece. The label is the evidence: the whole piece is 4211's."""
    con, cfg = wh_db
    telemetry = [
        series("q1", 0, 200.0, at(10), at(11), lambda t: "4211" if t <= at(10, 30) else None)
    ]
    run(con, cfg, telemetry, [allocation("4211", "q1", 2.0, at(10), at(10, 32, 30))])
    got = by_job(con)
    # 10:00-10:35: 35 min × 200 W = 116.67 Wh; 10:35-11:00 unlabelled and nobody holds q1: idle
    assert got["s1/4211"] == (pytest.approx(35 * 60 * 200 / 3600), pytest.approx(2100.0))
    assert got[None] == (pytest.approx(25 * 60 * 200 / 3600), pytest.approx(1500.0))


def test_labelled_time_on_another_gpu_cuts_a_shared_piece(wh_db) -> None:
    """q2 has 2 GPUs; 31 and 32 each hold 1 all hour. GPU 0 (200 W) is sampled at 10:00, 10:05,
    10:10, labelled 31 at 10:00 and 10:05 (pieces 10:00-10:10 are 31's). GPU 1 (300 W, no label) is
    sampled at 10:02:30, 10:07:30, 10:12:30, so its second piece straddles the end of 31's
    labelled time at 10:10."""
    con, cfg = wh_db
    telemetry = [
        series("q2", 0, 200.0, at(10), at(10, 10), lambda t: "31" if t < at(10, 10) else None),
        series("q2", 1, 300.0, at(10, 2, 30), at(10, 12, 30)),
    ]
    allocs = [
        allocation("31", "q2", 1.0, at(10), at(11)),
        allocation("32", "q2", 1.0, at(10), at(11)),
    ]
    run(con, cfg, telemetry, allocs)
    got = by_job(con, "q2")
    # GPU 0, 10:00-10:10 → 31: 600 s × 200 W = 33.33 Wh
    # GPU 1, 10:02:30-10:07:30: 31 labelled on GPU 0 → 32 takes 1 / max(2 - 1, 1) = all:
    #   300 s × 300 W = 25 Wh
    # GPU 1, 10:07:30-10:10:00: the same → 32: 150 s × 300 W = 12.5 Wh
    # GPU 1, 10:10:00-10:12:30: no label → 31 and 32 take 1/2 each: 150 s × 300 W / 2 = 6.25 Wh
    gpu0_wh = 600 * 200 / 3600
    assert got["s1/31"] == (
        pytest.approx(gpu0_wh + 6.25),
        pytest.approx(600 + 75.0),
    )
    assert got["s1/32"] == (pytest.approx(25.0 + 12.5 + 6.25), pytest.approx(300 + 150 + 75.0))
    assert got.get(None, (0.0, 0.0))[0] == pytest.approx(0.0, abs=1e-9)


def test_kubernetes_pod_label_with_counter_energy(wh_db) -> None:
    """A pod's GPU reports only the energy counter and its pod label '<namespace>/<pod>'; the
    pod's allocation (job_id the same spelling) gets the counter energy, counted as measured."""
    con, cfg = wh_db
    pod = "serving/llama-7b-0"
    # 10:00 → 10:10, +1.08e8 mJ = 1.08e5 J = 30 Wh (180 W)
    telemetry = pl.DataFrame(
        [
            {
                "source_path": "dcgm/q2.prom",
                "line": i + 1,
                "host": "q2",
                "gpu_index": 0,
                "ts_utc": t,
                "power_w": None,
                "util_pct": None,
                "energy_mj": e,
                "workload": pod,
            }
            for i, (t, e) in enumerate([(at(10), 4.0e9), (at(10, 10), 4.0e9 + 1.08e8)])
        ],
        schema=SAMPLE_SCHEMA,
    )
    run(con, cfg, [telemetry], [allocation(pod, "q2", 1.0, at(10), at(10, 30))])
    rows = con.execute(
        "SELECT job_key, energy_wh, gpu_s, measured_wh FROM gpu_energy_attributed"
    ).fetchall()
    assert rows == [(f"s1/{pod}", pytest.approx(30.0), pytest.approx(600.0), pytest.approx(30.0))]


def test_rerun_is_bit_identical(wh_db) -> None:
    con, cfg = wh_db

    def label(t: datetime) -> str | None:
        return "4211" if t.minute % 20 < 10 else None

    telemetry = [
        series("q1", 0, 217.3, at(10), at(12), label, every_s=70),
        series("q1", 1, 191.9, at(10), at(12), label, every_s=45),
        series("q1", 2, 113.1, at(10), at(12), every_s=60),
    ]
    allocs = [
        allocation("4211", "q1", 2.0, at(10, 3), at(11, 41)),
        allocation("4212", "q1", 1.5, at(10, 17), at(12)),
        allocation("4214", "q1", 3.0, at(11), at(11, 30)),
    ]
    run(con, cfg, telemetry, allocs)
    query = "SELECT * FROM gpu_energy_attributed ORDER BY hour_utc, gpu_index, job_key"
    first = con.execute(query).fetchall()
    build_gpu_energy_attributed(con, D1, D2)
    assert con.execute(query).fetchall() == first
    assert energy_conservation(con, D1, D2).passed
    # nothing is attributed twice: the GPU-seconds of the rows with a GPU add up to the pieces'
    # seconds; and every job and idle get some
    (pieces_s,) = con.execute("SELECT sum(covered_s) FROM gpu_energy_intervals").fetchone()
    (rows_s,) = con.execute(
        "SELECT sum(gpu_s) FROM gpu_energy_attributed WHERE gpu_index IS NOT NULL"
    ).fetchone()
    assert rows_s == pytest.approx(pieces_s)
    assert {r[4] for r in first} >= {"s1/4211", "s1/4212", "s1/4214", None}


# --- random fleets ----------------------------------------------------------------------------

JOBS = ("a", "b", "c")


@st.composite
def fleets(draw: st.DrawFn) -> dict:
    """One 4-GPU host, 10:00-12:00: per GPU, samples at random (misaligned) times with random
    labels (a job, a label no allocation has, or none), power and sometimes a counter; up to three
    allocations with random GPU counts (over-claiming included) and spans."""
    gpus = []
    for _ in range(draw(st.integers(1, 4))):
        offsets = sorted(draw(st.sets(st.integers(0, 7200), min_size=2, max_size=12)))
        rows = []
        counter = draw(st.floats(0, 1e10))
        for t in offsets:
            counter += draw(st.floats(0, 2e8))
            rows.append(
                (
                    at(10) + timedelta(seconds=t),
                    draw(st.floats(50, 400)),
                    counter if draw(st.booleans()) else None,
                    draw(st.sampled_from([*JOBS, "ghost", None, None])),
                )
            )
        gpus.append(rows)
    allocs = []
    for job in JOBS[: draw(st.integers(0, 3))]:
        s = draw(st.integers(0, 7000))
        e = draw(st.integers(s + 1, 7200))
        allocs.append(
            allocation(
                job,
                "q1",
                float(draw(st.sampled_from([0.5, 1, 2, 4]))),
                at(10) + timedelta(seconds=s),
                at(10) + timedelta(seconds=e),
            )
        )
    return {"gpus": gpus, "allocs": allocs}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_random_labelled_fleets_conserve_energy_and_never_attribute_twice(fleet: dict) -> None:
    cfg = make_config()
    # a warehouse file (in a fresh folder per example): the telemetry lake lives beside it
    folder = tempfile.TemporaryDirectory()
    con = duckdb.connect(f"{folder.name}/w.duckdb")
    try:
        for name in schema_files():
            con.execute(sql(name))
        load_inventory(con, cfg)
        telemetry = pl.DataFrame(
            [
                {
                    "source_path": "dcgm/q1.prom",
                    "line": 100 * gpu + i + 1,
                    "host": "q1",
                    "gpu_index": gpu,
                    "ts_utc": t,
                    "power_w": p,
                    "util_pct": None,
                    "energy_mj": e,
                    "workload": w,
                }
                for gpu, rows in enumerate(fleet["gpus"])
                for i, (t, p, e, w) in enumerate(rows)
            ],
            schema=SAMPLE_SCHEMA,
        )
        run(con, cfg, [telemetry], fleet["allocs"])
        # per piece, the energy attributed (jobs + idle) and its GPU-seconds equal the piece's
        # (conservation per GPU-hour is checked in run()); no row is negative, so no job took
        # more than the GPU had
        (worst,) = con.execute(
            "SELECT coalesce(min(energy_wh), 0) FROM gpu_energy_attributed"
        ).fetchone()
        assert worst >= -1e-9
        (neg_s,) = con.execute(
            "SELECT coalesce(min(gpu_s), 0) FROM gpu_energy_attributed"
        ).fetchone()
        assert neg_s >= -1e-6
        pieces_s, rows_s = con.execute(
            "SELECT (SELECT coalesce(sum(covered_s), 0) "
            "        FROM gpu_energy_intervals), "
            "       (SELECT coalesce(sum(gpu_s), 0) FROM gpu_energy_attributed "
            "        WHERE gpu_index IS NOT NULL)"
        ).fetchone()
        assert rows_s == pytest.approx(pieces_s, abs=1e-6)
        # a labelled piece whose job holds the host then is that job's, whole: every such piece's
        # energy, per GPU and job, is at most what the job received on that GPU
        short = con.execute(
            """
            WITH lab AS (
                SELECT p.gpu_index, a.job_key, sum(p.energy_wh) AS wh
                FROM gpu_energy_intervals AS p
                JOIN job_allocations AS a
                  ON a.host = p.host AND a.job_id = p.workload
                 AND a.start_utc < p.end_utc AND a.end_utc > p.start_utc
                GROUP BY ALL
            )
            SELECT count(*) FROM lab
            LEFT JOIN (SELECT gpu_index, job_key, sum(energy_wh) AS wh
                       FROM gpu_energy_attributed GROUP BY ALL) AS g USING (gpu_index, job_key)
            WHERE coalesce(g.wh, 0) < lab.wh - 1e-9
            """
        ).fetchone()[0]
        assert short == 0
    finally:
        con.close()
        folder.cleanup()
