"""CUR line items → FOCUS charge category and effective (amortised) cost, by line item type.

The rules are documented in aws_cur.py (BilledCost, EffectiveCost and ChargeCategory); they serve
the legacy (aws_cur.py) and the CUR 2.0 (aws_cur2.py) readers alike.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers._text import join_reasons

PROVIDER = "AWS"

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
