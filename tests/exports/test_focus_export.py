"""The FOCUS export (issue 18): written with the small fleet's report set, its costs sum to the bill
per currency and its footprint columns to disclosure.json's totals, wattprint's own FOCUS readers
read it back without loss, and an export that lost a row is refused before the set is written."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import duckdb
import polars as pl
import pytest

from pipeline.delivery.publishing import publish
from pipeline.delivery.report_files import read_report
from pipeline.disclosure.model import Totals
from pipeline.disclosure.publication import PublicationBlocked
from pipeline.exports import focus
from pipeline.exports.focus_check import reconcile
from pipeline.exports.focus_columns import SCHEMA, TOTALS
from pipeline.readers import detect_format, read_file
from pipeline.reporting import report_period
from pipeline.warehouse import connect
from tests.small_fleet import LAST, START, make_fleet, run_all

CSV = f"{focus.FOLDER}/{focus.STEM}.csv"
PARQUET = f"{focus.FOLDER}/{focus.STEM}.parquet"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The small fleet computed and its October report set written (with the export)."""
    cfg = make_fleet(tmp_path_factory.mktemp("focus") / "fleet", sample_interval_s=900).config()
    run_all(cfg)
    with connect(cfg.warehouse_path) as con:
        paths = report_period(con, cfg, START, LAST, "2026-10")
    return cfg, paths


@pytest.fixture(scope="module")
def exported(fleet) -> pl.DataFrame:
    cfg, _ = fleet
    return pl.read_parquet(cfg.reports_dir / "2026-10" / PARQUET)


