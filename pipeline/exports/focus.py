"""The FOCUS export of a report period: attributed cost in FOCUS 1.2 columns, with energy, carbon,
water and embodied carbon in `x_` columns (`focus/cost-and-energy.csv` and `.parquet`).

Rows (docs/outputs.md has the column list and an example):
- one per billing line × job, as cost_attributed (job_key NULL for the line's idle remainder, a
  tagged line or an unattributed one), for the lines charged in the period: the line's own FOCUS
  columns, its costs (BilledCost, EffectiveCost, ListCost) and ConsumedQuantity multiplied by the
  row's share (BilledCost and EffectiveCost are cost_attributed's, whose parts sum to the line);
  the footprint columns are the job's (or the idle capacity's) footprint on the line's host over
  the line's charge period (sql/disclosure/select_focus_energy_parts.sql);
- one per UTC day × host × job (x_Basis `not_billed`, costs 0, ChargeCategory `Usage`) for the
  footprint no billing line of the period covers: hosts without a bill, hours outside every
  charge period. Its ChargePeriodStart/End span the hours it covers.
So per currency the costs sum to the period's bill, and the footprint columns sum to the
disclosure's totals (`focus_check.reconcile` checks both before the report set is written).

Derived columns: BillingPeriodStart/End are the UTC calendar month of ChargePeriodStart
(raw_billing does not keep the invoice's billing period); ContractedCost is null (not kept).
A not_billed row's BillingCurrency is the bill's most common currency (USD when there is no bill):
its costs are 0 in any currency.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from pipeline.exports.focus_columns import ENERGY_PARTS, LINE_COLUMNS, SCHEMA
from pipeline.method import period
from pipeline.warehouse import frame

FOLDER = "focus"  # in the report folder
STEM = "cost-and-energy"
NOT_BILLED = "not_billed"
DEFAULT_CURRENCY = "USD"
LINE_KEY = ["source_path", "line"]
ROW_KEY = [*LINE_KEY, "job_key"]
METRICS = list(ENERGY_PARTS.values())
LABELS = ["host", "phase", "model", "team"]


@dataclass(frozen=True)
class FocusExport:
    rows: pl.DataFrame  # the export, columns `focus_columns.SCHEMA`
    lines: pl.DataFrame  # the period's billing lines (raw_billing columns): the bill


def focus_export(con: duckdb.DuckDBPyConnection, start_day: date, end_day: date) -> FocusExport:
    """The export of days [start_day, end_day] (both included)."""
    window = {
        "start": datetime.combine(start_day, datetime.min.time()),
        "end": datetime.combine(end_day + timedelta(days=1), datetime.min.time()),
    }
    lines = frame(con, "select_focus_billing_lines", window)
    cost = frame(con, "select_focus_cost_rows", {"start_day": start_day, "end_day": end_day})
    parts = with_annual_instruments(
        frame(con, "select_focus_energy_parts", window),
        frame(con, "select_instruments"),
        start_day,
        end_day,
    )
    billed = billed_rows(lines, cost, parts.filter(pl.col("kind") != NOT_BILLED))
    not_billed = not_billed_rows(
        parts.filter(pl.col("kind") == NOT_BILLED).sort(["day", "host", "job_key"]),
        currency(lines),
    )
    # in a fixed order: by billing line and job (idle first), then by day, host and job
    billed = billed.sort(["x_SourceFile", "x_SourceLine", "x_JobKey"], nulls_last=False)
    return FocusExport(pl.concat([billed, not_billed], how="vertical"), lines)


def with_annual_instruments(
    parts: pl.DataFrame, instruments: pl.DataFrame, start_day: date, end_day: date
) -> pl.DataFrame:
    """Market-based carbon after the period's annual instruments, as the disclosure applies them
    to its daily rows (`period.apply_annual_instruments`: the same share of each site's
    uncovered consumption is covered in every row)."""
    volumes = period.annual_volumes(instruments, start_day, end_day)
    adjusted, _ = period.apply_annual_instruments(
        parts.with_columns(co2e_kg_market_fallback=pl.lit(0.0)), volumes
    )
    return adjusted


def currency(lines: pl.DataFrame) -> str:
    """The bill's most common currency (ties: the first by name); USD without a bill."""
    counts = lines.group_by("billing_currency").len().sort(["len", "billing_currency"])
    counts = counts.filter(pl.col("billing_currency").is_not_null())
    if not counts.height:
        return DEFAULT_CURRENCY
    top = counts.get_column("len").max()
    return str(counts.filter(pl.col("len") == top).get_column("billing_currency").min())


