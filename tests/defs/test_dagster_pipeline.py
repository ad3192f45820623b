"""Real Dagster materialisations of the asset graph into a temporary DuckDB warehouse."""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import pytest

from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.demo.fleet import generate_fleet
from pipeline.orchestrate import DATA_ASSETS, run_pipeline

TABLES = {
    "gpu_energy_intervals": "hour_utc, host, gpu_index, start_utc",
    "job_allocations": "day, job_key, host",
    "gpu_energy_attributed": "hour_utc, host, gpu_index, job_key",
    "footprint_hourly": "hour_utc, site, job_key",
    "daily_summary": "day, site, phase, model, team",
    "cost_attributed": "day, source_path, line, job_key",
}


@pytest.fixture(scope="module")
def small_fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet")
    return generate_fleet(out, days=2, start=date(2026, 10, 1))


def _snapshot(path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.table(t).order(k).fetchall() for t, k in TABLES.items()}
    finally:
        con.close()


def test_definitions_load_with_lineage_and_checks(small_fleet):
    defs = build_defs(small_fleet)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys == {
        "inventory",
        "landing_files",
        *DATA_ASSETS,
        "disclosure_report",
        "report_delivery",
    }
    graph = defs.resolve_asset_graph()
    assert (
        dg.AssetKey("landing_files") in graph.get(dg.AssetKey("gpu_energy_intervals")).parent_keys
    )
    assert dg.AssetKey("daily_summary") in graph.get(dg.AssetKey("disclosure_report")).parent_keys
    checks = {c.name for c in graph.get(dg.AssetKey("gpu_energy_attributed")).check_keys}
    assert "energy_conserved" in checks


def test_materialise_twice_gives_identical_tables(small_fleet):
    cfg = load_config(small_fleet)
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(small_fleet, date(2026, 10, 1), date(2026, 10, 2), instance=instance)
    assert all(r.success for r in first)
    snap1 = _snapshot(cfg.warehouse_path)
    assert all(len(rows) > 0 for rows in snap1.values())

    second = run_pipeline(small_fleet, date(2026, 10, 1), date(2026, 10, 2), instance=instance)
    assert all(r.success for r in second)
    assert _snapshot(cfg.warehouse_path) == snap1

    # the data run materialised every asset for both days and its conservation check passed
    data_run = second[1]
    mats = data_run.get_asset_materialization_events()
    assert {e.asset_key.to_user_string() for e in mats} == set(DATA_ASSETS)
    evals = data_run.get_asset_check_evaluations()
    assert sorted((e.check_name, e.passed) for e in evals) == [
        ("cost_reconciled", True),
        ("daily_summary_reconciled", True),
        ("energy_conserved", True),
        ("footprint_hourly_factors", True),
        ("footprint_hourly_reconciled", True),
        ("gpu_energy_attributed_reconciled", True),
        ("gpu_energy_intervals_reconciled", True),
        ("grid_coverage", True),
        ("inventory_coverage", True),
        ("measured_coverage", True),
        ("no_negative_quantities", True),
    ]
    # the ingest asset found every file unchanged the second time
    ingest = second[0].asset_materializations_for_node("landing_files")[0]
    assert ingest.metadata["files_ingested"].value == 0
    assert ingest.metadata["files_unchanged"].value == ingest.metadata["files"].value
    assert (cfg.reports_dir / "2026-10" / "report.pdf").is_file()


def test_one_day_partition_rerun_leaves_other_days_alone(small_fleet):
    cfg = load_config(small_fleet)
    instance = dg.DagsterInstance.ephemeral()
    run_pipeline(small_fleet, date(2026, 10, 1), date(2026, 10, 2), instance=instance, report=False)
    before = _snapshot(cfg.warehouse_path)
    job = build_defs(small_fleet).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        partition_key="2026-10-02",
        asset_selection=[dg.AssetKey(a) for a in DATA_ASSETS],
    )
    assert result.success
    assert _snapshot(cfg.warehouse_path) == before
