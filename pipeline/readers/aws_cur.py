"""AWS Cost and Usage Report, legacy CSV (`lineItem/UnblendedCost` headers) → raw_billing in
FOCUS columns. CUR 2.0 (snake_case headers) is `aws_cur2`, with the same mapping.

Mapping (after the FinOps Foundation's focus-converters and AWS's own amortised-cost definition),
raw_billing column ← CUR legacy header | CUR 2.0 header:

    provider             ← "AWS"
    billing_account_id   ← bill/PayerAccountId | bill_payer_account_id
    billing_currency     ← lineItem/CurrencyCode | line_item_currency_code           (required)
    charge_period_start  ← lineItem/UsageStartDate | line_item_usage_start_date      (required)
    charge_period_end    ← lineItem/UsageEndDate | line_item_usage_end_date
    charge_category      ← lineItem/LineItemType | line_item_line_item_type          (see below)
    service_name         ← product/ProductName | product['product_name'] or product_product_name,
                           else lineItem/ProductCode | line_item_product_code
    resource_id          ← lineItem/ResourceId | line_item_resource_id
    region_id            ← product/region, else product/regionCode
                           | product_region_code, else product['region']
    sku_id               ← product/sku | product_sku
    consumed_quantity    ← lineItem/UsageAmount | line_item_usage_amount
    consumed_unit        ← pricing/unit | pricing_unit
    billed_cost          ← lineItem/UnblendedCost | line_item_unblended_cost           (required)
    effective_cost       ← by line item type (see below)
    list_cost            ← pricing/publicOnDemandCost | pricing_public_on_demand_cost
    tags                 ← resourceTags/* columns → one JSON object | resource_tags (JSON map)
    service_category, resource_name ← null (no FOCUS equivalent without lookup tables)

BilledCost is the unblended cost: what the invoice charges for the line. EffectiveCost is the
amortised cost, by LineItemType (legacy names; CUR 2.0 the snake_case equivalents):

    SavingsPlanCoveredUsage  savingsPlan/SavingsPlanEffectiveCost (required on such a line)
    DiscountedUsage          reservation/EffectiveCost (required on such a line)
    SavingsPlanRecurringFee  savingsPlan/TotalCommitmentToDate - savingsPlan/UsedCommitment
                             (the unused commitment; the used part is in the covered usage)
    RIFee                    reservation/UnusedAmortizedUpfrontFeeForBillingPeriod
                             + reservation/UnusedRecurringFee (the unused reservation)
    SavingsPlanNegation,     0 (amortised into the covered usage)
    SavingsPlanUpfrontFee
    Fee with a               0 (an RI upfront fee, amortised into DiscountedUsage)
    reservation/ReservationARN
    anything else            the unblended cost

An absent amount in the RIFee/SavingsPlanRecurringFee formulas counts as 0 (CUR leaves the
reservation and savings plan columns empty where they do not apply).

ChargeCategory (FOCUS 1.0 values): Usage, DiscountedUsage, SavingsPlanCoveredUsage,
SavingsPlanNegation, BundledDiscount, Discount and the other `*Discount` types → Usage (the FOCUS
spec's supporting content puts discounts and the negation with usage); Fee, RIFee,
SavingsPlanUpfrontFee, SavingsPlanRecurringFee → Purchase; Tax → Tax; Credit, Refund → Credit;
any other type → null, row kept (its cost still counts; only the category is unknown).

Tags: user-defined cost allocation tags lose CUR's `user:` namespace (`resourceTags/user:team` →
`team`, so the attribution's `phase`/`host` tags are found), as the FOCUS Tags column wants
user-defined keys unprefixed; AWS-generated tags keep theirs (`resourceTags/aws:createdBy` →
`aws:createdBy`). In CUR 2.0 the map's keys are `user_team`: the `user_` prefix is removed the same
way. A line without tags has null tags.

Exports write times as ISO-8601 UTC (`2023-11-01T00:00:00.000Z`). The file is read with the csv
module, one record at a time, so problems name their physical line; very large CURs (millions of
lines) take tens of seconds, which is acceptable for monthly exports.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

from pipeline.readers import _csv, focus
from pipeline.readers._csv import Column, Prefixed
from pipeline.readers._text import TextFile, join_reasons
from pipeline.readers.base import ReadContext, ReadResult

FORMAT = "aws-cur-legacy-csv"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL
PROVIDER = "AWS"

# Intermediate columns: raw_billing's own plus what the amortisation needs.
DTYPES = {
    **dict(SCHEMA),
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


def _user_key(key: str) -> str:
    return key[len("user:") :] if key.startswith("user:") and len(key) > len("user:") else key


LEGACY_COLUMNS = columns(1)
LEGACY_TAGS = Prefixed("tags", ("resourceTags/",), _user_key)

CHARGE_CATEGORY = {
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage",
    "Fee": "Purchase",
    "RIFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Credit",
}


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "lineItem/UnblendedCost", "lineItem/UsageStartDate")


def to_focus(candidates: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """Parsed CUR fields → raw_billing's columns, with the amortisation's own reasons.

    `labels` names, for the reasons, the header of `sp_effective_cost` and `ri_effective_cost`
    as this CUR version spells it.
    """
    kind = pl.col("line_item_type")
    zero = pl.lit(0.0)
    effective = (
        pl.when(kind == "SavingsPlanCoveredUsage")
        .then(pl.col("sp_effective_cost"))
        .when(kind == "DiscountedUsage")
        .then(pl.col("ri_effective_cost"))
        .when(kind == "SavingsPlanRecurringFee")
        .then(
            pl.col("sp_total_commitment").fill_null(0.0)
            - pl.col("sp_used_commitment").fill_null(0.0)
        )
        .when(kind == "RIFee")
        .then(
            pl.col("ri_unused_upfront").fill_null(0.0)
            + pl.col("ri_unused_recurring").fill_null(0.0)
        )
        .when(kind.is_in(["SavingsPlanNegation", "SavingsPlanUpfrontFee"]))
        .then(zero)
        .when((kind == "Fee") & pl.col("ri_arn").is_not_null())
        .then(zero)
        .otherwise(pl.col("billed_cost"))
    )
    amortised = [
        pl.when((kind == "SavingsPlanCoveredUsage") & pl.col("sp_effective_cost").is_null()).then(
            pl.lit(
                f"{labels['sp_effective_cost']}: expected the amortised cost of a "
                "SavingsPlanCoveredUsage line, got nothing"
            )
        ),
        pl.when((kind == "DiscountedUsage") & pl.col("ri_effective_cost").is_null()).then(
            pl.lit(
                f"{labels['ri_effective_cost']}: expected the amortised cost of a "
                "DiscountedUsage line, got nothing"
            )
        ),
    ]
    category = (
        pl.when(kind.str.ends_with("Discount"))
        .then(pl.lit("Usage"))
        .otherwise(kind.replace_strict(CHARGE_CATEGORY, default=None, return_dtype=pl.String))
    )
    return candidates.with_columns(
        provider=pl.lit(PROVIDER),
        charge_category=category,
        service_name=pl.coalesce("product_name", "product_map_name", "product_code"),
        region_id=pl.coalesce("region_id", "product_map_region"),
        effective_cost=effective,
        reason=join_reasons([pl.col("reason"), *amortised]),
    )


def read_with(
    source: TextFile,
    fmt: str,
    cols: list[Column],
    prefixed: list[Prefixed],
) -> ReadResult:
    candidates, problems = _csv.parse_table(
        source, fmt, DTYPES, NOT_NULL, cols, frozenset({""}), prefixed
    )
    for needed in ("product_map_name", "product_map_region", "tags"):
        if needed not in candidates.columns:
            candidates = candidates.with_columns(pl.lit(None, dtype=pl.String).alias(needed))
    labels = {c.target: c.headers[0] for c in cols}
    framed = to_focus(candidates, labels)
    return focus.finish(source, fmt, framed, problems)


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return read_with(source, FORMAT, LEGACY_COLUMNS, [LEGACY_TAGS])


def json_map(pick: Callable[[dict], object]) -> _csv.Parser:
    """A parser for a CUR 2.0 map column written as JSON text, keeping one derived value."""

    def parse(value: str) -> object:
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValueError('expected a JSON object like \'{"key": "value"}\'') from None
        if not isinstance(parsed, dict):
            raise ValueError('expected a JSON object like \'{"key": "value"}\'')
        return pick(parsed)

    return parse
