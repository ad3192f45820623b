"""FOCUS 1.x billing CSV: the real 1,000-row FinOps Foundation sample in place, plus edge cases."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.readers import ReadResult, detect_format, focus, read_file

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "focus_sample_data"
    / "focus_sample.csv"
)


@pytest.fixture(scope="module")
def sample() -> ReadResult:
    return read_file(SAMPLE)


def test_sample_all_rows_accepted(sample: ReadResult) -> None:
    assert detect_format(SAMPLE) == "focus-csv"
    assert sample.table == "raw_billing"
    # 1,001 physical lines: the header and 1,000 records, none spanning lines.
    assert (sample.rows_read, sample.rows_accepted, sample.rows_quarantined) == (1000, 1000, 0)
    assert sample.frame["line"].to_list() == list(range(2, 1002))
    assert sample.frame.schema == focus.SCHEMA


def test_sample_agrees_with_an_independent_csv_read(sample: ReadResult) -> None:
    with SAMPLE.open(newline="", encoding="utf-8-sig") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) == sample.rows_accepted
    frame = sample.frame
    for i in (0, 312, 954, 999):
        rec, got = records[i], frame.row(i, named=True)
        assert got["billed_cost"] == float(rec["BilledCost"])
        assert got["effective_cost"] == float(rec["EffectiveCost"])
        assert got["resource_id"] == (None if rec["ResourceId"] == "NULL" else rec["ResourceId"])
        assert got["provider"] == rec["ProviderName"]
    assert frame["tags"].null_count() == sum(r["Tags"] == "NULL" for r in records) == 289
    assert frame["resource_id"].null_count() == 75


def test_sample_spot_values(sample: ReadResult) -> None:
    first = sample.frame.row(0, named=True)
    assert first["line"] == 2
    assert first["billed_cost"] == 0.0000008
    assert first["resource_id"] == (
        "arn:ats:sqs:us-test-2:347410479675:mibelllmel-i-032l64f2065481b12"
    )
    assert first["provider"] == "AWS"
    assert first["billing_account_id"] == "1234567890123"
    assert first["charge_period_start"] == datetime(2024, 9, 18, 22)
    assert first["charge_period_end"] == datetime(2024, 9, 18, 23)
    assert first["service_name"] == "Amazon Simple Queue Service"
    assert first["consumed_quantity"] == 2.0 and first["consumed_unit"] == "Requests"
    assert first["tags"] is None  # unquoted NULL
    assert sample.frame.row(1, named=True)["tags"] == (
        '{"application": "BrightLensMatrix", "environment": "dev", "business_unit": "ViennaAI"}'
    )
    gpu = sample.frame.row(312, named=True)  # line 314: a g5.4xlarge hour
    assert (gpu["line"], gpu["resource_id"], gpu["billed_cost"]) == (
        314,
        "i-006flle71l19b488a",
        1.624,
    )
    assert sample.frame["provider"].value_counts().sort("provider").rows() == [
        ("AWS", 942),
        ("Microsoft", 51),
        ("Oracle", 7),
    ]


def test_bom_quoted_newline_null_and_bad_tags(tmp_path: Path) -> None:
    header = (
        '"BilledCost","EffectiveCost","BillingCurrency","ChargePeriodStart","ResourceName","Tags"'
    )
    lines = [
        header,
        '1.5,1.2,"USD","2024-09-01 00:00:00","gpu box, rack 7\nrow B",NULL',  # spans lines 2-3
        '2.0,NULL,"USD","2024-09-01T01:00:00Z",NULL,"{""team"": ""ml""}"',
        '3.0,3.0,"USD","2024-09-01 02:00:00",NULL,"{not json"',
        '4.0,4.0,"USD","2024-09-01 03:00:00",NULL,"[1, 2]"',
        'lots,4.0,"USD","2024-09-01 03:00:00",NULL,NULL',
    ]
    path = tmp_path / "bill"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    assert detect_format(path) == "focus-csv"
    result = read_file(path)
    frame = result.frame
    assert frame["line"].to_list() == [2, 4]
    assert frame["resource_name"].to_list() == ["gpu box, rack 7\nrow B", None]
    assert frame["effective_cost"].to_list() == [1.2, None]
    assert frame["tags"].to_list() == [None, '{"team": "ml"}']
    assert frame["charge_period_start"].to_list() == [datetime(2024, 9, 1), datetime(2024, 9, 1, 1)]
    assert [(p.line, p.reason) for p in result.problems] == [
        (5, "Tags: expected a JSON object like '{\"team\": \"ml\"}', got '{not json'"),
        (6, "Tags: expected a JSON object like '{\"team\": \"ml\"}', got '[1, 2]'"),
        (7, "BilledCost: expected a number like '12.5', got 'lots'"),
    ]


def test_unclosed_quote_is_one_quarantined_record_naming_its_span(tmp_path: Path) -> None:
    lines = [
        '"BilledCost","BillingCurrency","ChargePeriodStart","ServiceName"',
        '1.0,"USD","2024-09-01 00:00:00","EC2"',
        '2.0,"USD","2024-09-01 01:00:00","EC2',
        '3.0,"USD","2024-09-01 02:00:00","EC2"',
    ]
    path = tmp_path / "bill.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_file(path)
    assert result.frame["line"].to_list() == [2]
    [problem] = result.problems
    assert problem.line == 3
    assert "record spans lines 3-4" in problem.reason
