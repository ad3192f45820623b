"""`wattprint demo` writes the FOCUS export with its report set (read from the session's demo run):
its costs sum to the demo's bill and its footprint columns to the demo's disclosure.json totals."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipeline.exports import focus
from pipeline.exports.focus_columns import SCHEMA, TOTALS


def test_demo_writes_the_focus_export_that_sums_to_its_bill_and_totals(demo_run):
    folder = demo_run.reports / focus.FOLDER
    assert (folder / f"{focus.STEM}.csv").is_file()
    rows = pl.read_parquet(folder / f"{focus.STEM}.parquet")
    assert rows.schema == SCHEMA
    d = demo_run.disclosure
    for col, field in TOTALS.items():
        assert rows[col].sum() == pytest.approx(d["totals"][field], rel=1e-9), col
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        bill = con.execute(
            "SELECT billing_currency, sum(billed_cost), sum(effective_cost) FROM raw_billing "
            "WHERE CAST(charge_period_start AS DATE) BETWEEN $s AND $e GROUP BY 1",
            {"s": d["period"]["start"], "e": d["period"]["end"]},
        ).fetchall()
    got = rows.group_by("BillingCurrency").agg(pl.col("BilledCost", "EffectiveCost").sum())
    got_by = {r[0]: r[1:] for r in got.iter_rows()}
    assert set(got_by) == {c for c, *_ in bill}
    for cur, billed, effective in bill:
        assert got_by[cur] == pytest.approx((billed, effective), abs=0.005), cur
    assert rows.filter(pl.col("x_Basis") == "not_billed")["x_EnergyFacilityKwh"].sum() > 0