def billed_rows(lines: pl.DataFrame, cost: pl.DataFrame, parts: pl.DataFrame) -> pl.DataFrame:
    """Cost rows with the footprint of their line × job; a footprint part without a cost row
    (a job on the host whose share came to nothing) becomes a row with zero cost."""
    energy = parts.select(
        *ROW_KEY, "site", *[pl.col(c).alias(f"{c}_energy") for c in LABELS], *METRICS
    )
    keyed = cost.with_columns(cost_row=pl.lit(True)).join(
        energy, on=ROW_KEY, how="full", coalesce=True, nulls_equal=True
    )
    no_job = pl.col("job_key").is_null()
    rows = keyed.with_columns(
        *[pl.coalesce(c, f"{c}_energy").alias(c) for c in LABELS],
        *[pl.col(m).fill_null(0.0) for m in METRICS],
        basis=pl.coalesce(
            "basis", pl.when(no_job).then(pl.lit("idle")).otherwise(pl.lit("gpu_share"))
        ),
        share=pl.col("share").fill_null(0.0),
        cost_row=pl.col("cost_row").fill_null(False),
    ).join(lines.drop("billed_cost", "effective_cost"), on=LINE_KEY, how="left")
    # ListCost is split like cost_attributed splits the others: the idle row takes the remainder
    own = pl.col("list_cost") * pl.col("share")
    jobs = own.filter(pl.col("basis") != "idle").sum().over(LINE_KEY)
    is_cost = pl.col("cost_row")
    return (
        describe(rows)
        .with_columns(
            BilledCost=pl.when(is_cost).then("billed_cost").otherwise(0.0),
            EffectiveCost=pl.when(is_cost).then("effective_cost").otherwise(0.0),
            ListCost=pl.when(~is_cost)
            .then(0.0)
            .when(pl.col("basis") == "idle")
            .then(pl.col("list_cost") - jobs)
            .otherwise(own),
            ConsumedQuantity=pl.col("consumed_quantity") * pl.col("share"),
        )
        .pipe(to_focus)
    )


def describe(rows: pl.DataFrame) -> pl.DataFrame:
    """ChargeDescription: what the row is a share of."""
    job, host = pl.col("job_key"), pl.col("host").fill_null("?")
    text = (
        pl.when(pl.col("basis") == "gpu_share")
        .then(pl.concat_str(pl.lit("GPU-time share of job "), job))
        .when(pl.col("basis") == "idle")
        .then(pl.concat_str(pl.lit("Idle capacity of host "), host))
        .when(pl.col("basis") == "tagged")
        .then(pl.concat_str(pl.lit("Tagged line, phase "), pl.col("phase")))
        .when(pl.col("basis") == NOT_BILLED)
        .then(pl.concat_str(pl.lit("Footprint no billing line covers, host "), host))
        .otherwise(pl.lit("Not attributed: no host or tag matches the line"))
    )
    return rows.with_columns(ChargeDescription=text)


def not_billed_rows(parts: pl.DataFrame, billing_currency: str) -> pl.DataFrame:
    rows = parts.select(
        "site",
        "job_key",
        *LABELS,
        *METRICS,
        source_path=pl.lit(None, pl.String),
        line=pl.lit(None, pl.Int64),
        basis=pl.lit(NOT_BILLED),
        share=pl.lit(0.0),
        billing_currency=pl.lit(billing_currency),
        charge_category=pl.lit("Usage"),
        charge_period_start=pl.col("first_hour_utc"),
        charge_period_end=pl.col("end_hour_utc"),
        resource_id=pl.col("host"),
        resource_name=pl.col("host"),
        BilledCost=pl.lit(0.0),
        EffectiveCost=pl.lit(0.0),
        ListCost=pl.lit(0.0),
        ConsumedQuantity=pl.lit(None, pl.Float64),
    )
    missing = [pl.lit(None, pl.String).alias(c) for c in LINE_COLUMNS.values() if c not in rows]
    return describe(rows.with_columns(missing)).pipe(to_focus)


def to_focus(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows with raw_billing and cost_attributed names → the export's columns, in order."""
    start = pl.col("charge_period_start").dt.replace_time_zone("UTC")
    month = start.dt.truncate("1mo")
    out = rows.select(
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ConsumedQuantity",
        "ChargeDescription",
        *[pl.col(raw).alias(name) for name, raw in LINE_COLUMNS.items()],
        BillingPeriodStart=month,
        BillingPeriodEnd=month.dt.offset_by("1mo"),
        ContractedCost=pl.lit(None, pl.Float64),
        x_Basis="basis",
        x_Share="share",
        x_SourceFile="source_path",
        x_SourceLine="line",
        x_Site="site",
        x_Host="host",
        x_JobKey="job_key",
        x_Phase="phase",
        x_Model="model",
        x_Team="team",
        **{name: pl.col(part) for name, part in ENERGY_PARTS.items()},
    ).with_columns(
        pl.col(c).dt.replace_time_zone("UTC") for c in ("ChargePeriodStart", "ChargePeriodEnd")
    )
    return out.select(pl.col(name).cast(dtype) for name, dtype in SCHEMA.items())


def focus_files(export: FocusExport) -> dict[str, bytes]:
    """`focus/cost-and-energy.csv` and `.parquet` (paths relative to the report folder).

    CSV: UTF-8, a header row, RFC 4180 quoting, times ISO 8601 UTC with `Z`, an empty cell for
    null, floats in their shortest exact text. Values are written as they are (no spreadsheet
    formula guard, unlike tables/*.csv): the file is for FinOps tools and must read back exactly.
    """
    times = [c for c, t in SCHEMA.items() if isinstance(t, pl.Datetime)]
    text = export.rows.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ") for c in times
    ).write_csv(line_terminator="\n")
    buf = io.BytesIO()
    export.rows.write_parquet(buf, compression="zstd", statistics=True)
    return {
        f"{FOLDER}/{STEM}.csv": text.encode("utf-8"),
        f"{FOLDER}/{STEM}.parquet": buf.getvalue(),
    }


def index_entry(export: FocusExport) -> tuple[str, str, int, int]:
    """The CSV's row in tables/index.csv (its stem relative to tables/)."""
    title = "Attributed cost with energy, carbon, water: FOCUS 1.2 columns (also as .parquet)"
    return f"../{FOLDER}/{STEM}", title, export.rows.height, export.rows.width
