"""The CUR field table: which legacy and CUR 2.0 header fills each raw_billing column and each
intermediate column the amortisation needs, with its parser and whether it is required.

The mapping is documented in aws_cur.py; `columns(1)` is the legacy CSV's table (aws_cur.py),
`columns(2)` CUR 2.0's (aws_cur2.py).
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers.billing import focus

# Intermediate columns: raw_billing's own plus what the amortisation needs.
DTYPES = {
    **dict(focus.SCHEMA),
    "line_item_type": pl.String,
    "product_code": pl.String,
    "product_name": pl.String,
    "product_map_name": pl.String,
    "product_map_region": pl.String,
    "sp_effective_cost": pl.Float64,
    "sp_total_commitment": pl.Float64,
    "sp_used_commitment": pl.Float64,
    "ri_effective_cost": pl.Float64,
    "ri_unused_upfront": pl.Float64,
    "ri_unused_recurring": pl.Float64,
    "ri_arn": pl.String,
}

# target, legacy header(s), CUR 2.0 header(s), parser, required
FIELDS: list[tuple[str, tuple[str, ...], tuple[str, ...], _csv.Parser, bool]] = [
    ("billing_account_id", ("bill/PayerAccountId",), ("bill_payer_account_id",), _csv.text, False),
    (
        "billing_currency",
        ("lineItem/CurrencyCode",),
        ("line_item_currency_code",),
        _csv.currency,
        True,
    ),
    (
        "charge_period_start",
        ("lineItem/UsageStartDate",),
        ("line_item_usage_start_date",),
        _csv.utc_time,
        True,
    ),
    (
        "charge_period_end",
        ("lineItem/UsageEndDate",),
        ("line_item_usage_end_date",),
        _csv.utc_time,
        False,
    ),
    (
        "line_item_type",
        ("lineItem/LineItemType",),
        ("line_item_line_item_type",),
        _csv.text,
        True,
    ),
    ("product_code", ("lineItem/ProductCode",), ("line_item_product_code",), _csv.text, False),
    ("product_name", ("product/ProductName",), ("product_product_name",), _csv.text, False),
    ("resource_id", ("lineItem/ResourceId",), ("line_item_resource_id",), _csv.text, False),
    (
        "region_id",
        ("product/region", "product/regionCode"),
        ("product_region_code", "product_region"),
        _csv.text,
        False,
    ),
    ("sku_id", ("product/sku",), ("product_sku",), _csv.text, False),
    (
        "consumed_quantity",
        ("lineItem/UsageAmount",),
        ("line_item_usage_amount",),
        _csv.number,
        False,
    ),
    ("consumed_unit", ("pricing/unit",), ("pricing_unit",), _csv.text, False),
    (
        "billed_cost",
        ("lineItem/UnblendedCost",),
        ("line_item_unblended_cost",),
        _csv.number,
        True,
    ),
    (
        "list_cost",
        ("pricing/publicOnDemandCost",),
        ("pricing_public_on_demand_cost",),
        _csv.number,
        False,
    ),
    (
        "sp_effective_cost",
        ("savingsPlan/SavingsPlanEffectiveCost",),
        ("savings_plan_savings_plan_effective_cost",),
        _csv.number,
        False,
    ),
    (
        "sp_total_commitment",
        ("savingsPlan/TotalCommitmentToDate",),
        ("savings_plan_total_commitment_to_date",),
        _csv.number,
        False,
    ),
    (
        "sp_used_commitment",
        ("savingsPlan/UsedCommitment",),
        ("savings_plan_used_commitment",),
        _csv.number,
        False,
    ),
    (
        "ri_effective_cost",
        ("reservation/EffectiveCost",),
        ("reservation_effective_cost",),
        _csv.number,
        False,
    ),
    (
        "ri_unused_upfront",
        ("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",),
        ("reservation_unused_amortized_upfront_fee_for_billing_period",),
        _csv.number,
        False,
    ),
    (
        "ri_unused_recurring",
        ("reservation/UnusedRecurringFee",),
        ("reservation_unused_recurring_fee",),
        _csv.number,
        False,
    ),
    (
        "ri_arn",
        ("reservation/ReservationARN",),
        ("reservation_reservation_a_r_n",),
        _csv.text,
        False,
    ),
]


def columns(version: int) -> list[Column]:
    """The Column table for CUR legacy (1) or CUR 2.0 (2)."""
    return [
        Column(
            target,
            legacy if version == 1 else cur2,
            parse,
            required=required,
            missing=_csv.CURRENCY_MISSING if target == "billing_currency" else None,
        )
        for target, legacy, cur2, parse, required in FIELDS
    ]
