"""Oracle Cloud Infrastructure cost report CSV (`reports/cost-csv/*.csv`) → raw_billing in FOCUS
columns.

    provider             ← "Oracle"
    billing_account_id   ← lineItem/tenantId
    billing_currency     ← cost/currencyCode                                  (required)
    charge_period_start  ← lineItem/intervalUsageStart                        (required)
    charge_period_end    ← lineItem/intervalUsageEnd
    charge_category      ← "Usage" (cost reports list metered usage)
    service_name         ← product/service (e.g. COMPUTE)
    resource_id          ← product/resourceId
    region_id            ← product/region
    sku_id               ← cost/productSku
    consumed_quantity    ← usage/billedQuantity
    consumed_unit        ← cost/skuUnitDescription
    billed_cost          ← cost/myCost (required): the cost charged for the line
    effective_cost       ← cost/myCost (OCI's report is already the net cost of the line)
    tags                 ← tags/* columns → one JSON object, key = header minus `tags/`
                           (`tags/Oracle-Tags.CreatedBy` → `Oracle-Tags.CreatedBy`)
    service_category, resource_name, list_cost ← null

Correction lines (`lineItem/isCorrection` = true, pointing at the corrected line through
`lineItem/backreferenceNo`) are kept as written, like any other line; the real sample has none, so
whether a correction adjusts or replaces its original is not handled here (known limit).

Times are ISO-8601 UTC; OCI writes starts without seconds (`2023-11-13T10:00Z`), which is read as
the same minute.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column, Prefixed
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.billing import focus

FORMAT = "oci-cost-csv"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL
PROVIDER = "Oracle"

COLUMNS = [
    Column("billing_account_id", ("lineItem/tenantId",), _csv.text),
    Column(
        "billing_currency",
        ("cost/currencyCode",),
        _csv.currency,
        required=True,
        missing=_csv.CURRENCY_MISSING,
    ),
    Column("charge_period_start", ("lineItem/intervalUsageStart",), _csv.utc_time, required=True),
    Column("charge_period_end", ("lineItem/intervalUsageEnd",), _csv.utc_time),
    Column("service_name", ("product/service",), _csv.text),
    Column("resource_id", ("product/resourceId",), _csv.text),
    Column("region_id", ("product/region",), _csv.text),
    Column("sku_id", ("cost/productSku",), _csv.text),
    Column("consumed_quantity", ("usage/billedQuantity",), _csv.number),
    Column("consumed_unit", ("cost/skuUnitDescription",), _csv.text),
    Column("billed_cost", ("cost/myCost",), _csv.number, required=True),
]
TAGS = Prefixed("tags", ("tags/",))


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "cost/myCost", "lineItem/intervalUsageStart")


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    candidates, problems = _csv.parse_table(
        source, FORMAT, SCHEMA, NOT_NULL, COLUMNS, frozenset({""}), [TAGS]
    )
    framed = candidates.with_columns(
        provider=pl.lit(PROVIDER),
        charge_category=pl.lit("Usage"),
        effective_cost=pl.col("billed_cost"),
    )
    return focus.finish(source, FORMAT, framed, problems)
