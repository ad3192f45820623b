"""Per-prompt figures on a tiny real warehouse, every expected figure worked out by hand.

Site s1, 2026-10-01 (PUE 1.25, 200 gCO2e/kWh location, 100 market, water 2 L/kWh of facility):
- 05:00 inference (atlas-7b, job s1/1): 1 GPU-h, GPU 0.3 kWh + host 0.1 = IT 0.4, facility 0.5;
- 06:00 training (job s1/2): 3 GPU-h (it only takes its share of the idle capacity);
- 08:00 inference (atlas-7b): 1 GPU-h, GPU 0.2 + host 0.05 = IT 0.25, facility 0.3125;
- 05:00 idle: IT 0.08, facility 0.1. The full boundary spreads it over the day's 5 allocated
  GPU-hours: 1/5 to each inference hour → idle IT 0.016, idle facility 0.02 kWh.
Hour 05 at the full boundary: accelerator 300 Wh, host 100, idle 16, overhead (0.5 − 0.4 +
0.02 − 0.016) = 104 Wh; 520 Wh in all. Five requests share it by input + output tokens:
weights 150, 300, 75, 600, 225 (total 1350).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.disclosure import figures
from pipeline.disclosure.prompts_section import per_prompt, served_requests
from pipeline.method.energy import build_daily_summary
from pipeline.method.prompts import nearest_rank
from pipeline.warehouse import connect, frame, insert_frame
from tests.frames import schema_of

DAY = date(2026, 10, 1)
P = {"start_day": DAY, "end_day": DAY}
MODEL = "atlas-7b"
WEIGHTS = [150, 300, 75, 600, 225]  # input + output of the five requests below
TOKENS = [(100, 50), (200, 100), (50, 25), (400, 200), (150, 75)]
HOUR_WH = 520.0


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, 1, hour, minute)


def footprint(hour: int, job: str | None, gpu_h: float, gpu: float, host: float) -> dict:
    it = gpu + host
    fac = it * 1.25
    zero = dict.fromkeys(_all_columns("footprint_hourly"), 0.0)
    return zero | {
        "hour_utc": at(hour),
        "site": "s1",
        "job_key": job,
        "gpu_hours": gpu_h,
        "gpu_energy_kwh": gpu,
        "host_energy_kwh": host,
        "it_energy_kwh": it,
        "measured_kwh": gpu,
        "pue": 1.25,
        "facility_energy_kwh": fac,
        "gco2e_per_kwh": 200.0,
        "intensity_source": "hourly",
        "co2e_kg_location": fac * 0.2,
        "market_basis": "residual",
        "co2e_kg_market": fac * 0.1,
        "co2e_kg_market_residual": fac * 0.1,
        "grid_cfe_pct": None,
        "water_onsite_l": fac * 2,
        "water_l": fac * 2,
    }


def _all_columns(table: str) -> list[str]:
    from tests.frames import _tables

    return [r[0] for r in _tables().execute(f"DESCRIBE {table}").fetchall()]


def allocation(job: str, phase: str, hour: int, model: str | None) -> dict:
    return {
        "day": DAY,
        "job_key": job,
        "job_id": job.split("/")[1],
        "site": "s1",
        "host": "gpu-01",
        "gpus_on_host": 1.0,
        "start_utc": at(hour),
        "end_utc": at(hour + 1),
        "job_name": job,
        "user_name": None,
        "account": None,
        "partition": None,
        "state": "COMPLETED",
        "phase": phase,
        "model": model,
        "team": "ml",
        "phase_rule": "test",
    }


def request(minute: int, tokens: tuple[int, int], energy_wh: float | None, hour: int = 5) -> dict:
    return {
        "source_path": "requests/gateway.jsonl",
        "line": hour * 100 + minute,
        "ts_utc": at(hour, minute),
        "model": MODEL,
        "deployment": None,
        "request_id": None,
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "latency_s": 1.0,
        "energy_wh": energy_wh,
    }


def table(name: str, rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema_of(name, _all_columns(name)))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prompts") / "w.duckdb"
    with connect(path) as con:
        foot = [
            footprint(5, "s1/1", 1.0, 0.3, 0.1),
            footprint(6, "s1/2", 3.0, 0.9, 0.3),
            footprint(8, "s1/3", 1.0, 0.2, 0.05),
            footprint(5, None, 1.0, 0.06, 0.02),
        ]
        insert_frame(con, "footprint_hourly", table("footprint_hourly", foot))
        allocs = [
            allocation("s1/1", "inference", 5, MODEL),
            allocation("s1/2", "training", 6, MODEL),
            allocation("s1/3", "inference", 8, MODEL),
        ]
        insert_frame(con, "job_allocations", table("job_allocations", allocs))
        build_daily_summary(con, at(0), datetime(2026, 10, 2))
        energy = [80.0, None, 90.0, 100.0, None]  # measured by the server for three
        logged = [request(7 * i, t, e) for i, (t, e) in enumerate(zip(TOKENS, energy, strict=True))]
        logged.append(request(30, (10, 10), None, hour=7))  # no serving energy at 07:00
        insert_frame(con, "raw_requests", table("raw_requests", logged))
        serving = [
            {
                "source_path": "s.csv",
                "line": 2,
                "hour_utc": at(5),
                "model": MODEL,
                "deployment": None,
                "requests": 999,
                "input_tokens": None,
                "output_tokens": 7,
            },
            {
                "source_path": "s.csv",
                "line": 3,
                "hour_utc": at(9),
                "model": MODEL,
                "deployment": None,
                "requests": 10,
                "input_tokens": None,
                "output_tokens": 70,
            },
        ]
        insert_frame(con, "raw_serving", table("raw_serving", serving))
    return path


def test_median_p10_p90_and_boundary_shares_by_hand(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        pd = figures.period_data(con, DAY, DAY)
        f = per_prompt(con, pd.df, pd.costs, P, 1.0)[MODEL]
    wh = {w: HOUR_WH * w / 1350 for w in WEIGHTS}
    assert f.requests == 5
    # nearest rank over 5 sorted weights 75,150,225,300,600: P10 rank 1, median 3, P90 5
    assert f.wh.p10 == pytest.approx(wh[75])  # 28.89 Wh
    assert f.wh.median == pytest.approx(wh[225])  # 86.67 Wh
    assert f.wh.p90 == pytest.approx(wh[600])  # 231.11 Wh
    assert f.wh.mean == pytest.approx(HOUR_WH / 5)  # 104 Wh
    # carbon and water: hour 05 own 0.1 kg location + idle 0.02/5; 0.05 + 0.01/5 market;
    # 1.0 L + 0.2/5 L water
    assert f.gco2e_location.median == pytest.approx(104.0 * 225 / 1350)
    assert f.gco2e_market.median == pytest.approx(52.0 * 225 / 1350)
    assert f.water_ml.median == pytest.approx(1040.0 * 225 / 1350)
    # the median prompt (weight 225, 1/6 of the hour): 300, 100, 16, 104 Wh over 6
    b = f.median_breakdown
    assert (b.accelerator_wh, b.host_wh, b.idle_wh, b.facility_overhead_wh) == pytest.approx(
        (50.0, 100 / 6, 16 / 6, 104 / 6)
    )
    s = f.median_shares
    assert (s.accelerator_pct, s.host_pct, s.idle_pct, s.facility_overhead_pct) == pytest.approx(
        (100 * 300 / 520, 100 * 100 / 520, 100 * 16 / 520, 100 * 104 / 520)
    )
    assert f.measured_requests == 3 and f.measured_median_wh == 90.0
    assert (f.hours_with_requests, f.hours_without_requests) == (1, 1)
    assert f.energy_kwh_without_requests == pytest.approx(0.3125 + 0.02)  # hour 08
    assert f.requests_without_energy == 1  # the one at 07:30


def test_lower_input_weight_moves_the_shares(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        pd = figures.period_data(con, DAY, DAY)
        f = per_prompt(con, pd.df, pd.costs, P, 0.0)[MODEL]
    # only output tokens count: 50, 100, 25, 200, 75 (total 450); median rank 3 → 75
    assert f.wh.median == pytest.approx(HOUR_WH * 75 / 450)
    assert f.input_token_weight == 0.0


def test_requests_add_up_to_the_full_boundary_inference_total(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        pd = figures.period_data(con, DAY, DAY)
        f = per_prompt(con, pd.df, pd.costs, P, 1.0)[MODEL]
    inference = pd.df.filter(pl.col("phase") == "inference")
    total_kwh = float(inference["full_facility_energy_kwh"].sum())
    assert total_kwh == pytest.approx(0.5 + 0.3125 + 0.1 * 2 / 5)
    # hours with requests (all 5 requests) + hours without = the report's inference total
    assert f.wh.mean * f.requests / 1000 + f.energy_kwh_without_requests == pytest.approx(total_kwh)


def test_a_logged_model_hour_takes_its_count_from_the_log_not_raw_serving(
    warehouse: Path,
) -> None:
    with connect(warehouse, read_only=True) as con:
        served = served_requests(con, DAY, DAY).row(0, named=True)
        history = served_requests(con, None, DAY).row(0, named=True)
        daily = frame(con, "select_serving_daily", {"start_day": DAY, "end_day": DAY})
    # hour 05: 5 logged (raw_serving's 999 ignored); hour 07: 1 logged; hour 09: 10 from stats
    assert served["requests"] == 16
    assert served["output_tokens"] == 50 + 100 + 25 + 200 + 75 + 10 + 70
    assert daily["requests"].to_list() == [16]
    assert history == served


def test_nearest_rank_is_always_a_served_value() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 9.0]
    assert nearest_rank(values, 50) == 3.0  # rank ⌈3⌉ = 3, not the interpolated 3.5
    assert nearest_rank(values, 10) == 1.0
    assert nearest_rank(values, 90) == 9.0  # rank ⌈5.4⌉ = 6
    assert nearest_rank([7.0], 10) == 7.0


def test_every_figure_of_every_served_hour_lands_on_its_requests() -> None:
    """The sums-to-total property over many model-hours, costs included: per model, the requests'
    figures add up to the hours that have requests, whatever the tokens (zeros included)."""
    import random

    from pipeline.method import prompts

    rng = random.Random(20)
    hours = pl.DataFrame(
        [
            {
                "hour_utc": at(h),
                "model": m,
                "accelerator_kwh": rng.random(),
                "host_kwh": rng.random() / 4,
                "idle_kwh": rng.random() / 10,
                "overhead_kwh": rng.random() / 5,
                "co2e_kg_location": rng.random(),
                "co2e_kg_market": rng.random(),
                "water_l": rng.random(),
            }
            for h in range(12)
            for m in ("a", "b")
        ]
    ).with_columns(
        energy_kwh=pl.sum_horizontal("accelerator_kwh", "host_kwh", "idle_kwh", "overhead_kwh")
    )
    hours = prompts.with_cost(hours, {"a": 12.0, "b": 3.0})
    reqs = pl.DataFrame(
        [
            {
                "hour_utc": at(h),
                "model": m,
                "input_tokens": rng.choice([0, 3, 500]),
                "output_tokens": rng.choice([0, 7, 90]),
                "energy_wh": None,
            }
            for h in range(0, 12, 2)
            for m in ("a", "b")
            for _ in range(rng.randint(1, 6))
        ]
    )
    a = prompts.apportion(hours, reqs, 0.3)
    logged = hours.join(reqs.select("hour_utc", "model").unique(), on=["hour_utc", "model"])
    for model in ("a", "b"):
        got = a.requests.filter(pl.col("model") == model)
        want = logged.filter(pl.col("model") == model)
        for key, (col, factor) in prompts.PER_REQUEST.items():
            assert got[key].sum() == pytest.approx(want[col].sum() * factor), (model, key)
    assert hours["cost_usd"].sum() == pytest.approx(15.0)
    assert a.hours_without_requests["hours"].to_list() == [6, 6]


def test_requests_of_a_model_without_serving_energy_are_counted_not_dropped() -> None:
    from pipeline.disclosure.prompts_section import figures
    from pipeline.method import prompts

    hours = pl.DataFrame(
        {"hour_utc": [at(5)], "model": ["a"], "accelerator_kwh": [0.3], "host_kwh": [0.1],
         "idle_kwh": [0.0], "overhead_kwh": [0.1], "energy_kwh": [0.5],
         "co2e_kg_location": [0.1], "co2e_kg_market": [0.05], "water_l": [1.0]}
    )  # fmt: skip
    reqs = pl.DataFrame(
        {"hour_utc": [at(5), at(5)], "model": ["b", "b"], "input_tokens": [1, 2],
         "output_tokens": [3, 4], "energy_wh": [None, 0.7]}
    )  # fmt: skip
    f = figures(prompts.with_cost(hours, {}), reqs, 1.0)
    assert list(f) == ["b"]  # model a logged nothing: no per-prompt figures
    b = f["b"]
    assert (b.requests, b.requests_without_energy, b.wh, b.median_breakdown) == (0, 2, None, None)
    assert (b.measured_requests, b.measured_median_wh) == (1, 0.7)
