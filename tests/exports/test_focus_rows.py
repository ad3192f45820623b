"""The FOCUS export's row building and its cost reconciliation on hand-made frames: a billing line
split between a job and idle, a job with footprint on the line but no cost share, the currency of
zero-cost rows, and a bill in two currencies."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pipeline.exports import focus
from pipeline.exports.focus_check import cost_mismatches
from pipeline.exports.focus_columns import ENERGY_PARTS, SCHEMA

T0, T1 = datetime(2026, 10, 1, 0), datetime(2026, 10, 1, 1)


def _lines(*rows: tuple[str, int, str, float, float, float]) -> pl.DataFrame:
    """(source_path, line, currency, billed, effective, list) → select_focus_billing_lines."""
    text = dict.fromkeys(
        ("provider", "billing_account_id", "charge_category", "service_name", "service_category")
        + ("resource_id", "resource_name", "region_id", "sku_id", "consumed_unit", "tags"),
        pl.String,
    )
    return pl.DataFrame(
        [(p, n, cur, T0, T1, b, e, li, "h1", 1.0) for p, n, cur, b, e, li in rows],
        schema={
            "source_path": pl.String,
            "line": pl.Int64,
            "billing_currency": pl.String,
            "charge_period_start": pl.Datetime("us"),
            "charge_period_end": pl.Datetime("us"),
            "billed_cost": pl.Float64,
            "effective_cost": pl.Float64,
            "list_cost": pl.Float64,
            "resource_name": pl.String,
            "consumed_quantity": pl.Float64,
        },
        orient="row",
    ).with_columns(pl.lit(None, t).alias(c) for c, t in text.items() if c != "resource_name")


def _cost(*rows: tuple[str | None, str, float, float, float]) -> pl.DataFrame:
    """(job_key, basis, share, effective, billed) of line b.csv:2 → select_focus_cost_rows."""
    return pl.DataFrame(
        [
            ("b.csv", 2, job, basis, "h1", "training" if job else "idle", None, None, s, e, b)
            for job, basis, s, e, b in rows
        ],
        schema=["source_path", "line", "job_key", "basis", "host", "phase", "model", "team"]
        + ["share", "effective_cost", "billed_cost"],
        orient="row",
    )


def _parts(*rows: tuple[str | None, float]) -> pl.DataFrame:
    """(job_key, facility kWh) on line b.csv:2 → billed parts of select_focus_energy_parts."""
    metrics = list(ENERGY_PARTS.values())
    return pl.DataFrame(
        [
            ("billed", "b.csv", 2, "s1", "h1", job, "training" if job else "idle", None, None)
            + tuple(kwh for _ in metrics)
            for job, kwh in rows
        ],
        schema=["kind", "source_path", "line", "site", "host", "job_key", "phase", "model"]
        + ["team", *metrics],
        orient="row",
    )


def test_a_line_split_between_jobs_and_idle_keeps_its_costs_and_footprint():
    lines = _lines(("b.csv", 2, "EUR", 8.0, 9.0, 10.0))
    cost = _cost(("j1", "gpu_share", 0.25, 2.25, 2.0), (None, "idle", 0.75, 6.75, 6.0))
    # j2 drew energy on the host in the line's hours but has no share of its cost
    rows = focus.billed_rows(lines, cost, _parts(("j1", 3.0), (None, 5.0), ("j2", 0.5)))
    assert rows.schema == SCHEMA
    by = {r["x_JobKey"]: r for r in rows.iter_rows(named=True)}
    assert set(by) == {"j1", None, "j2"}
    assert (by["j1"]["BilledCost"], by["j1"]["EffectiveCost"], by["j1"]["ListCost"]) == (
        2.0,
        2.25,
        2.5,
    )
    assert by[None]["ListCost"] == 7.5 and by[None]["x_Basis"] == "idle"
    assert by["j2"]["BilledCost"] == by["j2"]["EffectiveCost"] == by["j2"]["ListCost"] == 0.0
    assert by["j2"]["x_Basis"] == "gpu_share" and by["j2"]["x_Share"] == 0.0
    assert by["j1"]["ConsumedQuantity"] == 0.25
    assert rows["x_EnergyFacilityKwh"].sum() == 8.5
    assert rows["BillingCurrency"].to_list() == ["EUR"] * 3
    month = (by["j1"]["BillingPeriodStart"], by["j1"]["BillingPeriodEnd"])
    assert month == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert by[None]["ChargeDescription"] == "Idle capacity of host h1"


def test_zero_cost_rows_take_the_bills_most_common_currency():
    assert focus.currency(_lines()) == "USD"
    two_eur = _lines(("a", 1, "EUR", 1, 1, 1), ("a", 2, "EUR", 1, 1, 1), ("a", 3, "USD", 1, 1, 1))
    assert focus.currency(two_eur) == "EUR"
    tie = _lines(("a", 1, "USD", 1, 1, 1), ("a", 2, "EUR", 1, 1, 1))
    assert focus.currency(tie) == "EUR"


@pytest.fixture
def two_currencies() -> focus.FocusExport:
    lines = _lines(("b.csv", 2, "EUR", 8.0, 9.0, 10.0), ("b.csv", 3, "USD", 4.0, 4.0, 4.0))
    cost = pl.concat(
        [
            _cost(("j1", "gpu_share", 0.25, 2.25, 2.0), (None, "idle", 0.75, 6.75, 6.0)),
            _cost((None, "unattributed", 1.0, 4.0, 4.0)).with_columns(line=pl.lit(3, pl.Int64)),
        ]
    )
    return focus.FocusExport(focus.billed_rows(lines, cost, _parts(("j1", 1.0))), lines)


def test_costs_reconcile_per_currency(two_currencies):
    assert cost_mismatches(two_currencies) == []
    rows = two_currencies.rows
    # a cent moved from the EUR line to the USD line: both currencies are off, nothing added up
    moved = rows.with_columns(
        BilledCost=pl.when(pl.col("BillingCurrency") == "EUR")
        .then(pl.col("BilledCost") - 0.005)
        .otherwise(pl.col("BilledCost") + 0.01)
    )
    problems = cost_mismatches(focus.FocusExport(moved, two_currencies.lines))
    assert [p.split(":")[0] for p in problems] == ["BilledCost in EUR", "BilledCost in USD"]
    lost = rows.filter(pl.col("x_SourceLine") != 3)
    problems = cost_mismatches(focus.FocusExport(lost, two_currencies.lines))
    assert problems[0] == "1 billing line(s) have no row in the export, first b.csv line 3"
