"""A FOCUS 1.0 cost export for the cloud site, in the column set and quoting of AWS's export.

What it holds, per UTC hour of the period: one usage line per p4d.24xlarge instance (two on demand,
two covered by a Compute Savings Plan, so BilledCost 0 and EffectiveCost the amortised rate) and the
plan's recurring fee (BilledCost the commitment, EffectiveCost 0); per day an S3 storage line; per
month a support fee. Summed over the file, BilledCost equals EffectiveCost because the plan is fully
used: the point of the two columns is where the money lands, not how much there is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.demo.inventory import VIRGINIA
from pipeline.demo.workloads import HOUR

COLUMNS = (
    "AvailabilityZone,BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,"
    "BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,"
    "ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,CommitmentDiscountCategory,"
    "CommitmentDiscountId,CommitmentDiscountName,CommitmentDiscountStatus,"
    "CommitmentDiscountType,ConsumedQuantity,ConsumedUnit,ContractedCost,ContractedUnitPrice,"
    "EffectiveCost,InvoiceIssuerName,ListCost,ListUnitPrice,PricingCategory,PricingQuantity,"
    "PricingUnit,ProviderName,PublisherName,RegionId,RegionName,ResourceId,ResourceName,"
    "ResourceType,ServiceCategory,Id,ServiceName,SkuId,SkuPriceId,SubAccountId,SubAccountName,"
    "Tags"
).split(",")

# numeric columns print unquoted with the export's fixed precision; everything else is a string
_DECIMALS = {
    "BilledCost": 11,
    "ConsumedQuantity": 15,
    "ContractedCost": 11,
    "ContractedUnitPrice": 11,
    "EffectiveCost": 11,
    "ListCost": 11,
    "PricingQuantity": 11,
}

P4D_ON_DEMAND = 32.7726  # USD per hour, p4d.24xlarge Linux on demand, us-east-1
P4D_SAVINGS_PLAN = 23.5963  # assumed 1-year no-upfront Compute Savings Plan rate (28 % off)
S3_PER_GB_MONTH = 0.023
DATASET_GB = 48_000.0
ACCOUNT = "491827365012"
SUB_ACCOUNT = "730335271942"
AWS = "Amazon Web Services, Inc."


def _cell(col: str, v: Any) -> str:
    if v is None:
        return "NULL"
    if col in _DECIMALS:
        return f"{float(v):.{_DECIMALS[col]}f}"
    if col == "Id":
        return str(int(v))
    return '"' + str(v).replace('"', '""') + '"'


def _ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _support_fee(usage_usd: float) -> float:
    # AWS Business Support: 10 % of the first $10K, 7 % to $80K, 5 % to $250K, 3 % above
    tiers = ((10_000.0, 0.10), (80_000.0, 0.07), (250_000.0, 0.05), (float("inf"), 0.03))
    fee, floor = 0.0, 0.0
    for ceiling, rate in tiers:
        fee += max(0.0, min(usage_usd, ceiling) - floor) * rate
        floor = ceiling
    return round(max(fee, 100.0), 2)


def write_billing(
    landing: Path,
    t0: int,
    days: int,
    rng: np.random.Generator,
    hosts: list[str] | None = None,
) -> list[Path]:
    """The FOCUS export of `hosts` (default: the demo's four Virginia instances; the fleet
    benchmark passes its own), one file per month. The first four carry the demo's tags."""
    hosts = VIRGINIA.host_names if hosts is None else hosts
    instance_ids = ["i-0" + "".join(f"{d:x}" for d in rng.integers(0, 16, 16)) for _ in hosts]
    plan_uuid = "".join(f"{d:x}" for d in rng.integers(0, 16, 32))
    plan_arn = (
        f"arn:aws:savingsplans::{SUB_ACCOUNT}:savingsplan/"
        f"{plan_uuid[:8]}-{plan_uuid[8:12]}-{plan_uuid[12:16]}-{plan_uuid[16:20]}-{plan_uuid[20:]}"
    )
    covered = set(hosts[2:])  # the always-on serving instances are what the plan was sized for
    demo_tags: list[dict[str, str] | None] = [
        {"team": "applied"},
        {"team": "applied"},
        None,
        {"team": "serving", "phase": "inference", "model": "lynx-13b"},
    ]
    tags = dict(zip(hosts, demo_tags, strict=False))
    commitment = P4D_SAVINGS_PLAN * len(covered)
    sku = "".join(rng.choice(list("ABCDEFGHJKMNPQRSTUVWXYZ23456789"), 16))
    s3_sku = "".join(rng.choice(list("ABCDEFGHJKMNPQRSTUVWXYZ23456789"), 16))

    base = {
        "BillingAccountId": ACCOUNT,
        "BillingAccountName": "Example AI Lab",
        "BillingCurrency": "USD",
        "InvoiceIssuerName": AWS,
        "ProviderName": "AWS",
        "PublisherName": AWS,
        "SubAccountId": SUB_ACCOUNT,
        "SubAccountName": "ml-platform-prod",
        "RegionId": "us-east-1",
        "RegionName": "US East (N. Virginia)",
    }
    rows_by_month: dict[tuple[int, int], list[dict[str, Any]]] = {}

    def add(start: dt.datetime, end: dt.datetime, **kw: Any) -> None:
        y, m = start.year, start.month
        last = calendar.monthrange(y, m)[1]
        row = dict(base, **kw)
        row["ChargePeriodStart"], row["ChargePeriodEnd"] = _ts(start), _ts(end)
        row["BillingPeriodStart"] = _ts(dt.datetime(y, m, 1))
        row["BillingPeriodEnd"] = _ts(dt.datetime(y, m, last) + dt.timedelta(days=1))
        rows_by_month.setdefault((y, m), []).append(row)

    od_description = f"${P4D_ON_DEMAND} per On Demand Linux p4d.24xlarge Instance Hour"
    t_start = dt.datetime.fromtimestamp(t0, dt.UTC).replace(tzinfo=None)
    for h in range(days * 24):
        start = t_start + dt.timedelta(seconds=h * HOUR)
        end = start + dt.timedelta(seconds=HOUR)
        for host, iid in zip(hosts, instance_ids, strict=True):
            on_plan = host in covered
            add(
                start,
                end,
                AvailabilityZone="us-east-1a",
                BilledCost=0.0 if on_plan else P4D_ON_DEMAND,
                ChargeCategory="Usage",
                ChargeDescription=od_description,
                ChargeFrequency="Usage-Based",
                CommitmentDiscountCategory="Spend" if on_plan else None,
                CommitmentDiscountId=plan_arn if on_plan else None,
                CommitmentDiscountStatus="Used" if on_plan else None,
                CommitmentDiscountType="Savings Plan" if on_plan else None,
                ConsumedQuantity=1.0,
                ConsumedUnit="Hours",
                ContractedCost=P4D_ON_DEMAND,
                ContractedUnitPrice=P4D_ON_DEMAND,
                EffectiveCost=P4D_SAVINGS_PLAN if on_plan else P4D_ON_DEMAND,
                ListCost=P4D_ON_DEMAND,
                ListUnitPrice=str(P4D_ON_DEMAND),
                PricingCategory="Committed" if on_plan else "Standard",
                PricingQuantity=1.0,
                PricingUnit="Hours",
                ResourceId=iid,
                ResourceName=host,
                ResourceType="instance",
                ServiceCategory="Compute",
                ServiceName="Amazon Elastic Compute Cloud",
                SkuId=sku,
                SkuPriceId=f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                Tags=tags.get(host),
            )
        add(
            start,
            end,
            BilledCost=commitment,
            ChargeCategory="Purchase",
            ChargeDescription="1 year No Upfront Compute Savings Plan recurring fee",
            ChargeFrequency="Recurring",
            CommitmentDiscountCategory="Spend",
            CommitmentDiscountId=plan_arn,
            CommitmentDiscountType="Savings Plan",
            ContractedCost=commitment,
            EffectiveCost=0.0,
            ListCost=commitment,
            PricingCategory="Committed",
            PricingQuantity=1.0,
            PricingUnit="Hours",
            ListUnitPrice=f"{commitment:.4f}",
            ContractedUnitPrice=commitment,
            RegionId=None,
            RegionName=None,
            ResourceId=plan_arn,
            ResourceType="Savings Plan",
            ServiceCategory="Compute",
            ServiceName="Savings Plans for AWS Compute usage",
        )
        if h % 24 == 23:
            day = start.replace(hour=0)
            days_in_month = calendar.monthrange(day.year, day.month)[1]
            qty = DATASET_GB / days_in_month
            cost = qty * S3_PER_GB_MONTH
            add(
                day,
                day + dt.timedelta(days=1),
                BilledCost=cost,
                ChargeCategory="Usage",
                ChargeDescription="$0.023 per GB - first 50 TB / month of storage used",
                ChargeFrequency="Usage-Based",
                ConsumedQuantity=qty,
                ConsumedUnit="GB-Months",
                ContractedCost=cost,
                ContractedUnitPrice=S3_PER_GB_MONTH,
                EffectiveCost=cost,
                ListCost=cost,
                ListUnitPrice="0.023",
                PricingCategory="Standard",
                PricingQuantity=qty,
                PricingUnit="GB-Months",
                ResourceId="exampleai-datasets-use1",
                ResourceType="bucket",
                ServiceCategory="Storage",
                ServiceName="Amazon Simple Storage Service",
                SkuId=s3_sku,
                SkuPriceId=f"{s3_sku}.JRTCKXETXF.PGHJ3S3EYE",
                Tags={"team": "applied"},
            )

    paths = []
    folder = landing / "billing"
    folder.mkdir(parents=True, exist_ok=True)
    next_id = 7_300_000
    for (y, m), rows in sorted(rows_by_month.items()):
        # the support fee is billed on the month's usage so far (the export is month-to-date)
        usage = sum(r["BilledCost"] for r in rows)
        first = min(r["ChargePeriodStart"] for r in rows)
        last = max(r["ChargePeriodEnd"] for r in rows)
        fee = _support_fee(usage)
        rows.append(
            dict(
                base,
                BilledCost=fee,
                EffectiveCost=fee,
                ListCost=fee,
                ContractedCost=fee,
                BillingPeriodStart=rows[0]["BillingPeriodStart"],
                BillingPeriodEnd=rows[0]["BillingPeriodEnd"],
                ChargePeriodStart=first,
                ChargePeriodEnd=last,
                ChargeCategory="Purchase",
                ChargeDescription="AWS Support (Business) fee",
                ChargeFrequency="Recurring",
                PricingCategory="Standard",
                RegionId=None,
                RegionName=None,
                ServiceCategory="Other",
                ServiceName="AWS Support (Business)",
            )
        )
        lines = ['"' + '","'.join(COLUMNS) + '"']
        for row in rows:
            row["Id"] = next_id
            next_id += 1
            if row.get("Tags") is not None:
                row["Tags"] = json.dumps(row["Tags"])
            lines.append(",".join(_cell(c, row.get(c)) for c in COLUMNS))
        path = folder / f"focus-{y:04d}-{m:02d}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
        paths.append(path)
    return paths
