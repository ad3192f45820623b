"""Provider billing exports → FOCUS columns: AWS CUR (legacy and 2.0), Azure cost details (actual
and amortized), OCI cost reports.

Real samples are read in place from ../shared/data; every expected count and value below was read
from those files (line numbers are physical lines: the header is line 1 and no record in them
spans lines). Cost sums are checked against an independent read of the same file with the csv
module. Hand-built files cover what the samples lack (CUR 2.0, commitments, odd dates, bad rows).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.readers import (
    FORMATS,
    ReadResult,
    UnreadableFileError,
    detect_format,
    read_file,
)
from pipeline.readers.billing import focus as focus_reader

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
CUR = SHARED / "focus_converters_samples" / "aws_cur_sample-anonymous-aws-export-dataset.csv"
AZURE_EA = SHARED / "focus_converters_samples" / "azure_ea_sample-anonymous-ea-export-dataset.csv"
OCI = SHARED / "focus_converters_samples" / "oci_reports_cost-csv_0000000030000269.csv"
EA_ACTUAL = SHARED / "finops_toolkit_azure_ea" / "EA_ActualCost_Small.csv"
EA_AMORTIZED = SHARED / "finops_toolkit_azure_ea" / "EA_AmortizedCost_Small.csv"
FOCUS = SHARED / "focus_sample_data" / "focus_sample.csv"

# file → (format, rows read, accepted, quarantined). Every data record of every sample is a valid
# line with a 3-letter currency and numeric costs, so nothing is quarantined: rows read = physical
# lines − 1 header (1,282 − 1, 28 − 1, 507 − 1, 12 − 1, 29 − 1, 1,001 − 1; `wc -l`).
REAL = {
    CUR: ("aws-cur-legacy-csv", 1281, 1281, 0),
    AZURE_EA: ("azure-cost-csv", 27, 27, 0),
    OCI: ("oci-cost-csv", 506, 506, 0),
    EA_ACTUAL: ("azure-cost-csv", 11, 11, 0),
    EA_AMORTIZED: ("azure-cost-csv", 28, 28, 0),
    FOCUS: ("focus-csv", 1000, 1000, 0),
}


def records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def sums(frame: pl.DataFrame, column: str) -> dict[str, float]:
    return {
        cur: math.fsum(frame.filter(pl.col("billing_currency") == cur)[column].to_list())
        for cur in frame["billing_currency"].unique().to_list()
    }


def file_sums(
    rows: list[dict[str, str]], currency: str, cost: str, keep=lambda r: True
) -> dict[str, float]:
    parts: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        parts[row[currency]].append(float(row[cost]) if keep(row) else 0.0)
    return {cur: math.fsum(values) for cur, values in parts.items()}


@pytest.fixture(scope="module")
def real() -> dict[Path, ReadResult]:
    return {path: read_file(path) for path in REAL}


@pytest.mark.parametrize("path", list(REAL), ids=lambda p: p.name)
def test_real_samples_detected_and_counted(real: dict[Path, ReadResult], path: Path) -> None:
    fmt, read, accepted, quarantined = REAL[path]
    assert detect_format(path) == fmt
    result = real[path]
    assert (result.format, result.table) == (fmt, "raw_billing")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (
        read,
        accepted,
        quarantined,
    )
    assert result.frame.schema == focus_reader.SCHEMA
    assert result.frame["line"].to_list() == list(range(2, read + 2))


def test_each_real_billing_file_is_claimed_by_exactly_one_sniff() -> None:
    # No sniff may accept another format's sample (the order of FORMATS must not matter).
    from pipeline.readers import _text

    for path, (fmt, *_) in REAL.items():
        head = _text.load_head(path).head()
        claims = [f.name for f in FORMATS if f.container == "text" and f.sniff(head)]
        assert claims == [fmt], path.name


BILLING = {
    "focus-csv",
    "focus-parquet",
    "aws-cur-legacy-csv",
    "aws-cur2-csv",
    "azure-cost-csv",
    "oci-cost-csv",
}


def test_no_billing_sniff_claims_any_other_shared_file() -> None:
    from pipeline.readers import _parquet, _text

    others = sorted(p for p in SHARED.rglob("*") if p.is_file() and p not in REAL)
    assert len(others) > 20
    for path in others:
        if _parquet.is_parquet(path):
            names = _parquet.columns(path)
            claims = [f.name for f in FORMATS if f.container == "parquet" and f.sniff(names)]
        else:
            head = _text.load_head(path).head()
            claims = [f.name for f in FORMATS if f.container == "text" and f.sniff(head)]
        assert not BILLING & set(claims), path


@pytest.mark.parametrize("path", list(REAL), ids=lambda p: p.name)
def test_frames_load_into_the_raw_billing_table(real: dict[Path, ReadResult], path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "create_raw_billing.sql").read_text())
    con.from_arrow(real[path].frame.to_arrow()).insert_into("raw_billing")
    assert con.execute("SELECT count(*) FROM raw_billing").fetchone() == (REAL[path][1],)


# --- AWS CUR legacy -----------------------------------------------------------------------------


def test_cur_sums_match_the_file(real: dict[Path, ReadResult]) -> None:
    frame = real[CUR].frame
    rows = records(CUR)
    expected = file_sums(rows, "lineItem/CurrencyCode", "lineItem/UnblendedCost")
    assert set(expected) == {"USD"}
    assert sums(frame, "billed_cost") == pytest.approx(expected, rel=1e-12)
    # Only Usage and Tax lines (1,269 + 12): effective = unblended on every line.
    assert sorted({r["lineItem/LineItemType"] for r in rows}) == ["Tax", "Usage"]
    assert sums(frame, "effective_cost") == pytest.approx(expected, rel=1e-12)
    assert frame["charge_category"].value_counts().sort("charge_category").rows() == [
        ("Tax", 12),
        ("Usage", 1269),
    ]


def test_cur_spot_values(real: dict[Path, ReadResult]) -> None:
    frame = real[CUR].frame
    # Line 2: the first Tax line (CloudTrail, whole month, $0, no region or sku).
    tax = frame.row(0, named=True)
    assert tax["line"] == 2
    assert tax["provider"] == "AWS"
    assert tax["charge_category"] == "Tax"
    assert tax["service_name"] == "AWS CloudTrail"
    assert tax["billing_account_id"] == "123412340534"
    assert tax["billing_currency"] == "USD"
    assert (tax["charge_period_start"], tax["charge_period_end"]) == (
        datetime(2023, 11, 1),
        datetime(2023, 12, 1),
    )
    assert (tax["region_id"], tax["sku_id"], tax["billed_cost"]) == (None, None, 0.0)
    # Line 925: the largest line, S3 requests in us-west-2.
    s3 = frame.filter(pl.col("line") == 925).row(0, named=True)
    assert s3["service_name"] == "Amazon Simple Storage Service"
    assert s3["charge_category"] == "Usage"
    assert (s3["region_id"], s3["sku_id"]) == ("us-west-2", "U8V4XxxxxxxNRDCY")
    assert (s3["consumed_quantity"], s3["consumed_unit"]) == (5547.0, "Requests")
    assert (s3["billed_cost"], s3["effective_cost"], s3["list_cost"]) == (0.16641, 0.16641, 0.16641)
    assert (s3["charge_period_start"], s3["charge_period_end"]) == (
        datetime(2023, 11, 6),
        datetime(2023, 11, 6, 16),
    )
    # Line 1282 (last): CloudWatch, $0 billed, public on-demand 5.0792E-5.
    last = frame.row(-1, named=True)
    assert (last["line"], last["billed_cost"], last["list_cost"]) == (1282, 0.0, 5.0792e-5)
    # This export has no lineItem/ResourceId and no resourceTags/ columns.
    assert frame["resource_id"].null_count() == frame["tags"].null_count() == 1281


CUR_HEADER = [
    "identity/LineItemId",
    "bill/PayerAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedCost",
    "product/ProductName",
    "product/region",
    "product/sku",
    "pricing/unit",
    "pricing/publicOnDemandCost",
    "reservation/EffectiveCost",
    "reservation/ReservationARN",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
    "resourceTags/user:team",
    "resourceTags/user:phase",
    "resourceTags/aws:createdBy",
]


def cur_line(kind: str, cost: str, **extra: str) -> dict[str, str]:
    base = {h: "" for h in CUR_HEADER}
    base.update(
        {
            "identity/LineItemId": "li",
            "bill/PayerAccountId": "111122223333",
            "lineItem/LineItemType": kind,
            "lineItem/UsageStartDate": "2024-10-01T05:00:00.000Z",
            "lineItem/UsageEndDate": "2024-10-01T06:00:00.000Z",
            "lineItem/ProductCode": "AmazonEC2",
            "lineItem/CurrencyCode": "USD",
            "lineItem/UnblendedCost": cost,
        }
    )
    base.update(extra)
    return base


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_cur_legacy_amortisation_categories_and_tags(tmp_path: Path) -> None:
    rows = [
        # 2: on-demand g5 hour with tags → effective = unblended
        cur_line(
            "Usage",
            "1.624",
            **{
                "lineItem/ResourceId": "i-0abc",
                "lineItem/UsageAmount": "1",
                "product/ProductName": "Amazon Elastic Compute Cloud",
                "product/region": "us-east-1",
                "product/sku": "SKU1",
                "pricing/unit": "Hrs",
                "pricing/publicOnDemandCost": "1.624",
                "resourceTags/user:team": "ml",
                "resourceTags/user:phase": "train",
                "resourceTags/aws:createdBy": "IAMUser:x",
            },
        ),
        # 3: RI-covered hour: effective = reservation/EffectiveCost
        cur_line("DiscountedUsage", "0", **{"reservation/EffectiveCost": "0.9"}),
        # 4: SP-covered hour: unblended is the on-demand price, effective the SP rate
        cur_line(
            "SavingsPlanCoveredUsage", "1.624", **{"savingsPlan/SavingsPlanEffectiveCost": "1.1"}
        ),
        # 5: its negation: billed −1.624, effective 0
        cur_line("SavingsPlanNegation", "-1.624"),
        # 6: SP monthly fee 100 with 80 used → effective 20 (the unused commitment)
        cur_line(
            "SavingsPlanRecurringFee",
            "100",
            **{"savingsPlan/TotalCommitmentToDate": "100", "savingsPlan/UsedCommitment": "80"},
        ),
        # 7: RI fee 50, unused upfront 3 + unused recurring 2 → effective 5
        cur_line(
            "RIFee",
            "50",
            **{
                "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod": "3",
                "reservation/UnusedRecurringFee": "2",
            },
        ),
        # 8: RI upfront fee (has a reservation ARN) → effective 0
        cur_line("Fee", "1000", **{"reservation/ReservationARN": "arn:aws:ec2:r/ri-1"}),
        # 9: another fee (no reservation) → effective = unblended
        cur_line("Fee", "12", **{"lineItem/ProductCode": "AWSSupport"}),
        cur_line("Credit", "-5"),  # 10
        cur_line("Refund", "-2"),  # 11
        cur_line("Tax", "0.4"),  # 12
        cur_line("EdpDiscount", "-0.3"),  # 13
        cur_line("SomethingNew", "0.01"),  # 14: unknown type: kept, category null
    ]
    path = write_csv(tmp_path / "cur.csv", CUR_HEADER, rows)
    assert detect_format(path) == "aws-cur-legacy-csv"
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (13, 13, 0)
    frame = result.frame
    assert frame["billed_cost"].to_list() == [
        1.624, 0.0, 1.624, -1.624, 100.0, 50.0, 1000.0, 12.0, -5.0, -2.0, 0.4, -0.3, 0.01,
    ]  # fmt: skip
    assert frame["effective_cost"].to_list() == [
        1.624, 0.9, 1.1, 0.0, 20.0, 5.0, 0.0, 12.0, -5.0, -2.0, 0.4, -0.3, 0.01,
    ]  # fmt: skip
    assert frame["charge_category"].to_list() == [
        "Usage", "Usage", "Usage", "Usage", "Purchase", "Purchase", "Purchase", "Purchase",
        "Credit", "Credit", "Tax", "Usage", None,
    ]  # fmt: skip
    first = frame.row(0, named=True)
    assert json.loads(first["tags"]) == {
        "team": "ml",
        "phase": "train",
        "aws:createdBy": "IAMUser:x",
    }
    assert (first["resource_id"], first["region_id"], first["sku_id"]) == (
        "i-0abc",
        "us-east-1",
        "SKU1",
    )
    assert (first["consumed_quantity"], first["consumed_unit"], first["list_cost"]) == (
        1.0,
        "Hrs",
        1.624,
    )
    assert first["service_name"] == "Amazon Elastic Compute Cloud"
    # No product name: the product code names the service.
    assert frame.row(7, named=True)["service_name"] == "AWSSupport"
    assert frame["tags"].null_count() == 12


def test_cur_bad_rows_are_quarantined_with_reasons(tmp_path: Path) -> None:
    rows = [
        cur_line("Usage", "1.0"),  # 2: fine
        cur_line("Usage", "1.0", **{"lineItem/CurrencyCode": "usd"}),  # 3
        cur_line("Usage", "1.0", **{"lineItem/CurrencyCode": ""}),  # 4
        cur_line("Usage", "inf"),  # 5
        cur_line("Usage", "NaN"),  # 6
        cur_line("DiscountedUsage", "0"),  # 7: no reservation/EffectiveCost
        cur_line("SavingsPlanCoveredUsage", "2"),  # 8: no SP effective cost
        cur_line("Usage", "1.0", **{"lineItem/UsageStartDate": "yesterday"}),  # 9
    ]
    result = read_file(write_csv(tmp_path / "cur.csv", CUR_HEADER, rows))
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (8, 1, 7)
    assert [(p.line, p.reason) for p in result.problems] == [
        (3, "lineItem/CurrencyCode: expected a 3-letter ISO 4217 currency code in capitals "
            "like 'USD', got 'usd'"),
        (4, "lineItem/CurrencyCode: expected a 3-letter ISO 4217 currency code in capitals "
            "like 'USD', got nothing (costs without a currency cannot be reconciled)"),
        (5, "lineItem/UnblendedCost: expected a number like '12.5', got 'inf'"),
        (6, "lineItem/UnblendedCost: expected a number like '12.5', got 'NaN'"),
        (7, "reservation/EffectiveCost: expected the amortised cost of a DiscountedUsage line, "
            "got nothing"),
        (8, "savingsPlan/SavingsPlanEffectiveCost: expected the amortised cost of a "
            "SavingsPlanCoveredUsage line, got nothing"),
        (9, "lineItem/UsageStartDate: expected an ISO-8601 UTC time like "
            "'2026-10-01T05:00:00Z', got 'yesterday'"),
    ]  # fmt: skip
    assert result.problems[0].raw.startswith("li,111122223333,Usage,")


def test_cur_without_a_currency_column_is_unreadable(tmp_path: Path) -> None:
    header = [h for h in CUR_HEADER if h != "lineItem/CurrencyCode"]
    rows = [{h: v for h, v in cur_line("Usage", "1").items() if h in header}]
    path = write_csv(tmp_path / "cur.csv", header, rows)
    with pytest.raises(UnreadableFileError, match="no 'lineItem/CurrencyCode' column"):
        read_file(path)


# --- AWS CUR 2.0 --------------------------------------------------------------------------------

CUR2_HEADER = [
    "identity_line_item_id",
    "bill_payer_account_id",
    "line_item_line_item_type",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_product_code",
    "line_item_resource_id",
    "line_item_usage_amount",
    "line_item_currency_code",
    "line_item_unblended_cost",
    "pricing_unit",
    "pricing_public_on_demand_cost",
    "product",
    "product_region_code",
    "product_sku",
    "reservation_effective_cost",
    "savings_plan_savings_plan_effective_cost",
    "resource_tags",
]


def test_cur2_hand_built(tmp_path: Path) -> None:
    def line(**values: str) -> dict[str, str]:
        row = {h: "" for h in CUR2_HEADER}
        row.update(
            identity_line_item_id="x",
            bill_payer_account_id="111122223333",
            line_item_line_item_type="Usage",
            line_item_usage_start_date="2024-10-01T05:00:00Z",
            line_item_usage_end_date="2024-10-01T06:00:00Z",
            line_item_product_code="AmazonEC2",
            line_item_currency_code="USD",
        )
        row.update(values)
        return row

    product = json.dumps({"product_name": "Amazon Elastic Compute Cloud", "region": "us-east-1"})
    rows = [
        # 2: tagged GPU hour; region from the fixed column, name from the product map
        line(
            line_item_resource_id="i-0abc",
            line_item_usage_amount="1",
            line_item_unblended_cost="32.77",
            pricing_unit="Hrs",
            pricing_public_on_demand_cost="32.77",
            product=product,
            product_region_code="us-east-1",
            product_sku="P5SKU",
            resource_tags=json.dumps(
                {"user_phase": "train", "user_model": "atlas-7b", "aws_x": "1"}
            ),
        ),
        # 3: SP-covered hour, region only in the map, no tags ("{}")
        line(
            line_item_line_item_type="SavingsPlanCoveredUsage",
            line_item_unblended_cost="32.77",
            savings_plan_savings_plan_effective_cost="20.5",
            product=json.dumps({"region": "eu-west-1"}),
            resource_tags="{}",
        ),
        # 4: RI-covered, no product map at all: the product code names the service
        line(
            line_item_line_item_type="DiscountedUsage",
            line_item_unblended_cost="0",
            reservation_effective_cost="3.5",
            line_item_currency_code="EUR",
        ),
        # 5: a tag map that is not JSON
        line(line_item_unblended_cost="1", resource_tags="user_team=ml"),
    ]
    path = write_csv(tmp_path / "cur2.csv", CUR2_HEADER, rows)
    assert detect_format(path) == "aws-cur2-csv"
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 3, 1)
    frame = result.frame
    # Lines 3 and 4 have no product_name in a map: the product code names the service.
    assert frame["service_name"].to_list() == [
        "Amazon Elastic Compute Cloud",
        "AmazonEC2",
        "AmazonEC2",
    ]
    assert frame["region_id"].to_list() == ["us-east-1", "eu-west-1", None]
    assert frame["billed_cost"].to_list() == [32.77, 32.77, 0.0]
    assert frame["effective_cost"].to_list() == [32.77, 20.5, 3.5]
    assert frame["billing_currency"].to_list() == ["USD", "USD", "EUR"]
    assert json.loads(frame["tags"][0]) == {"phase": "train", "model": "atlas-7b", "aws_x": "1"}
    assert frame["tags"].to_list()[1:] == [None, None]
    first = frame.row(0, named=True)
    assert (first["resource_id"], first["sku_id"], first["consumed_unit"]) == (
        "i-0abc",
        "P5SKU",
        "Hrs",
    )
    assert first["charge_period_start"] == datetime(2024, 10, 1, 5)
    [problem] = result.problems
    assert problem.line == 5
    assert problem.reason == (
        "resource_tags: expected a JSON object like '{\"key\": \"value\"}', got 'user_team=ml'"
    )


# --- Azure --------------------------------------------------------------------------------------


def test_azure_ea_sample_values_and_sums(real: dict[Path, ReadResult]) -> None:
    frame = real[AZURE_EA].frame
    rows = records(AZURE_EA)
    # All 27 lines are on-demand or spot usage in CAD: billed = effective = CostInBillingCurrency.
    expected = file_sums(rows, "BillingCurrencyCode", "CostInBillingCurrency")
    assert set(expected) == {"CAD"}
    assert sums(frame, "billed_cost") == pytest.approx(expected, rel=1e-12)
    assert sums(frame, "effective_cost") == pytest.approx(expected, rel=1e-12)
    first = frame.row(0, named=True)  # line 2
    assert first["provider"] == "Microsoft"
    assert first["billing_account_id"] == "12345678"
    assert first["billing_currency"] == "CAD"
    # Date 9/2/2023 (US order) → the whole UTC day of 2 September.
    assert (first["charge_period_start"], first["charge_period_end"]) == (
        datetime(2023, 9, 2),
        datetime(2023, 9, 3),
    )
    assert first["service_name"] == "Virtual Network"
    assert first["charge_category"] == "Usage"
    assert first["resource_id"] == (
        "/subscriptions/<guid>/resourceGroups/<rg name>/providers/<arm provider>/<serviceName>/"
        "<deployedResourceName>"
    )
    assert first["resource_name"] == "the name or GUID"
    assert first["region_id"] == "CentralUS"
    assert first["sku_id"] == "ABC-1234"
    assert (first["consumed_quantity"], first["consumed_unit"]) == (0.027265128, "1 GB")
    assert first["billed_cost"] == first["effective_cost"] == 0.000305367
    # Tags are written without the outer braces; they are added, nothing else changes.
    assert first["tags"] == '{"tagA": "valueA","tagB": "valueB","tagC": "valueC"}'
    assert frame.row(1, named=True)["billed_cost"] == 5.64902e-05  # line 3, "5.64902E-05"


def test_azure_actual_export(real: dict[Path, ReadResult]) -> None:
    frame = real[EA_ACTUAL].frame
    rows = records(EA_ACTUAL)
    # billed = every line's Cost (the invoice); effective leaves out the reservation purchase.
    assert sums(frame, "billed_cost") == pytest.approx(
        file_sums(rows, "BillingCurrency", "Cost"), rel=1e-12
    )
    not_purchase = lambda r: r["ChargeType"] != "Purchase"  # noqa: E731
    assert sums(frame, "effective_cost") == pytest.approx(
        file_sums(rows, "BillingCurrency", "Cost", not_purchase), rel=1e-12
    )
    purchase = frame.row(0, named=True)  # line 2: Purchase, Reservation, 3.25 USD on 09/21/2023
    assert purchase["charge_category"] == "Purchase"
    assert (purchase["billed_cost"], purchase["effective_cost"]) == (3.25, 0.0)
    assert purchase["charge_period_start"] == datetime(2023, 9, 21)
    assert purchase["tags"] is None and purchase["resource_name"] is None
    storage = frame.row(1, named=True)  # line 3
    assert storage["resource_name"] == "dbstoragewp6hglwvvrad2"
    assert storage["region_id"] == "EastUS2"
    assert storage["billing_account_id"] == "8611537"
    assert json.loads(storage["tags"]) == {
        "CostCenter": "1234",
        "env": "prod",
        "org": "trey",
        "application": "databricks",
        "databricks-environment": "true",
    }
    vm = frame.row(3, named=True)  # line 5: 24 h of capacity reservation, 2.64 USD, no tags
    assert (vm["consumed_quantity"], vm["billed_cost"], vm["effective_cost"]) == (24.0, 2.64, 2.64)
    assert vm["tags"] is None
    assert frame["region_id"].null_count() == 1  # one line has an empty ResourceLocation


def test_azure_amortized_export(real: dict[Path, ReadResult]) -> None:
    frame = real[EA_AMORTIZED].frame
    rows = records(EA_AMORTIZED)
    # effective = every line's Cost (the amortised total); billed leaves out usage covered by the
    # reservation (line 2, 0.493152) and the savings plan (line 3, 0.006000000468).
    assert sums(frame, "effective_cost") == pytest.approx(
        file_sums(rows, "BillingCurrency", "Cost"), rel=1e-12
    )
    on_demand = lambda r: r["PricingModel"] not in ("Reservation", "SavingsPlan")  # noqa: E731
    assert sums(frame, "billed_cost") == pytest.approx(
        file_sums(rows, "BillingCurrency", "Cost", on_demand), rel=1e-12
    )
    ri, sp = frame.row(0, named=True), frame.row(1, named=True)
    assert (ri["line"], ri["billed_cost"], ri["effective_cost"]) == (2, 0.0, 0.493152)
    assert (sp["line"], sp["billed_cost"], sp["effective_cost"]) == (3, 0.0, 0.006000000468)
    assert ri["charge_category"] == sp["charge_category"] == "Usage"
    assert ri["resource_name"] == "aks-agentpool-42850074-vmss"
    assert json.loads(ri["tags"])["aks-managed-poolName"] == "agentpool"
    assert json.loads(ri["tags"])["aks-managed-createOperationID"] == ""
    assert ri["charge_period_start"] == datetime(2023, 9, 22)
    assert frame["effective_cost"].sum() > frame["billed_cost"].sum()


AZURE_HEADER = (
    "BillingAccountId,Date,MeterCategory,Quantity,CostInBillingCurrency,BillingCurrencyCode,"
    "ResourceId,ResourceName,ChargeType,PricingModel,Tags"
)


def write_text(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_azure_commitments_categories_dates_and_bad_rows(tmp_path: Path) -> None:
    lines = [
        AZURE_HEADER,
        '1,9/30/2024,Virtual Machines,24,10.5,USD,/s/vm1,vm1,Usage,OnDemand,"""team"": ""ml"""',
        "1,2024-09-30,Virtual Machines,24,4.0,USD,/s/vm1,vm1,Usage,Reservation,",  # 3
        "1,2024-09-30T00:00:00.0000000,Virtual Machines,5,1.5,USD,,,UnusedReservation,Reservation,",
        "1,10/01/2024,Virtual Machines,1,100,USD,,,Purchase,SavingsPlan,",  # 5
        "1,10/01/2024,Virtual Machines,1,-3,USD,,,Refund,OnDemand,",  # 6
        "1,10/01/2024,Azure Support,1,0.01,USD,,,RoundingAdjustment,,",  # 7
        "1,10/01/2024,Marketplace,1,7,USD,,,Purchase,OnDemand,",  # 8: not a commitment
        '1,10/01/2024,Storage,1,0.2,EUR,/s/d,d,Usage,OnDemand,"{""env"": ""prod""}"',  # 9
        "1,13/01/2024,Storage,1,0.2,USD,,,Usage,OnDemand,",  # 10: month 13
        "1,2024-10-01T05:00:00Z,Storage,1,0.2,USD,,,Usage,OnDemand,",  # 11: not a whole day
        "1,10/01/2024,Storage,1,0.2,US$,,,Usage,OnDemand,",  # 12
        "1,10/01/2024,Storage,1,lots,USD,,,Usage,OnDemand,",  # 13
        '1,10/01/2024,Storage,1,0.2,USD,,,Usage,OnDemand,"team: ml"',  # 14
        "1,,Storage,1,0.2,USD,,,Usage,OnDemand,",  # 15
    ]
    path = write_text(tmp_path, "cost.csv", lines)
    assert detect_format(path) == "azure-cost-csv"
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (14, 8, 6)
    frame = result.frame
    assert frame["line"].to_list() == [2, 3, 4, 5, 6, 7, 8, 9]
    # billed: covered usage and unused commitment 0; effective: commitment purchase 0.
    assert frame["billed_cost"].to_list() == [10.5, 0.0, 0.0, 100.0, -3.0, 0.01, 7.0, 0.2]
    assert frame["effective_cost"].to_list() == [10.5, 4.0, 1.5, 0.0, -3.0, 0.01, 7.0, 0.2]
    assert frame["charge_category"].to_list() == [
        "Usage", "Usage", "Usage", "Purchase", "Credit", "Adjustment", "Purchase", "Usage",
    ]  # fmt: skip
    assert (
        frame["charge_period_start"].to_list()
        == [datetime(2024, 9, 30)] * 3 + [datetime(2024, 10, 1)] * 5
    )
    assert (
        frame["charge_period_end"].to_list()
        == [datetime(2024, 10, 1)] * 3 + [datetime(2024, 10, 2)] * 5
    )
    assert frame["tags"].to_list() == [
        '{"team": "ml"}', None, None, None, None, None, None, '{"env": "prod"}',
    ]  # fmt: skip
    date_expected = (
        "expected a day like '9/2/2023' or '09/02/2023' (month first, as Azure writes it), "
        "'2023-09-02' or '2023-09-02T00:00:00'"
    )
    assert [(p.line, p.reason) for p in result.problems] == [
        (10, f"Date: {date_expected}, got '13/01/2024'"),
        (11, "Date: expected a whole day (cost details rows are daily), not a time of day, "
             "got '2024-10-01T05:00:00Z'"),
        (12, "BillingCurrencyCode: expected a 3-letter ISO 4217 currency code in capitals like "
             "'USD', got 'US$'"),
        (13, "CostInBillingCurrency: expected a number like '12.5', got 'lots'"),
        (14, "Tags: expected JSON tags like '\"team\": \"ml\"' (with or without the outer "
             "braces), got 'team: ml'"),
        (15, "Date: expected a date, got nothing"),
    ]  # fmt: skip


def test_azure_day_first_file_is_recognised_from_its_own_dates(tmp_path: Path) -> None:
    # 13/09 and 30/09 can only be day-first, and no second field exceeds 12, so 02/09 is 2 Sept.
    lines = [AZURE_HEADER] + [
        f"1,{d},Storage,1,1,USD,,,Usage,OnDemand,"
        for d in ("13/09/2023", "02/09/2023", "30/09/2023")
    ]
    frame = read_file(write_text(tmp_path, "eu.csv", lines)).frame
    assert frame["charge_period_start"].to_list() == [
        datetime(2023, 9, 13),
        datetime(2023, 9, 2),
        datetime(2023, 9, 30),
    ]
    # Ambiguous dates alone are month-first, as Azure writes them; a spreadsheet's midnight suffix
    # is allowed.
    lines = [AZURE_HEADER] + [
        f"1,{d},Storage,1,1,USD,,,Usage,OnDemand,"
        for d in ("02/09/2023", "9/2/2023 12:00:00 AM", "9/3/2023 00:00:00")
    ]
    frame = read_file(write_text(tmp_path, "us.csv", lines)).frame
    assert frame["charge_period_start"].to_list() == [
        datetime(2023, 2, 9),
        datetime(2023, 9, 2),
        datetime(2023, 9, 3),
    ]


def test_azure_older_and_mca_column_spellings(tmp_path: Path) -> None:
    # Pre-2019 EA usage details: PreTaxCost, Currency, UsageDateTime, InstanceId, UsageQuantity.
    old = write_text(
        tmp_path,
        "old.csv",
        [
            "SubscriptionGuid,UsageDateTime,MeterCategory,UsageQuantity,PreTaxCost,Currency,"
            "InstanceId,Tags",
            "sub-1,2019-01-05T00:00:00.0000000,Virtual Machines,24,12.5,EUR,/s/vm9,"
            '"{""a"": ""b""}"',
        ],
    )
    assert detect_format(old) == "azure-cost-csv"
    row = read_file(old).frame.row(0, named=True)
    assert (row["billing_account_id"], row["billing_currency"], row["resource_id"]) == (
        "sub-1",
        "EUR",
        "/s/vm9",
    )
    assert (row["consumed_quantity"], row["billed_cost"], row["effective_cost"]) == (
        24.0,
        12.5,
        12.5,
    )
    assert row["charge_period_start"] == datetime(2019, 1, 5)
    assert row["charge_category"] is None  # no ChargeType column in this vintage
    # MCA cost details: camelCase names.
    mca = write_text(
        tmp_path,
        "mca.csv",
        [
            "billingAccountId,date,meterCategory,quantity,costInBillingCurrency,"
            "billingCurrency,resourceId,chargeType,pricingModel,productId",
            "ba-1,09/03/2024,Virtual Machines,2,1.5,USD,/s/vm2,Usage,OnDemand,DZH318Z0BQ4L",
        ],
    )
    assert detect_format(mca) == "azure-cost-csv"
    row = read_file(mca).frame.row(0, named=True)
    assert (row["billing_account_id"], row["sku_id"], row["billed_cost"]) == (
        "ba-1",
        "DZH318Z0BQ4L",
        1.5,
    )
    assert row["charge_period_start"] == datetime(2024, 9, 3)


# --- OCI ----------------------------------------------------------------------------------------


def test_oci_sample_values_and_sums(real: dict[Path, ReadResult]) -> None:
    frame = real[OCI].frame
    rows = records(OCI)
    expected = file_sums(rows, "cost/currencyCode", "cost/myCost")
    assert set(expected) == {"USD"}
    assert sums(frame, "billed_cost") == pytest.approx(expected, rel=1e-12)
    assert sums(frame, "effective_cost") == pytest.approx(expected, rel=1e-12)
    first = frame.row(0, named=True)  # line 2: an Autonomous Database hour
    assert first["provider"] == "Oracle"
    assert first["service_name"] == "DATABASE"
    assert first["region_id"] == "us-sanjose-1"
    assert first["sku_id"] == "B92911"
    assert first["resource_id"].startswith("ocid1.autonomousdatabase.oc1.us-sanjose-1.anzwuljr")
    # intervalUsageStart "2023-11-13T10:00Z" (no seconds), end "2023-11-13T11:00:00Z"
    assert (first["charge_period_start"], first["charge_period_end"]) == (
        datetime(2023, 11, 13, 10),
        datetime(2023, 11, 13, 11),
    )
    assert (first["consumed_quantity"], first["consumed_unit"]) == (0.083333333333, "Hours")
    assert first["billed_cost"] == 0.012264277499950943
    assert json.loads(first["tags"]) == {
        "Oracle-Tags.CreatedBy": "default/phil.newman@oracle.com",
        "OracleInternalReserved.CostCenter": "607825",
        "OracleInternalReserved.OwnerEmail": "marek.czajka@oracle.com",
        "OracleInternalReserved.Phonebook": "accounts",
        "OracleInternalReserved.ServiceType": "Other",
        "OracleInternalReserved.UsageType": "development-pre-production",
        "Valtest.Cat": "boots",
    }
    second = frame.row(1, named=True)  # line 3: telemetry, 2.323760000E-9 USD, no tags at all
    assert (second["service_name"], second["billed_cost"], second["tags"]) == (
        "TELEMETRY",
        2.32376e-9,
        None,
    )


def test_focus_sample_sums_match_the_file(real: dict[Path, ReadResult]) -> None:
    rows = [{k: ("0" if v == "NULL" else v) for k, v in r.items()} for r in records(FOCUS)]
    assert sums(real[FOCUS].frame, "billed_cost") == pytest.approx(
        file_sums(rows, "BillingCurrency", "BilledCost"), rel=1e-12
    )


def test_a_derived_cost_that_overflows_is_quarantined(tmp_path: Path) -> None:
    # 1e308 − (−1e308) overflows to inf: the unused commitment cannot be loaded as a cost.
    path = write_text(
        tmp_path,
        "cur.csv",
        [
            "lineItem/LineItemType,lineItem/UsageStartDate,lineItem/CurrencyCode,"
            "lineItem/UnblendedCost,savingsPlan/TotalCommitmentToDate,savingsPlan/UsedCommitment",
            "SavingsPlanRecurringFee,2024-10-01T00:00:00Z,USD,1,1e308,-1e308",
            "Usage,2024-10-01T00:00:00Z,USD,1,,",
        ],
    )
    result = read_file(path)
    assert result.frame["line"].to_list() == [3]
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, "effective_cost: expected a finite cost, got 'inf'")
    ]
