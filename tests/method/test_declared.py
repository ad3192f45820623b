"""Declared usage through the estimation path (pipeline/method/declared.py): the power model is
the scheduler estimate's, GPU-hours spread pro rata over the UTC days of the span, factors from
the row, else the site, else the stated defaults; an unresolvable row is reported, not dropped."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import load_config
from pipeline.disclosure.declared import declared_section, with_declared_lifecycle
from pipeline.inventory import load_inventory
from pipeline.method.declared import declared_usage
from pipeline.method.declared_runs import PUE_NOT_DECLARED
from pipeline.method.energy import build_gpu_energy_attributed
from pipeline.method.estimation import estimated_power_w
from pipeline.readers import read_file
from pipeline.warehouse import connect, insert_frame, run

CONFIG = """\
start_date: '2026-01-01'
sites:
  eu:
    grid_zone: DE
    pue: 1.3
    pue_by_month: {'2026-02': 1.5}
    wue_l_per_kwh: 0.5
    offsite_water_l_per_kwh: 2.0
    annual_gco2e_per_kwh: 350
    residual_mix_gco2e_per_kwh: 500
gpu_models:
  H100: {tdp_w: 700, idle_w: 100, embodied_kg: 876, lifetime_years: 5}
  A100: {tdp_w: 400, idle_w: 50, average_power_w: 320}
host_groups:
  - {hosts: 'h[1-2]', site: eu, gpu_model: H100, gpus: 8}
  - {hosts: 'a1', site: eu, gpu_model: A100, gpus: 8}
estimation:
  utilisation_by_phase: {training: 1.0, fine_tuning: 0.9, inference: 0.5, evaluation: 0.6,
    development: 0.3, unclassified: 1.0}