def _bill(cfg) -> dict[str, tuple[float, float, float, int]]:
    """The period's billing lines per currency, straight from raw_billing."""
    with duckdb.connect(str(cfg.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "SELECT billing_currency, sum(billed_cost), sum(effective_cost), sum(list_cost), "
            "count(*) FROM raw_billing WHERE charge_period_start >= $s AND charge_period_start "
            "< $e GROUP BY 1",
            {"s": datetime(2026, 10, 1), "e": datetime(2026, 10, 3)},
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_export_sums_to_the_bill_and_to_the_disclosure_totals(fleet, exported):
    cfg, paths = fleet
    assert paths["focus"] == cfg.reports_dir / "2026-10" / focus.FOLDER
    assert exported.schema == SCHEMA
    bill = _bill(cfg)
    assert bill and all(n > 0 for *_, n in bill.values())
    sums = exported.group_by("BillingCurrency").agg(
        pl.col("BilledCost", "EffectiveCost", "ListCost").sum()
    )
    assert set(sums["BillingCurrency"]) == set(bill)
    for r in sums.iter_rows(named=True):
        billed, effective, listed, _ = bill[r["BillingCurrency"]]
        assert r["BilledCost"] == pytest.approx(billed, abs=0.005)
        assert r["EffectiveCost"] == pytest.approx(effective, abs=0.005)
        assert r["ListCost"] == pytest.approx(listed, abs=0.005)
    # every billing line is carried, by the rows of its attribution
    carried = exported.select("x_SourceFile", "x_SourceLine").drop_nulls().unique()
    assert carried.height == sum(n for *_, n in bill.values())
    totals = json.loads(paths["json"].read_text())["totals"]
    assert totals["cost_usd"] == pytest.approx(bill["USD"][1], abs=0.005)
    for col, field in TOTALS.items():
        assert totals[field] > 0, field
        assert exported[col].sum() == pytest.approx(totals[field], rel=1e-9), col
    # the footprint no line covers is there, at no cost, and so is footprint on billed lines
    basis = exported.group_by("x_Basis").agg(pl.col("x_EnergyFacilityKwh", "BilledCost").sum())
    by = {r["x_Basis"]: r for r in basis.iter_rows(named=True)}
    assert by["not_billed"]["BilledCost"] == 0 and by["not_billed"]["x_EnergyFacilityKwh"] > 0
    assert by["gpu_share"]["x_EnergyFacilityKwh"] > 0 and by["idle"]["x_EnergyFacilityKwh"] > 0
    assert by["tagged"]["x_EnergyFacilityKwh"] == by["unattributed"]["x_EnergyFacilityKwh"] == 0


def test_index_lists_the_export(fleet, exported):
    cfg, _ = fleet
    index = (cfg.reports_dir / "2026-10" / "tables" / "index.csv").read_text(encoding="utf-8")
    rows = {r["stem"]: r for r in csv.DictReader(io.StringIO(index))}
    entry = rows[f"../{focus.FOLDER}/{focus.STEM}"]
    assert (int(entry["rows"]), int(entry["columns"])) == exported.shape
    # the stem resolves from tables/ to the file
    assert (cfg.reports_dir / "2026-10" / "tables" / f"{entry['stem']}.csv").is_file()


@pytest.mark.parametrize(("name", "fmt"), [(CSV, "focus-csv"), (PARQUET, "focus-parquet")])
def test_focus_readers_read_the_export_back_without_loss(fleet, exported, name, fmt):
    cfg, _ = fleet
    path = cfg.reports_dir / "2026-10" / name
    assert detect_format(path) == fmt
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (
        exported.height,
        exported.height,
        0,
    )
    got = result.frame
    want = exported.with_columns(pl.col(pl.Datetime).dt.replace_time_zone(None))
    pairs = {
        "billed_cost": "BilledCost",
        "effective_cost": "EffectiveCost",
        "list_cost": "ListCost",
        "billing_currency": "BillingCurrency",
        "charge_period_start": "ChargePeriodStart",
        "charge_period_end": "ChargePeriodEnd",
        "resource_id": "ResourceId",
        "tags": "Tags",
        "consumed_quantity": "ConsumedQuantity",
    }
    for raw, col in pairs.items():
        assert got[raw].to_list() == want[col].to_list(), col


def test_csv_and_parquet_hold_the_same_rows(fleet, exported):
    cfg, _ = fleet
    text = pl.read_csv(
        cfg.reports_dir / "2026-10" / CSV,
        schema={c: (pl.String if isinstance(t, pl.Datetime) else t) for c, t in SCHEMA.items()},
    )
    as_text = exported.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ"))
    assert text.equals(as_text)


def _export(cfg) -> focus.FocusExport:
    with connect(cfg.warehouse_path, read_only=True) as con:
        return focus.focus_export(con, START, LAST)


def _totals(paths) -> Totals:
    return Totals.model_validate(json.loads(paths["json"].read_text())["totals"])


def test_a_dropped_or_doubled_row_fails_the_reconciliation(fleet):
    cfg, paths = fleet
    export, totals = _export(cfg), _totals(paths)
    assert reconcile(export, totals) == []
    rows = export.rows.with_row_index("i")
    costly = rows.filter(pl.col("BilledCost") > 1)["i"][0]
    unbilled = rows.filter(pl.col("x_Basis") == "not_billed")["i"][0]
    for drop, expect in ((costly, "BilledCost in USD"), (unbilled, "x_EnergyFacilityKwh")):
        dropped = focus.FocusExport(rows.filter(pl.col("i") != drop).drop("i"), export.lines)
        problems = reconcile(dropped, totals)
        assert any(p.startswith(expect) for p in problems), problems
    doubled = pl.concat([export.rows, export.rows.filter(pl.col("x_Basis") == "gpu_share")[:1]])
    problems = reconcile(focus.FocusExport(doubled, export.lines), totals)
    assert any(p.startswith("x_EmbodiedKg") for p in problems), problems


def test_a_report_whose_export_does_not_reconcile_is_not_written(fleet, monkeypatch):
    cfg, _ = fleet

    def lossy(con, start_day, end_day):
        e = focus.focus_export(con, start_day, end_day)
        return focus.FocusExport(e.rows.filter(pl.col("x_Basis") != "not_billed"), e.lines)

    monkeypatch.setattr("pipeline.reporting.focus_export", lossy)
    with connect(cfg.warehouse_path) as con, pytest.raises(PublicationBlocked) as e:
        report_period(con, cfg, START, LAST, "2026-10-lossy")
    assert "FOCUS export does not reconcile" in str(e.value)
    assert "x_EnergyFacilityKwh" in str(e.value)
    assert not (cfg.reports_dir / "2026-10-lossy").exists()


def test_delivery_publishes_the_export_with_the_set(fleet, tmp_path):
    cfg, _ = fleet
    folder = cfg.reports_dir / "2026-10"
    report = read_report(folder, "2026-10")
    assert {CSV, PARQUET} <= set(report.files)
    dest = tmp_path / "share" / "2026-10"
    publish(report, dest)
    for name in (CSV, PARQUET):
        assert (dest / name).read_bytes() == (folder / name).read_bytes()


def test_the_export_is_the_same_when_made_again(fleet):
    cfg, _ = fleet
    files = focus.focus_files(_export(cfg))
    assert files[CSV] == (cfg.reports_dir / "2026-10" / CSV).read_bytes()
