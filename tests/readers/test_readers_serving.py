"""Hourly serving statistics CSV: hours in UTC, whole non-negative counts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.readers import ReadContext, UnreadableFileError, _text, detect_format, read_file
from pipeline.readers.serving import serving

HEADER = "hour,model,deployment,requests,input_tokens,output_tokens"


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "gateway-export.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_rows_both_hour_spellings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            HEADER,
            "2026-10-01T05:00:00Z,atlas-7b,prod-eu,1200,480000,96000",
            "2026-10-01 06:00:00,atlas-7b,prod-eu,1300,520000,104000",
            "2026-10-01T09:00:00+02:00,atlas-70b,,7,2800,900",
        ],
    )
    assert detect_format(path) == "serving-csv"
    result = read_file(path)
    assert result.problems == []
    frame = result.frame
    assert frame.schema == serving.SCHEMA
    assert frame["hour_utc"].to_list() == [
        datetime(2026, 10, 1, 5),
        datetime(2026, 10, 1, 6),
        datetime(2026, 10, 1, 7),  # an explicit offset is honoured
    ]
    assert frame["model"].to_list() == ["atlas-7b", "atlas-7b", "atlas-70b"]
    assert frame["deployment"].to_list() == ["prod-eu", "prod-eu", None]
    assert frame["requests"].to_list() == [1200, 1300, 7]
    assert frame["output_tokens"].to_list() == [96000, 104000, 900]
    assert frame["line"].to_list() == [2, 3, 4]


def test_column_order_and_extra_columns_do_not_matter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ["Requests,Model,Hour,p50_latency_ms", "10,atlas-7b,2026-10-01T05:00:00Z,120"],
    )
    frame = read_file(path).frame
    assert frame.select("requests", "model").row(0) == (10, "atlas-7b")
    assert frame["input_tokens"].to_list() == [None]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2026-10-01T05:00:00Z,m,d,-5,1,1", "requests: expected a non-negative whole number"),
        ("2026-10-01T05:00:00Z,m,d,12.5,1,1", "requests: expected a non-negative whole number"),
        ("2026-10-01T05:00:00Z,m,d,12,lots,1", "input_tokens: expected a non-negative whole"),
        ("2026-10-01T05:30:00Z,m,d,12,1,1", "hour: expected the start of an hour"),
        ("yesterday,m,d,12,1,1", "hour: expected an ISO-8601 UTC time"),
        ("2026-10-01T05:00:00Z,,d,12,1,1", "model: expected a value, got nothing"),
        ("2026-10-01T05:00:00Z,m,d,,1,1", "requests: expected a value, got nothing"),
        ("2026-10-01T05:00:00Z,m,d,12,1", "expected 6 comma-separated fields as in the header"),
    ],
)
def test_bad_rows_are_quarantined_with_reason(tmp_path: Path, row: str, reason: str) -> None:
    good = "2026-10-01T04:00:00Z,m,d,1,1,1"
    result = read_file(write(tmp_path, [HEADER, good, row]))
    assert result.frame["line"].to_list() == [2]
    [problem] = result.problems
    assert problem.line == 3
    assert reason in problem.reason
    assert problem.raw == row


def test_missing_required_column_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, ["hour,model,requests_total", "2026-10-01T05:00:00Z,m,1"])
    # Without `requests` the header does not identify the format at all.
    with pytest.raises(UnreadableFileError, match="unrecognised file format"):
        read_file(path)
    with pytest.raises(UnreadableFileError, match="no 'requests' column"):
        serving.read(_text.load(path), ReadContext())