"""
HEADER = (
    "run,model,phase,gpu_model,gpus,start,end,duration_h,gpu_hours,average_power_w,site,"
    "grid_gco2e_per_kwh,market_gco2e_per_kwh,pue,requests,cost_usd,flops,source"
)


@pytest.fixture
def warehouse(tmp_path: Path):
    (tmp_path / "w.yaml").write_text(CONFIG)
    cfg = load_config(tmp_path / "w.yaml")

    def load(rows: list[str]):
        path = tmp_path / "declared.csv"
        path.write_text("\n".join([HEADER, *rows]) + "\n")
        result = read_file(path)
        assert result.problems == []
        with connect(tmp_path / "w.duckdb") as con:
            run(con, "delete_raw_declared_usage_source", {"source_path": str(path)})
            insert_frame(con, "raw_declared_usage", result.frame)
            return declared_usage(con, cfg)

    return cfg, load


def test_partial_days_pro_rata_and_site_factors(warehouse) -> None:
    _, load = warehouse
    # 36 h from 18:00 on 31 January: 6 h, 24 h, 6 h; 4 H100 at the fine-tuning power model
    d = load(["ft,lynx,fine_tuning,H100,4,2026-01-31T18:00:00Z,,36,,,eu,,,,,90,,vendor"])
    daily = d.daily.sort("day")
    assert daily["day"].to_list() == [date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 2)]
    hours = [6.0, 24.0, 6.0]
    power_w = 100 + (700 - 100) * 0.9  # idle + (TDP - idle) x fine_tuning utilisation
    assert daily["power_w"].to_list() == [power_w] * 3
    assert daily["gpu_hours"].to_list() == pytest.approx([4 * h for h in hours])
    it = [4 * h * power_w / 1000 for h in hours]
    assert daily["it_energy_kwh"].to_list() == pytest.approx(it)
    pue = [1.3, 1.5, 1.5]  # the site's PUE for each day's month
    assert daily["pue"].to_list() == pue
    fac = [k * p for k, p in zip(it, pue, strict=True)]
    assert daily["facility_energy_kwh"].to_list() == pytest.approx(fac)
    assert daily["co2e_kg_location"].to_list() == pytest.approx([f * 0.350 for f in fac])
    assert daily["co2e_kg_market"].to_list() == pytest.approx([f * 0.500 for f in fac])  # residual
    water = [k * 0.5 + f * 2.0 for k, f in zip(it, fac, strict=True)]
    assert daily["water_l"].to_list() == pytest.approx(water)
    per_gpu_hour = 876 / (5 * 8760)
    assert daily["embodied_kg"].to_list() == pytest.approx([4 * h * per_gpu_hour for h in hours])
    assert daily["cost_usd"].to_list() == pytest.approx([15.0, 60.0, 15.0])
    assert set(daily["basis"]) == {"declared"}
    [total] = d.runs.to_dicts()
    assert total["gpu_hours"] == pytest.approx(144.0)
    assert total["facility_energy_kwh"] == pytest.approx(sum(fac))


def test_declared_figures_win_and_pue_defaults_to_it_only(warehouse) -> None:
    _, load = warehouse
    d = load(
        [
            # declared power, grid and market; no site, no PUE: IT energy only, flagged
            "a,m,training,A100,10,2026-03-01,2026-03-01,,100,250,,200,50,,1000,,1e21,paper",
            # gpu_hours given with a span: gpu_hours wins (fewer than the GPUs could run)
            "b,m,inference,A100,10,2026-03-01,2026-03-02,,120,,,300,,1.2,,,,paper",
        ]
    )
    a, b = (d.daily.filter(pl.col("run") == r) for r in ("a", "b"))
    assert a["pue"].to_list() == [1.0] and a["pue_basis"].to_list() == [PUE_NOT_DECLARED]
    assert a["it_energy_kwh"].item() == pytest.approx(100 * 250 / 1000)
    assert a["co2e_kg_location"].item() == pytest.approx(25 * 0.200)
    assert a["co2e_kg_market"].item() == pytest.approx(25 * 0.050)
    assert a["water_l"].item() == 0.0  # no site: no water factor declared
    assert a["requests"].item() == 1000
    # b: two days, 60 GPU-hours each, the GPU model's configured average power
    assert b["gpu_hours"].to_list() == [60.0, 60.0]
    assert b["power_w"].to_list() == [320.0, 320.0]
    assert b["co2e_kg_market"].to_list() == b["co2e_kg_location"].to_list()  # no market: location
    assert d.runs.filter(pl.col("run") == "a")["flops"].item() == 1e21


def test_unknown_gpu_model_or_site_is_reported_not_dropped(warehouse) -> None:
    _, load = warehouse
    d = load(
        [
            "ok,m,training,A100,1,2026-03-01,,2,,,eu,,,,,,,src",
            "g,m,training,TPUv9,1,2026-03-01,,2,,,eu,,,,,,,src",
            "s,m,training,A100,1,2026-03-01,,2,,,mars,,,,,,,src",
        ]
    )
    assert d.runs["run"].to_list() == ["ok"]
    assert [(u.line, u.run) for u in d.unresolved] == [(3, "g"), (4, "s")]
    assert "gpu_model 'TPUv9'" in d.unresolved[0].reason
    assert "site 'mars' is not a site of the config (sites: eu)" in d.unresolved[1].reason


CASES = [("H100", "development"), ("A100", "evaluation")]  # power model; average power


@pytest.mark.parametrize(("gpu", "phase"), CASES)
def test_power_model_is_the_scheduler_estimate(tmp_path: Path, gpu: str, phase: str) -> None:
    """The SQL estimation path prices an allocation without telemetry at the same power per GPU
    as `estimated_power_w`, the function declared usage uses."""
    (tmp_path / "w.yaml").write_text(CONFIG)
    cfg = load_config(tmp_path / "w.yaml")
    host = "h1" if gpu == "H100" else "a1"
    start, end = datetime(2026, 3, 1, 2), datetime(2026, 3, 1, 5)
    alloc = pl.DataFrame(
        [
            {
                "day": date(2026, 3, 1),
                "job_key": "s/1",
                "job_id": "1",
                "site": "eu",
                "host": host,
                "gpus_on_host": 4.0,
                "start_utc": start,
                "end_utc": end,
                "phase": phase,
                "phase_rule": "test",
            }  # fmt: skip
        ]
    )
    with connect(tmp_path / "w.duckdb") as con:
        load_inventory(con, cfg)
        insert_frame(con, "job_allocations", alloc)
        build_gpu_energy_attributed(con, datetime(2026, 3, 1), datetime(2026, 3, 2))
        wh, gpu_s = con.execute(
            "SELECT sum(energy_wh), sum(gpu_s) FROM gpu_energy_attributed"
        ).fetchone()
    model = cfg.gpu_model(gpu)
    util = cfg.estimation.utilisation_by_phase[phase]
    expected = estimated_power_w(model.average_power_w, model.idle_w, model.tdp_w, util)
    assert gpu_s == pytest.approx(4 * 3 * 3600)
    assert wh * 3600 / gpu_s == pytest.approx(expected)


def test_a_warehouse_without_declared_rows_reports_none(warehouse) -> None:
    _, load = warehouse
    d = load([])
    assert d.daily.height == d.runs.height == 0 and d.unresolved == []
    assert declared_section(d, date(2026, 3, 1), date(2026, 3, 31)).runs == []
    life = pl.DataFrame(
        {"model": ["m"], "day": [date(2026, 3, 1)], "training_kwh": [5.0], "inference_kwh": [1.0]}
    )
    assert with_declared_lifecycle(life, d.daily, date(2026, 3, 31)).equals(life)
