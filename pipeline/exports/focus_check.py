"""The FOCUS export's reconciliation: its sums against the bill and the disclosure.

- every billing line of the period is carried by at least one row;
- per BillingCurrency, BilledCost, EffectiveCost and ListCost sum to the period's billing lines
  (within `cost.TOLERANCE`, half a cent), and the USD EffectiveCost to disclosure `totals.cost_usd`;
- each footprint column sums to its disclosure `totals` field (`focus_columns.TOTALS`), within a
  relative 1e-9 (float sums in another order; a lost or doubled row is far above it).

`reconcile` returns the mismatches, one line each; `reporting.report_period` refuses to write a
report set whose export does not reconcile.
"""

from __future__ import annotations

import math

import polars as pl

from pipeline.disclosure.model import Totals
from pipeline.exports.focus import FocusExport
from pipeline.exports.focus_columns import COSTS, TOTALS
from pipeline.method.cost import TOLERANCE

RELATIVE_TOLERANCE = 1e-9
# export cost column -> raw_billing column
BILL = {"BilledCost": "billed_cost", "EffectiveCost": "effective_cost", "ListCost": "list_cost"}


def _sums(df: pl.DataFrame, by: str, columns: list[str]) -> dict[str, dict[str, float]]:
    if not df.height:
        return {}
    g = df.group_by(by).agg(pl.col(c).sum() for c in columns)
    return {r[by]: r for r in g.iter_rows(named=True)}


def cost_mismatches(export: FocusExport, tolerance: float = TOLERANCE) -> list[str]:
    rows, lines = export.rows, export.lines
    carried = rows.select(source_path="x_SourceFile", line="x_SourceLine").drop_nulls().unique()
    missing = lines.join(carried, on=["source_path", "line"], how="anti")
    out = []
    if missing.height:
        first = missing.row(0, named=True)
        out.append(
            f"{missing.height} billing line(s) have no row in the export, first "
            f"{first['source_path']} line {first['line']}"
        )
    got = _sums(rows, "BillingCurrency", list(COSTS))
    want = _sums(lines, "billing_currency", list(BILL.values()))
    for cur in sorted(set(got) | set(want), key=str):
        for col, raw in BILL.items():
            g, w = got.get(cur, {}).get(col) or 0.0, want.get(cur, {}).get(raw) or 0.0
            if abs(g - w) > tolerance:
                out.append(f"{col} in {cur}: the export sums to {g!r}, the bill to {w!r}")
    return out


def reconcile(export: FocusExport, totals: Totals, tolerance: float = TOLERANCE) -> list[str]:
    """Every way the export's sums differ from the bill and from `totals` (empty: it agrees)."""
    out = cost_mismatches(export, tolerance)
    rows = export.rows
    usd = float(rows.filter(pl.col("BillingCurrency") == "USD")["EffectiveCost"].sum() or 0.0)
    if abs(usd - totals.cost_usd) > tolerance:
        out.append(
            f"EffectiveCost in USD: the export sums to {usd!r}, totals.cost_usd is "
            f"{totals.cost_usd!r}"
        )
    for col, field in TOTALS.items():
        got, want = float(rows[col].sum() or 0.0), float(getattr(totals, field))
        if not math.isclose(got, want, rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE):
            out.append(f"{col}: the export sums to {got!r}, totals.{field} is {want!r}")
    return out
