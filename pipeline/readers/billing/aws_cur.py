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

The field table is in _cur_fields.py, the charge category and amortisation in _cur_charges.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column, Prefixed
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.billing import focus
from pipeline.readers.billing._cur_charges import to_focus
from pipeline.readers.billing._cur_fields import DTYPES, columns

FORMAT = "aws-cur-legacy-csv"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL


def _user_key(key: str) -> str:
    return key[len("user:") :] if key.startswith("user:") and len(key) > len("user:") else key


LEGACY_COLUMNS = columns(1)
LEGACY_TAGS = Prefixed("tags", ("resourceTags/",), _user_key)


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "lineItem/UnblendedCost", "lineItem/UsageStartDate")


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
