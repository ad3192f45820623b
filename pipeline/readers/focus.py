"""FOCUS 1.x billing export (CSV) → raw_billing.

Exports quote strings and write an unquoted literal NULL for null, sometimes behind a UTF-8 BOM.
The csv module cannot tell `NULL` from `"NULL"`, so both read as null; no FOCUS column has the
string "NULL" as a meaningful value. Tags stay JSON text: their keys are provider-defined.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult

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
# FOCUS 1.3 renamed ProviderName to ServiceProviderName; pre-1.0 exports used Region.
COLUMNS = [
    Column("provider", ("ProviderName", "ServiceProviderName"), _csv.text),
    Column("billing_account_id", ("BillingAccountId",), _csv.text),
    Column("billing_currency", ("BillingCurrency",), _csv.text),
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


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return _csv.read_table(source, FORMAT, TABLE, SCHEMA, NOT_NULL, COLUMNS, NULL_TOKENS)
