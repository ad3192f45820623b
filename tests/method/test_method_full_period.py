"""Period-level method steps on hand-built frames: annual instruments, the full-boundary idle
spread, functional units, lifecycle amortisation and rebound, and SCI per request.

No warehouse: the frames carry the daily_summary columns each function reads, with round
numbers chosen so every expected value can be worked out in the comments.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from pipeline.config import Config
from pipeline.disclosure.models_section import _units
from pipeline.inventory import instrument_frame
from pipeline.method import period
from pipeline.method.lifecycle import crossover, efficiency, with_amortisation
from pipeline.method.units import unit_figures

MAR1, MAR10 = date(2026, 3, 1), date(2026, 3, 10)


def instruments() -> pl.DataFrame:
    """Annual instruments from a config, as load_inventory stores them."""
    cfg = Config.model_validate(
        {
            "start_date": "2026-01-01",
            "sites": {
                "s": {"grid_zone": "Z", "annual_gco2e_per_kwh": 300.0},
                "t": {"grid_zone": "Z", "annual_gco2e_per_kwh": 300.0},
            },
            "gpu_models": {"g": {"tdp_w": 400.0, "idle_w": 100.0}},
            "host_groups": [{"hosts": "n1", "site": "s", "gpu_model": "g"}],
            "instruments": [
                # 365-day term, 36.5 MWh: 0.1 MWh a day
                {"name": "A", "site": "s", "start": "2026-01-01", "end": "2026-12-31",
                 "mwh": 36.5, "gco2e_per_kwh": 10.0},
                # 10-day term, 2 MWh, 5 of its days (6-10 March) in the period
                {"name": "C", "site": "s", "start": "2026-03-06", "end": "2026-03-15",
                 "mwh": 2.0, "gco2e_per_kwh": 40.0},
                # hourly-profiled: matched in the SQL, not here
                {"name": "H", "site": "s", "start": "2026-01-01", "end": "2026-12-31",
                 "hourly_profile": "h.csv", "gco2e_per_kwh": 0.0},
                # a past term: nothing falls in the period
                {"name": "B", "site": "t", "start": "2025-01-01", "end": "2025-12-31",
                 "mwh": 100.0, "gco2e_per_kwh": 5.0},
            ],
        }
    )  # fmt: skip
    return instrument_frame(cfg)


# --- 7. annual instruments -------------------------------------------------------------------


def test_annual_volume_is_prorated_by_days_of_the_term() -> None:
    v = period.annual_volumes(instruments(), MAR1, MAR10)
    got = {r["site"]: r for r in v.iter_rows(named=True)}
    # A: 36.5 MWh × 10 / 365 days = 1.0 MWh; C: 2 MWh × 5 / 10 days = 1.0 MWh; H not counted
    assert got["s"]["annual_volume_kwh"] == pytest.approx(36.5 * 1000 * 10 / 365 + 2000 * 5 / 10)
    # volume-weighted factor: (1000 × 10 + 1000 × 40) / 2000 = 25 g/kWh
    assert got["s"]["annual_gco2e_per_kwh"] == pytest.approx(25.0)
    # B's term ended before the period: no volume, factor 0 (not NaN)
    assert got["t"]["annual_volume_kwh"] == 0.0
    assert got["t"]["annual_gco2e_per_kwh"] == 0.0


def test_one_day_period_gets_a_365th_of_a_year_term() -> None:
    v = period.annual_volumes(instruments().filter(pl.col("name") == "A"), MAR1, MAR1)
    assert v.row(0, named=True)["annual_volume_kwh"] == pytest.approx(100.0)  # 0.1 MWh


def daily_rows(rows: list[dict]) -> pl.DataFrame:
    cols = ("facility_energy_kwh", "instrument_kwh", "co2e_kg_market", "co2e_kg_market_residual",
            "co2e_kg_market_fallback")  # fmt: skip
    return pl.DataFrame(
        rows, schema={"site": pl.String, "phase": pl.String} | {c: pl.Float64 for c in cols}
    )


def test_annual_volume_below_consumption_covers_a_share_k_of_every_row() -> None:
    daily = daily_rows(
        [
            # 3000 kWh, 500 matched hourly (at 20 g/kWh: 10 kg), 2500 left at 400 g/kWh = 1000 kg
            {"site": "s", "phase": "training", "facility_energy_kwh": 3000.0,
             "instrument_kwh": 500.0, "co2e_kg_market": 10.0 + 1000.0,
             "co2e_kg_market_residual": 1000.0, "co2e_kg_market_fallback": 0.0},
            # 1500 kWh, none matched, at 400 g/kWh = 600 kg, all priced with a fallback intensity
            {"site": "s", "phase": "idle", "facility_energy_kwh": 1500.0,
             "instrument_kwh": 0.0, "co2e_kg_market": 600.0,
             "co2e_kg_market_residual": 600.0, "co2e_kg_market_fallback": 600.0},
            # a site without annual instruments is left as it is
            {"site": "u", "phase": "idle", "facility_energy_kwh": 100.0,
             "instrument_kwh": 0.0, "co2e_kg_market": 30.0,
             "co2e_kg_market_residual": 30.0, "co2e_kg_market_fallback": 0.0},
        ]
    )  # fmt: skip
    volumes = pl.DataFrame(
        {"site": ["s"], "annual_volume_kwh": [1000.0], "annual_gco2e_per_kwh": [10.0]}
    )
    out, coverage = period.apply_annual_instruments(daily, volumes)
    # uncovered U = 2500 + 1500 = 4000 kWh (4 MWh), V = 1000 kWh: k = 1000 / 4000 = 0.25
    rows = {(r["site"], r["phase"]): r for r in out.iter_rows(named=True)}
    train, idle = rows[("s", "training")], rows[("s", "idle")]
    assert train["annual_instrument_kwh"] == pytest.approx(0.25 * 2500)  # 625
    assert idle["annual_instrument_kwh"] == pytest.approx(0.25 * 1500)  # 375
    # instrument part + 0.75 × residual part + 0.25 × uncovered × instrument factor
    assert train["co2e_kg_market"] == pytest.approx(10 + 0.75 * 1000 + 625 * 10 / 1000)  # 766.25
    assert idle["co2e_kg_market"] == pytest.approx(0.75 * 600 + 375 * 10 / 1000)  # 453.75
    assert train["co2e_kg_market_residual"] == pytest.approx(750.0)
    assert idle["co2e_kg_market_residual"] == pytest.approx(450.0)
    assert idle["co2e_kg_market_fallback"] == pytest.approx(0.75 * 600)
    other = rows[("u", "idle")]
    assert (other["annual_instrument_kwh"], other["co2e_kg_market"]) == (0.0, 30.0)
    cov = {r["site"]: r for r in coverage.iter_rows(named=True)}
    assert cov["s"]["uncovered_kwh"] == pytest.approx(4000.0)
    assert cov["s"]["hourly_matched_kwh"] == pytest.approx(500.0)
    assert cov["s"]["annual_matched_kwh"] == pytest.approx(1000.0)
    assert cov["s"]["annual_surplus_kwh"] == pytest.approx(0.0)
    assert cov["u"]["annual_matched_kwh"] == 0.0


def test_annual_volume_above_consumption_covers_all_and_reports_the_surplus() -> None:
    daily = daily_rows(
        [{"site": "t", "phase": "inference", "facility_energy_kwh": 2000.0,
          "instrument_kwh": 0.0, "co2e_kg_market": 600.0, "co2e_kg_market_residual": 600.0,
          "co2e_kg_market_fallback": 0.0}]
    )  # fmt: skip
    volumes = pl.DataFrame(
        {"site": ["t"], "annual_volume_kwh": [5000.0], "annual_gco2e_per_kwh": [0.0]}
    )
    out, coverage = period.apply_annual_instruments(daily, volumes)
    row = out.row(0, named=True)
    # k = min(5000, 2000) / 2000 = 1: all 2000 kWh covered at 0 g/kWh
    assert row["annual_instrument_kwh"] == pytest.approx(2000.0)
    assert row["co2e_kg_market"] == pytest.approx(0.0, abs=1e-9)
    assert row["co2e_kg_market_residual"] == pytest.approx(0.0, abs=1e-9)
    cov = coverage.row(0, named=True)
    assert cov["annual_matched_kwh"] == pytest.approx(2000.0)
    assert cov["annual_surplus_kwh"] == pytest.approx(5000.0 - 2000.0)


# --- 10. idle spread (full boundary) ---------------------------------------------------------

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def summary(rows: list[tuple[date, str, str, float, float]]) -> pl.DataFrame:
    """(day, site, phase, gpu_hours, it_kWh); every other spread metric is a fixed multiple of
    the IT energy so each can be checked: facility 1.2 ×, GPU 0.8 ×, host 0.2 ×, location
    0.3 kg/kWh, market 0.1, water 2 L/kWh, embodied 0.05 kg per GPU-hour."""
    return pl.DataFrame(
        [
            {"day": d, "site": s, "phase": p, "gpu_hours": h, "it_energy_kwh": e,
             "gpu_energy_kwh": 0.8 * e, "host_energy_kwh": 0.2 * e,
             "facility_energy_kwh": 1.2 * e, "co2e_kg_location": 0.3 * e,
             "co2e_kg_market": 0.1 * e, "water_l": 2.0 * e, "embodied_kg": 0.05 * h}
            for d, s, p, h, e in rows
        ]
    )  # fmt: skip


def test_idle_is_spread_over_the_site_days_jobs_by_gpu_hours() -> None:
    df = summary(
        [
            (D1, "s", "idle", 2.0, 10.0),
            (D1, "s", "training", 3.0, 6.0),
            (D1, "s", "inference", 1.0, 2.0),
            (D1, "t", "idle", 4.0, 5.0),  # a site-day with idle and no jobs
            (D2, "s", "training", 1.0, 1.0),  # a site-day with jobs and no idle
        ]
    )
    out = period.spread_idle(df)
    rows = {(r["day"], r["site"], r["phase"]): r for r in out.iter_rows(named=True)}
    train, inf = rows[(D1, "s", "training")], rows[(D1, "s", "inference")]
    # 10 kWh of idle over 3 + 1 GPU-hours: training +3/4 × 10 = 7.5, inference +1/4 × 10 = 2.5
    assert train["full_it_energy_kwh"] == pytest.approx(6.0 + 7.5)
    assert inf["full_it_energy_kwh"] == pytest.approx(2.0 + 2.5)
    assert train["full_gpu_hours"] == pytest.approx(3.0 + 0.75 * 2.0)
    assert train["full_facility_energy_kwh"] == pytest.approx(1.2 * 6 + 0.75 * 1.2 * 10)
    assert inf["full_embodied_kg"] == pytest.approx(0.05 * 1 + 0.25 * 0.05 * 2)
    assert rows[(D1, "s", "idle")]["full_it_energy_kwh"] == 0.0  # all spread
    # site t had no jobs that day: its idle stays idle, not spread onto site s
    assert rows[(D1, "t", "idle")]["full_it_energy_kwh"] == 5.0
    assert rows[(D2, "s", "training")]["full_it_energy_kwh"] == 1.0  # no idle to take
    for m in period.SPREAD:
        assert out[f"full_{m}"].sum() == pytest.approx(out[m].sum()), m


# --- 11. functional units and lifecycle ------------------------------------------------------


def test_unit_figures_per_request_and_per_thousand_output_tokens() -> None:
    u = unit_figures(
        energy_kwh=2.0,
        co2e_kg_location=0.5,
        co2e_kg_market=0.25,
        water_l=3.0,
        cost_usd=4.0,
        requests=1000,
        output_tokens=500_000,
    )
    # per request: 2000 Wh / 1000, 500 g / 1000, 250 g / 1000, 3000 mL / 1000, $4 / 1000
    assert u.wh_per_request == pytest.approx(2.0)
    assert u.gco2e_location_per_request == pytest.approx(0.5)
    assert u.gco2e_market_per_request == pytest.approx(0.25)
    assert u.water_ml_per_request == pytest.approx(3.0)
    assert u.cost_usd_per_request == pytest.approx(0.004)
    # per 1,000 output tokens: 500 thousands → 2000 Wh / 500 = 4 Wh, 500 g / 500 = 1 g, ...
    assert u.wh_per_1k_output_tokens == pytest.approx(4.0)
    assert u.gco2e_location_per_1k_output_tokens == pytest.approx(1.0)
    assert u.gco2e_market_per_1k_output_tokens == pytest.approx(0.5)
    assert u.water_ml_per_1k_output_tokens == pytest.approx(6.0)
    assert u.cost_usd_per_1k_output_tokens == pytest.approx(0.008)


def test_unit_figures_without_requests_or_tokens_are_none() -> None:
    u = unit_figures(1.0, 1.0, 1.0, 1.0, 1.0, requests=0, output_tokens=0)
    assert all(v is None for v in u.model_dump().values())


def test_training_energy_amortised_over_requests_and_inference_share() -> None:
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    c = crossover(days, np.array([100.0, 0.0]), np.array([10.0, 15.0]))
    assert (c.lifecycle_training_kwh, c.lifecycle_inference_kwh) == (100.0, 25.0)
    a = with_amortisation(c, 4000)
    # 100 kWh = 100,000 Wh over 4000 requests = 25 Wh per request
    assert a.training_wh_per_request_amortised == pytest.approx(100_000 / 4000)
    # inference share of lifecycle energy: 100 × 25 / (100 + 25) = 20 %
    assert a.inference_share_pct == pytest.approx(100 * 25 / 125)
    assert a.lifecycle_requests == 4000
    assert with_amortisation(c, 0).training_wh_per_request_amortised is None
    no_training = with_amortisation(crossover(days, np.zeros(2), np.array([1.0, 1.0])), 10)
    assert no_training.training_wh_per_request_amortised is None
    assert no_training.inference_share_pct == pytest.approx(100.0)


def test_rebound_when_energy_per_request_falls_and_energy_per_day_rises() -> None:
    # 30 kWh / 10,000 requests = 3 Wh each, 1 kWh/day → 40 kWh / 20,000 = 2 Wh, 2 kWh/day
    e = efficiency("previous month", (30.0, 10_000, 30), (40.0, 20_000, 20))
    assert (e.previous_wh_per_request, e.current_wh_per_request) == (3.0, 2.0)
    assert e.rebound is True
    # per day, not total: 20 kWh in 10 days is 2 kWh/day > 1; 2 Wh/request < 3
    assert efficiency("b", (30.0, 10_000, 30), (20.0, 10_000, 10)).rebound is True


def test_no_rebound_when_either_condition_fails() -> None:
    # Wh/request fell (3 → 1) but energy per day fell too (1 → 1/3 kWh/day)
    assert efficiency("b", (30.0, 10_000, 30), (10.0, 10_000, 30)).rebound is False
    # energy per day rose (1 → 3) but Wh/request rose too (3 → 9)
    assert efficiency("b", (30.0, 10_000, 30), (90.0, 10_000, 30)).rebound is False


def test_no_rebound_verdict_without_a_previous_period() -> None:
    e = efficiency("b", (0.0, 0, 0), (40.0, 20_000, 20))
    assert e.previous_wh_per_request is None and e.rebound is None
    assert efficiency("b", (30.0, 10_000, 0), (40.0, 20_000, 20)).rebound is None


# --- 12. SCI per request ---------------------------------------------------------------------


def test_sci_per_request_is_full_boundary_carbon_plus_embodied_over_requests() -> None:
    row = {"day": D1, "site": "s", "model": "m", "co2e_kg_market_residual": 0.0}
    inf = row | {
        "phase": "inference",
        "gpu_hours": 2.0,
        "gpu_energy_kwh": 2.0,
        "host_energy_kwh": 0.4,
        "it_energy_kwh": 2.4,
        "facility_energy_kwh": 3.0,
        "co2e_kg_location": 0.6,
        "co2e_kg_market": 0.3,
        "water_onsite_l": 0.0,
        "water_offsite_l": 0.0,
        "water_l": 0.0,
        "embodied_kg": 0.1,
    }
    idle = row | {"phase": "idle", "model": "", "gpu_hours": 1.0, "gpu_energy_kwh": 0.8,
                  "host_energy_kwh": 0.0, "it_energy_kwh": 0.8, "facility_energy_kwh": 1.0,
                  "co2e_kg_location": 0.2, "co2e_kg_market": 0.1, "water_onsite_l": 0.0,
                  "water_offsite_l": 0.0, "water_l": 0.0, "embodied_kg": 0.05}  # fmt: skip
    full = period.spread_idle(pl.DataFrame([inf, idle]))
    u = _units(full.filter(pl.col("phase") == "inference"), (2.0, 3.0), 1000, 500_000)
    # the only job takes all idle. E = 3 + 1 = 4 kWh at I = 200 g/kWh (0.6 + 0.2 kg over 4 kWh),
    # M = 0.1 + 0.05 kg, R = 1000: SCI = (4 × 200 + 150) g / 1000 = 0.95 g per request
    assert u.sci_gco2e_per_request == pytest.approx((4.0 * 200 + 150) / 1000)
    assert u.full_boundary.wh_per_request == pytest.approx(4.0)
    assert u.full_boundary.cost_usd_per_request == pytest.approx(3.0 / 1000)
    # accelerator only: 2 kWh of GPU energy at 200 g/kWh, no PUE, host or idle
    assert u.accelerator.wh_per_request == pytest.approx(2.0)
    assert u.accelerator.gco2e_location_per_request == pytest.approx(2.0 * 200 / 1000)
    # breakdown of the 4 Wh: GPU 2, host 0.4, idle (3.2 − 2.4 IT) 0.8, facility (4 − 3.2) 0.8
    b = u.breakdown_per_request
    assert (b.accelerator_wh, b.host_wh) == (pytest.approx(2.0), pytest.approx(0.4))
    assert (b.idle_wh, b.facility_overhead_wh) == (pytest.approx(0.8), pytest.approx(0.8))
