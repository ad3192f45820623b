"""Azure cost details CSV (EA and MCA "cost details"/usage exports, actual or amortized) →
raw_billing in FOCUS columns.

Column names vary by export vintage and agreement; each FOCUS column takes the first spelling
present (compared case-insensitively, so MCA's camelCase `costInBillingCurrency` matches too):

    provider             ← "Microsoft"
    billing_account_id   ← BillingAccountId, EnrollmentNumber, BillingProfileId,
                           SubscriptionId, SubscriptionGuid
    billing_currency     ← BillingCurrencyCode, BillingCurrency, Currency          (required)
    charge_period_start  ← Date, UsageDateTime, UsageDate                          (required)
    charge_period_end    ← start + 1 day: cost details rows are daily, the whole UTC day
    charge_category      ← ChargeType (see below)
    service_name         ← MeterCategory, else ConsumedService
    resource_id          ← ResourceId, InstanceId
    resource_name        ← ResourceName
    region_id            ← ResourceLocation (as written; Azure mixes `EastUS` and `eastus`)
    sku_id               ← ProductId, PartNumber, MeterId
    consumed_quantity    ← Quantity, UsageQuantity, ConsumedQuantity
    consumed_unit        ← UnitOfMeasure
    billed_cost, effective_cost ← CostInBillingCurrency, Cost, PreTaxCost (required; see below)
    list_cost            ← PaygCostInBillingCurrency (null where the export has none)
    tags                 ← Tags: JSON object text; exports write it with or without the outer
                           braces (`"env": "prod","org": "trey"`), which are added
    service_category     ← null (ServiceFamily is not FOCUS's category list)

Dates: `M/D/YYYY` or `MM/DD/YYYY` (US order, as Azure writes them; a trailing midnight such as
` 12:00:00 AM` or ` 00:00:00` is allowed), ISO `YYYY-MM-DD`, or an ISO time at midnight
(`2019-01-05T00:00:00.0000000`). Slash dates are month-first unless the file
itself proves otherwise: if some first field is above 12 and no second field is, the file was
re-saved day-first (e.g. through a European spreadsheet) and is read day-first. A file whose
dates are all ambiguous (both fields ≤ 12) is read month-first. A time of day other than midnight
quarantines the row (cost details are daily).

Actual vs amortized: both exports have the same columns; what differs is the cost on commitment
lines. One per-row rule, keyed on ChargeType and PricingModel, gives each export the right split,
so the reader needs no whole-file guess at which export it holds:

    ChargeType / PricingModel                       billed_cost   effective_cost
    Purchase of a Reservation or SavingsPlan        cost          0   (amortised into usage)
    Usage under a Reservation or SavingsPlan        0             cost (covered usage)
    UnusedReservation, UnusedSavingsPlan            0             cost (the unused commitment)
    anything else (on-demand, spot, marketplace,    cost          cost
      refunds, tax, rounding)

In an actual export, covered usage carries cost 0 (so both are 0) and the purchase carries the
price (billed, not effective); in an amortized export, covered usage carries its amortised share
(effective, not billed: the invoice charged the purchase) and unused commitment appears as its
own lines. So an actual export's billed_cost sums to the invoice and an amortized export's
effective_cost sums to the amortised total, as in Microsoft's own FOCUS export. Loading both
exports of the same month double counts: land one of them.

ChargeCategory (FOCUS 1.0): Usage, UnusedReservation, UnusedSavingsPlan → Usage; Purchase →
Purchase; Tax → Tax; Refund → Credit; Adjustment, RoundingAdjustment → Adjustment; any other value
→ null, row kept (its cost counts; only the category is unknown).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile, first_content_line, join_reasons
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.billing import focus

FORMAT = "azure-cost-csv"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL
PROVIDER = "Microsoft"

COST_HEADERS = ("CostInBillingCurrency", "Cost", "PreTaxCost")
DATE_HEADERS = ("Date", "UsageDateTime", "UsageDate")


def tags(value: str) -> str:
    """Azure tags, with or without the outer braces → JSON object text (braces added)."""
    stripped = value.strip()
    wrapped = stripped if stripped.startswith("{") else "{" + stripped + "}"
    try:
        _csv.json_object(wrapped)
    except ValueError:
        raise ValueError(
            'expected JSON tags like \'"team": "ml"\' (with or without the outer braces)'
        ) from None
    return wrapped


DTYPES = {
    **dict(SCHEMA),
    "cost": pl.Float64,
    "charge_type": pl.String,
    "pricing_model": pl.String,
    "day": pl.String,
}
COLUMNS = [
    Column(
        "billing_account_id",
        (
            "BillingAccountId",
            "EnrollmentNumber",
            "BillingProfileId",
            "SubscriptionId",
            "SubscriptionGuid",
        ),
        _csv.text,
    ),
    Column(
        "billing_currency",
        ("BillingCurrencyCode", "BillingCurrency", "Currency"),
        _csv.currency,
        required=True,
        missing=_csv.CURRENCY_MISSING,
    ),
    Column("day", DATE_HEADERS, _csv.text, required=True, missing="expected a date, got nothing"),
    Column("charge_type", ("ChargeType",), _csv.text),
    Column("pricing_model", ("PricingModel",), _csv.text),
    Column("service_name", ("MeterCategory", "ConsumedService"), _csv.text),
    Column("resource_id", ("ResourceId", "InstanceId"), _csv.text),
    Column("resource_name", ("ResourceName",), _csv.text),
    Column("region_id", ("ResourceLocation",), _csv.text),
    Column("sku_id", ("ProductId", "PartNumber", "MeterId"), _csv.text),
    Column("consumed_quantity", ("Quantity", "UsageQuantity", "ConsumedQuantity"), _csv.number),
    Column("consumed_unit", ("UnitOfMeasure",), _csv.text),
    Column(
        "cost", COST_HEADERS, _csv.number, required=True, missing="expected a number, got nothing"
    ),
    Column("list_cost", ("PaygCostInBillingCurrency",), _csv.number),
    Column("tags", ("Tags",), tags),
]

CHARGE_CATEGORY = {
    "Usage": "Usage",
    "UnusedReservation": "Usage",
    "UnusedSavingsPlan": "Usage",
    "Purchase": "Purchase",
    "Tax": "Tax",
    "Refund": "Credit",
    "Adjustment": "Adjustment",
    "RoundingAdjustment": "Adjustment",
}
COMMITMENT_MODELS = ("reservation", "savingsplan")


def sniff(head: list[str]) -> bool:
    fields = _csv.header_fields(head)
    if fields is None or "metercategory" not in fields:
        return False
    names = set(fields)
    return any(_csv.normalise(h) in names for h in COST_HEADERS) and any(
        _csv.normalise(h) in names for h in DATE_HEADERS
    )


# A slash date, optionally with the midnight time spreadsheets append ("9/2/2023 12:00:00 AM").
_SLASH = re.compile(
    r"\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:\s+(?:12:00(?::00)?\s*AM|0?0:00(?::00)?))?\s*",
    re.IGNORECASE,
)
DATE_EXPECTED = (
    "expected a day like '9/2/2023' or '09/02/2023' (month first, as Azure writes it), "
    "'2023-09-02' or '2023-09-02T00:00:00'"
)


def _day_first(days: list[str]) -> bool:
    """The file's slash dates are day-first when some first field exceeds 12 and none of the
    second fields does; otherwise month-first (Azure's own order)."""
    pairs = [(int(m[1]), int(m[2])) for d in days if (m := _SLASH.fullmatch(d))]
    return any(a > 12 for a, _ in pairs) and not any(b > 12 for _, b in pairs)


def _parse_day(value: str, day_first: bool) -> datetime:
    match = _SLASH.fullmatch(value)
    try:
        if match:
            a, b, year = (int(g) for g in match.groups())
            day, month = (a, b) if day_first else (b, a)
            return datetime(year, month, day)
        parsed = _csv.utc_time(value)
    except ValueError:
        raise ValueError(DATE_EXPECTED) from None
    if parsed.hour or parsed.minute or parsed.second or parsed.microsecond:
        raise ValueError("expected a whole day (cost details rows are daily), not a time of day")
    return parsed


def _days(candidates: pl.DataFrame, label: str) -> tuple[pl.Series, pl.Series]:
    """The `day` text of every row → (UTC midnight, reason), parsed once per distinct value."""
    distinct = candidates["day"].drop_nulls().unique().to_list()
    day_first = _day_first(distinct)
    order = " (this file writes dates day-first)" if day_first else ""
    parsed, reasons = [], []
    for value in distinct:
        try:
            parsed.append(_parse_day(value, day_first))
            reasons.append(None)
        except ValueError as exc:
            parsed.append(None)
            reasons.append(f"{label}: {exc}{order}, got {value!r}")
    days = candidates["day"].replace_strict(
        distinct,
        pl.Series(parsed, dtype=pl.Datetime("us")),
        default=None,
        return_dtype=pl.Datetime("us"),
    )
    why = candidates["day"].replace_strict(
        distinct, pl.Series(reasons, dtype=pl.String), default=None, return_dtype=pl.String
    )
    return days, why


def _date_label(source: TextFile) -> str:
    """The date column's header as the file writes it (parse_table has found it: required)."""
    found = first_content_line(source.head())
    written = next(csv.reader([found[1]]), []) if found else []
    by_name = {_csv.normalise(h): h.replace("\ufeff", "").strip() for h in written}
    return next((by_name[n] for n in map(_csv.normalise, DATE_HEADERS) if n in by_name), "Date")


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    candidates, problems = _csv.parse_table(
        source, FORMAT, DTYPES, NOT_NULL, COLUMNS, frozenset({""})
    )
    days, day_reasons = _days(candidates, _date_label(source))
    kind = pl.col("charge_type")
    commitment = (
        pl.col("pricing_model").str.to_lowercase().is_in(COMMITMENT_MODELS).fill_null(False)
    )
    purchase = (kind == "Purchase") & commitment
    covered = ((kind == "Usage") & commitment) | kind.is_in(
        ["UnusedReservation", "UnusedSavingsPlan"]
    )
    framed = candidates.with_columns(
        charge_period_start=days,
        day_reason=day_reasons,
    ).with_columns(
        provider=pl.lit(PROVIDER),
        charge_period_end=pl.col("charge_period_start") + timedelta(days=1),
        charge_category=kind.replace_strict(CHARGE_CATEGORY, default=None, return_dtype=pl.String),
        billed_cost=pl.when(covered.fill_null(False)).then(0.0).otherwise(pl.col("cost")),
        effective_cost=pl.when(purchase.fill_null(False)).then(0.0).otherwise(pl.col("cost")),
        reason=join_reasons([pl.col("reason"), pl.col("day_reason")]),
    )
    return focus.finish(source, FORMAT, framed, problems)
