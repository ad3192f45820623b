"""The lifecycle statement on a real warehouse file holding a few hand-written rows: every
expected figure below is computed by hand from those rows."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.config import Config
from pipeline.lifecycle.build import NoLifecycleData, build_statement
from pipeline.warehouse import connect
from tests.lifecycle.warehouse_rows import declared, job, served

D = date(2026, 3, 1)


def _cfg(tmp_path, models: dict | None = None) -> Config:
    return Config.model_validate(
        {
            "start_date": "2025-12-01",
            "sites": {"s": {"grid_zone": "SE", "annual_gco2e_per_kwh": 500}},
            "gpu_models": {"a": {"tdp_w": 400, "idle_w": 50}},
            "host_groups": [{"hosts": "n1", "site": "s", "gpu_model": "a"}],
            "paths": {"warehouse": str(tmp_path / "w.duckdb")},
            "models": models or {},
        }
    )


def _day(n: int) -> date:
    return date.fromordinal(D.toordinal() + n)


NO_DECLARED = declared([])


def test_runs_crossover_projection_and_amortisation_by_hand(tmp_path):
    cfg = _cfg(tmp_path)
    with connect(cfg.warehouse_path) as con:
        job(con, "s/1", "m", "training", D, 40.0, state="FAILED")
        job(con, "s/2", "m", "training", D, 60.0)  # the restart
        job(con, "s/3", "m", "evaluation", D, 5.0)
        for n in range(1, 5):  # 10 kWh of inference and 1,000 requests a day, 4 days
            job(con, f"s/{10 + n}", "m", "inference", _day(n), 10.0)
            served(con, "m", _day(n), 1000)
        s = build_statement(con, cfg, "m", declared=NO_DECLARED)

    assert (s.start, s.end) == (D, _day(4))
    assert [(x.name, x.state, x.energy_kwh) for x in s.lines] == [
        ("job-s/1", "FAILED", 40.0),
        ("job-s/2", "COMPLETED", 60.0),
        ("job-s/3", "COMPLETED", 5.0),
    ]
    assert s.training.energy_kwh == pytest.approx(100.0)
    assert s.training.co2e_kg_location == pytest.approx(50.0)  # 0.5 kg/kWh
    assert s.development.energy_kwh == pytest.approx(5.0)
    assert s.inference.energy_kwh == pytest.approx(40.0)
    assert s.requests == 4000
    c = s.crossover
    assert not c.reached
    # the series has 5 days (training day + 4 inference days): the trailing rate is the mean of
    # the last 7 (here all 5) days' inference, 40 / 5 = 8 kWh a day; (100 - 40) / 8 = 7.5 days
    assert c.projected_days == pytest.approx(7.5)
    assert s.projection is not None
    assert s.projection.inference_kwh_per_day == pytest.approx(8.0)
    assert s.projection.crossover_date == date(2026, 3, 13)  # 5 March + ceil(7.5) days
    assert "8 kWh a day" in s.projection.assumptions
    assert c.training_wh_per_request_amortised == pytest.approx(100_000 / 4000)  # 25 Wh
    assert c.inference_share_pct == pytest.approx(100 * 40 / 140)
    [month] = s.monthly
    assert (month.month, month.requests) == ("2026-03", 4000)
    assert month.wh_per_request == pytest.approx(40_000 / 4000)  # 10 Wh a request


def test_a_fine_tune_carries_its_base_apart_and_a_range_cuts_every_part(tmp_path):
    cfg = _cfg(tmp_path, {"chat": {"base_model": "base"}})
    # the base pre-trained elsewhere over four days of a previous year: 1,000 kWh declared
    base = declared(
        [
            dict(run="base-pt", model="base", phase="training", day=date(2025, 12, 30 + n)
                 if n < 2 else date(2026, 1, n - 1), facility_energy_kwh=250.0,
                 it_energy_kwh=250.0, gpu_hours=100.0, co2e_kg_location=25.0,
                 source="paper, table 2", source_path="declared/runs.csv", line=2)
            for n in range(4)
        ]
    )  # fmt: skip
    with connect(cfg.warehouse_path) as con:
        job(con, "s/1", "chat", "fine_tuning", D, 50.0)
        job(con, "s/9", "base", "evaluation", D, 7.0)  # the base's, not a line of the fine-tune
        for n in (1, 2):
            job(con, f"s/{n + 1}", "chat", "inference", _day(n), 30.0)
            served(con, "chat", _day(n), 100)
        s = build_statement(con, cfg, "chat", declared=base)
        later = build_statement(con, cfg, "chat", start=_day(2), declared=base)

    assert s.lineage == ["chat", "base"]
    assert s.start == date(2025, 12, 30)
    [b, own] = s.lines
    assert (b.relation, b.basis, b.name, b.energy_kwh, b.source) == (
        "base", "declared", "base-pt", 1000.0, "paper, table 2"
    )  # fmt: skip
    assert b.job == "declared/runs.csv:2" and b.gpu_hours == 400.0
    assert (own.relation, own.basis, own.energy_kwh) == ("own", "fleet", 50.0)
    assert s.base_training.energy_kwh == pytest.approx(1000.0)
    assert s.training.energy_kwh == pytest.approx(50.0)
    # own: 50 kWh of fine-tuning is passed by 30 + 30 kWh of inference on the second day
    assert s.crossover.reached and s.crossover.date == _day(2)
    # with the base: 1,050 kWh against 60 kWh; trailing rate (0 + 30 + 30) / 3 = 20 kWh a day
    cb = s.crossover_with_base
    assert not cb.reached and cb.projected_days == pytest.approx((1050 - 60) / 20)
    assert s.crossover.training_wh_per_request_amortised == pytest.approx(50_000 / 200)
    assert cb.training_wh_per_request_amortised == pytest.approx(1_050_000 / 200)
    # from 3 March: neither the fine-tune nor the base's run, one day of inference
    assert (later.start, later.lines, later.training.energy_kwh) == (_day(2), [], 0.0)
    assert (later.inference.energy_kwh, later.requests) == (30.0, 100)


def test_a_model_with_no_data_is_refused(tmp_path):
    cfg = _cfg(tmp_path)
    with connect(cfg.warehouse_path) as con, pytest.raises(NoLifecycleData, match="'nope'"):
        build_statement(con, cfg, "nope", declared=NO_DECLARED)
