"""FOCUS 1.x billing export (CSV) → raw_billing, and what every billing reader shares.

FOCUS 1.0, 1.1 and 1.2 all carry the columns read here under the same names; 1.3 renamed
ProviderName to ServiceProviderName (both accepted); pre-1.0 exports used Region. Provider
extension columns (`x_...`) and every other column are ignored.

Exports quote strings and write an unquoted literal NULL for null, sometimes behind a UTF-8 BOM.
The csv module cannot tell `NULL` from `"NULL"`, so both read as null; no FOCUS column has the
string "NULL" as a meaningful value. Tags stay JSON text: their keys are provider-defined.

Money rules for every billing format (FOCUS, FOCUS Parquet, AWS CUR, Azure, OCI):
- `billing_currency` must be an ISO 4217 alphabetic code, three capital letters (`USD`); any
  other value, or none, quarantines the row: costs without a currency cannot be reconciled. A file
  with no currency column at all is unreadable (the column is required).
- costs (`billed_cost`, `effective_cost`, `list_cost`) must be finite numbers; `BilledCost` is
  required, `EffectiveCost` may be null in FOCUS (kept null, never guessed).
- rows keep the provider's own figures in `billing_currency`; nothing is converted.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import Source, TextFile, assemble, join_reasons
from pipeline.readers.base import Problem, ReadContext, ReadResult

FORMAT = "focus-csv"
TABLE = "raw_billing"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "provider": pl.String,
        "billing_account_id": pl.String,
        "billing_currency": pl.String,
        "charge_period_start": pl.Datetime("us"),
        "charge_period_end": pl.Datetime("us"),
        "charge_category": pl.String,
        "service_name": pl.String,
        "service_category": pl.String,
        "resource_id": pl.String,
        "resource_name": pl.String,
        "region_id": pl.String,
        "sku_id": pl.String,
        "consumed_quantity": pl.Float64,
        "consumed_unit": pl.String,
        "billed_cost": pl.Float64,
        "effective_cost": pl.Float64,
        "list_cost": pl.Float64,
        "tags": pl.String,
    }
)
NOT_NULL = ("line",)
COSTS = ("billed_cost", "effective_cost", "list_cost")
# FOCUS 1.3 renamed ProviderName to ServiceProviderName; pre-1.0 exports used Region.
COLUMNS = [
    Column("provider", ("ProviderName", "ServiceProviderName"), _csv.text),
    Column("billing_account_id", ("BillingAccountId",), _csv.text),
    Column(
        "billing_currency",
        ("BillingCurrency",),
        _csv.currency,
        required=True,
        missing=_csv.CURRENCY_MISSING,
    ),
    Column("charge_period_start", ("ChargePeriodStart",), _csv.utc_time, required=True),
    Column("charge_period_end", ("ChargePeriodEnd",), _csv.utc_time),
    Column("charge_category", ("ChargeCategory",), _csv.text),
    Column("service_name", ("ServiceName",), _csv.text),
    Column("service_category", ("ServiceCategory",), _csv.text),
    Column("resource_id", ("ResourceId",), _csv.text),
    Column("resource_name", ("ResourceName",), _csv.text),
    Column("region_id", ("RegionId", "Region"), _csv.text),
    Column("sku_id", ("SkuId",), _csv.text),
    Column("consumed_quantity", ("ConsumedQuantity",), _csv.number),
    Column("consumed_unit", ("ConsumedUnit",), _csv.text),
    Column("billed_cost", ("BilledCost",), _csv.number, required=True),
    Column("effective_cost", ("EffectiveCost",), _csv.number),
    Column("list_cost", ("ListCost",), _csv.number),
    Column("tags", ("Tags",), _csv.json_object),
]
NULL_TOKENS = frozenset({"", "NULL"})


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "BilledCost", "ChargePeriodStart")


def finish(
    source: Source, fmt: str, candidates: pl.DataFrame, problems: list[Problem]
) -> ReadResult:
    """Candidate rows in raw_billing's columns (plus `line`, `reason`, optionally `raw`) → result.

    Columns a format does not have are added as nulls. Costs a converter derived by arithmetic
    are checked finite here (parsed costs already are), so no reader can load an inf.
    """
    missing = [pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in SCHEMA if c not in candidates]
    frame = candidates.with_columns(missing) if missing else candidates
    infinite = [
        pl.when(pl.col(c).is_infinite() | pl.col(c).is_nan()).then(
            pl.concat_str(pl.lit(f"{c}: expected a finite cost, got '"), pl.col(c), pl.lit("'"))
        )
        for c in COSTS
    ]
    frame = frame.with_columns(
        reason=pl.coalesce(pl.col("reason"), join_reasons(infinite)),
    )
    return assemble(source, fmt, TABLE, SCHEMA, NOT_NULL, frame, problems)


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    candidates, problems = _csv.parse_table(source, FORMAT, SCHEMA, NOT_NULL, COLUMNS, NULL_TOKENS)
    return finish(source, FORMAT, candidates, problems)
