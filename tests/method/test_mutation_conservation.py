"""Mutation suite, conservation end to end (issue 15): each derived table of the small fleet
tampered in turn must block publication with a message naming the table and the size of the
difference; the clean fleet passes every reconciliation; a window with nothing in it fails."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import dagster as dg
import pytest

from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.disclosure import figures
from pipeline.disclosure.build import build_disclosure
from pipeline.disclosure.publication import PublicationBlocked
from pipeline.method import reconcile
from pipeline.method.energy import (
    build_daily_summary,
    build_footprint_hourly,
    build_gpu_energy_attributed,
)
from pipeline.orchestrate import DATA_ASSETS
from pipeline.reporting import report_period
from pipeline.warehouse import connect
from tests.small_fleet import LAST, START, make_fleet, run_all

WINDOW = (datetime(2026, 10, 1), datetime(2026, 10, 3))
_DAILY_ADDITIVE = (
    "gpu_hours, gpu_energy_kwh, host_energy_kwh, host_measured_kwh, it_energy_kwh, measured_kwh, "
    "scheduler_estimated_kwh, facility_energy_kwh, fallback_facility_kwh, co2e_kg_location, "
    "co2e_kg_location_fallback, instrument_kwh, co2e_kg_market, co2e_kg_market_residual, "
    "co2e_kg_market_fallback, cfe_kwh, water_onsite_l, water_offsite_l, water_l, "
    "embodied_gpu_kg, embodied_server_kg, embodied_kg"
).split(", ")
# every figure the disclosure reconciliation takes
_FIGURES = [*reconcile._TOTALS, "phases_energy_kwh", "sites_energy_kwh"]
_FIGURES += ["full_boundary_energy_kwh", "annual_instrument_kwh"]
# the case: every figure of the daily summary doubled by hand
DOUBLE_DAILY = "UPDATE daily_summary SET " + ", ".join(f"{c} = {c} * 2" for c in _DAILY_ADDITIVE)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("conserve") / "fleet"
    fleet = make_fleet(root)
    run_all(fleet.config())
    return root


@pytest.fixture
def fleet(clean, tmp_path):
    """A copy of the clean fleet (landing files, config, computed warehouse) to corrupt."""
    root = tmp_path / "fleet"
    shutil.copytree(clean, root)
    return load_config(root / "wattprint.yaml")


def _tamper(cfg, *statements: str) -> None:
    with connect(cfg.warehouse_path) as con:
        for s in statements:
            con.execute(s)


def _publish(cfg) -> None:
    with connect(cfg.warehouse_path) as con:
        report_period(con, cfg, START, LAST, "2026-10")


def test_clean_fleet_passes_every_reconciliation(fleet):
    with connect(fleet.warehouse_path, read_only=True) as con:
        links = reconcile.window_reconciliations(con, fleet, *WINDOW)
        d = build_disclosure(con, fleet, START, LAST)
    assert [r.name for r in links] == [
        "gpu_energy_intervals_reconciled",
        "gpu_energy_attributed_reconciled",
        "footprint_hourly_reconciled",
        "footprint_hourly_factors",
        "daily_summary_reconciled",
    ]
    for r in links:
        assert r.passed, r.detail()
        assert r.checked > 0 and all(q.checked > 0 for q in r.quantities)
    blocking = {c.name: c for c in d.checks if c.blocking}
    assert {r.name for r in links} | {"disclosure_reconciled"} <= set(blocking)
    assert all(c.passed for c in blocking.values()), [c for c in blocking.values() if not c.passed]


# (what is corrupted, the statements, the check that must fail, fragments its message must show)
TAMPERS = {
    "pieces_energy_doubled": (
        ["UPDATE gpu_energy_intervals SET energy_wh = energy_wh * 2"],
        "gpu_energy_intervals_reconciled",
        ["gpu_energy_intervals: energy_wh", "(+100.0 %)"],
    ),
    "pieces_power_and_energy_doubled": (
        [
            "UPDATE gpu_energy_intervals SET energy_wh = energy_wh * 2, "
            "start_power_w = start_power_w * 2, end_power_w = end_power_w * 2"
        ],
        "gpu_energy_intervals_reconciled",
        ["gpu_energy_intervals: max_power_w", "raw_gpu_samples"],
    ),
    "pieces_counted_twice": (
        ["INSERT INTO gpu_energy_intervals SELECT * FROM gpu_energy_intervals"],
        "gpu_energy_intervals_reconciled",
        ["gpu_energy_intervals: gpu_s", "raw_gpu_samples"],
    ),
    "pieces_of_a_day_lost": (
        ["DELETE FROM gpu_energy_intervals WHERE hour_utc < TIMESTAMP '2026-10-02'"],
        "gpu_energy_intervals_reconciled",
        ["gpu_energy_intervals: gpu_s", "raw_gpu_samples"],
    ),
    "attributed_doubled": (
        ["UPDATE gpu_energy_attributed SET energy_wh = energy_wh * 2"],
        "gpu_energy_attributed_reconciled",
        ["gpu_energy_attributed: energy_wh", "vs gpu_energy_intervals", "(+100.0 %)"],
    ),
    "attributed_idle_seconds_doubled": (
        ["UPDATE gpu_energy_attributed SET gpu_s = gpu_s * 2 WHERE job_key IS NULL"],
        "gpu_energy_attributed_reconciled",
        ["gpu_energy_attributed: gpu_s", "vs gpu_energy_intervals"],
    ),
    "footprint_gpu_energy_doubled": (
        ["UPDATE footprint_hourly SET gpu_energy_kwh = gpu_energy_kwh * 2"],
        "footprint_hourly_reconciled",
        ["footprint_hourly: gpu_energy_kwh", "vs gpu_energy_attributed", "(+100.0 %)"],
    ),
    "footprint_embodied_doubled": (
        [
            "UPDATE footprint_hourly SET embodied_gpu_kg = embodied_gpu_kg * 2, "
            "embodied_kg = embodied_gpu_kg * 2 + embodied_server_kg"
        ],
        "footprint_hourly_reconciled",
        ["footprint_hourly: embodied_gpu_kg", "(+100.0 %)"],
    ),
    "footprint_intensity_doubled": (
        [
            "UPDATE footprint_hourly SET gco2e_per_kwh = gco2e_per_kwh * 2, "
            "co2e_kg_location = co2e_kg_location * 2"
        ],
        "footprint_hourly_factors",
        ["footprint_hourly: co2e_kg_location", "footprint_hourly: gco2e_per_kwh"],
    ),
    "footprint_water_doubled": (
        ["UPDATE footprint_hourly SET water_l = water_l * 2"],
        "footprint_hourly_factors",
        ["footprint_hourly: water_l", "vs water_onsite_l + water_offsite_l", "(+100.0 %)"],
    ),
    "footprint_pue_changed": (
        [
            "UPDATE footprint_hourly SET pue = pue * 1.5, "
            "facility_energy_kwh = facility_energy_kwh * 1.5"
        ],
        "footprint_hourly_factors",
        ["footprint_hourly: pue", "(+50.0 %)"],
    ),
    "daily_summary_doubled": (
        [DOUBLE_DAILY],
        "daily_summary_reconciled",
        ["daily_summary: facility_energy_kwh", "vs footprint_hourly", "(+100.0 %)"],
    ),
    "daily_summary_rows_twice": (
        ["INSERT INTO daily_summary SELECT * FROM daily_summary"],
        "daily_summary_reconciled",
        ["daily_summary: co2e_kg_location", "daily_summary: jobs", "(+100.0 %)"],
    ),
    "cost_attributed_doubled": (
        ["UPDATE cost_attributed SET effective_cost = effective_cost * 2"],
        "cost_reconciled",
        ["cost_reconciled"],
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_tampered_table_blocks_publication(fleet, case):
    statements, check, fragments = TAMPERS[case]
    _tamper(fleet, *statements)
    with pytest.raises(PublicationBlocked) as e:
        _publish(fleet)
    message = str(e.value)
    assert f"{check} (" in message
    for fragment in fragments:
        assert fragment in message, message
    assert not (fleet.reports_dir / "2026-10" / "report.pdf").exists()


def test_pieces_corrupted_before_attribution_are_caught_against_the_samples(fleet):
    """Doubled pieces that every later stage was recomputed from: each later table reconciles
    with the one before it, so only the samples can tell (the old checks published this)."""
    _tamper(
        fleet,
        "UPDATE gpu_energy_intervals SET energy_wh = energy_wh * 2, "
        "start_power_w = start_power_w * 2, end_power_w = end_power_w * 2",
    )
    with connect(fleet.warehouse_path) as con:
        for build in (build_gpu_energy_attributed, build_footprint_hourly, build_daily_summary):
            build(con, *WINDOW)
    with pytest.raises(PublicationBlocked) as e:
        _publish(fleet)
    message = str(e.value)
    assert "gpu_energy_intervals_reconciled (gpu_energy_intervals: max_power_w" in message
    for later in ("energy_conserved", "gpu_energy_attributed_reconciled", "daily_summary_rec"):
        assert later not in message


def test_disclosure_totals_that_differ_from_the_daily_summary_block_publication(fleet, monkeypatch):
    real = figures.totals

    def doubled(pd):
        t = real(pd)
        return t.model_copy(update={"energy_kwh": t.energy_kwh * 2})

    monkeypatch.setattr(figures, "totals", doubled)
    with pytest.raises(PublicationBlocked) as e:
        _publish(fleet)
    message = str(e.value)
    assert "disclosure_reconciled (disclosure: energy_kwh" in message
    assert "vs daily_summary" in message and "(+100.0 %)" in message


def test_a_window_that_holds_nothing_fails(fleet):
    """No rows on either side is not a pass with 0 checked: every link from the attributed rows
    on fails. The telemetry links have nothing to reconcile where there is no telemetry (the
    coverage check reports those GPU-hours), and say so."""
    empty = (datetime(2026, 11, 1), datetime(2026, 11, 3))
    with connect(fleet.warehouse_path, read_only=True) as con:
        links = reconcile.window_reconciliations(con, fleet, *empty)
        links.append(
            reconcile.disclosure(
                con, date(2026, 11, 1), date(2026, 11, 2), dict.fromkeys(_FIGURES, 0.0)
            )
        )
    assert all(r.checked == 0 for r in links)
    telemetry, later = links[:2], links[2:]
    for r in telemetry:
        assert r.passed
        assert "no telemetry in 2026-11-01..2026-11-02" in r.detail()
    assert [r.name for r in later] == [
        "footprint_hourly_reconciled",
        "footprint_hourly_factors",
        "daily_summary_reconciled",
        "disclosure_reconciled",
    ]
    for r in later:
        assert not r.passed
        assert "nothing to check in 2026-11-01..2026-11-02" in r.detail()


def test_attributed_rows_without_a_footprint_fail(fleet):
    """A day the footprint lost entirely, with the rows before it still there."""
    _tamper(
        fleet,
        "DELETE FROM footprint_hourly WHERE hour_utc >= TIMESTAMP '2026-10-02'",
        "DELETE FROM daily_summary WHERE day >= DATE '2026-10-02'",
    )
    with connect(fleet.warehouse_path, read_only=True) as con:
        r = reconcile.footprint_hourly(con, datetime(2026, 10, 2), datetime(2026, 10, 3))
    assert r.checked > 0 and not r.passed
    assert "footprint_hourly: gpu_energy_kwh 0.0 vs gpu_energy_attributed" in r.detail()
    assert "(-100.0 %)" in r.detail()


def test_dagster_blocking_check_fails_on_a_tampered_daily_summary(fleet, monkeypatch):
    """A real materialisation: daily_summary built, then doubled (a faulty build), and its
    blocking reconciliation check fails with the table and the difference."""
    defs = build_defs(fleet.base_dir / "wattprint.yaml")
    from pipeline.defs.energy import assets

    real = assets.build_daily_summary

    def faulty(con, start, end):
        n = real(con, start, end)
        con.execute(DOUBLE_DAILY)
        return n

    monkeypatch.setattr(assets, "build_daily_summary", faulty)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        partition_key="2026-10-01",
        asset_selection=[dg.AssetKey(a) for a in DATA_ASSETS],
        raise_on_error=False,
    )
    evals = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = evals["daily_summary_reconciled"]
    assert not failed.passed
    assert failed.blocking
    assert "daily_summary: facility_energy_kwh" in failed.description
    assert "(+100.0 %)" in failed.description
    # the links before it held, and the failed blocking check failed the run
    for name in (
        "gpu_energy_intervals_reconciled",
        "gpu_energy_attributed_reconciled",
        "footprint_hourly_reconciled",
        "footprint_hourly_factors",
    ):
        assert evals[name].passed, evals[name].description
    assert not result.success
