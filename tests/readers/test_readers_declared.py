"""Declared usage CSV: one row per run, placed in time by end, duration_h or gpu_hours; every
row that cannot be priced as written is quarantined naming its line and what was expected."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.readers import detect_format, read_file
from pipeline.readers.declared import declared_usage

HEADER = (
    "run,model,phase,gpu_model,gpus,start,end,duration_h,gpu_hours,average_power_w,site,"
    "grid_gco2e_per_kwh,market_gco2e_per_kwh,pue,requests,cost_usd,flops,source"
)
# run,model,phase,gpu_model,gpus,start,end,duration_h,gpu_hours,power,site,grid,market,pue,
# requests,cost,flops,source
GOOD = [
    # a date as end is the run's last day, included: the span ends at the next 00:00 UTC
    "bloom,bloom-176b,training,A100-SXM4-80GB,384,2022-03-11,2022-07-06,,1082990,400,,57,,1.0,,,,"
    "Luccioni et al. 2022",
    # duration_h places the end
    "gpt3,gpt-3,training,V100,10000,2020-05-01,,355.2,,330,,429,,1.10,,,3.14e23,"
    '"Patterson et al. 2021, Table 4"',
    # gpu_hours alone: the GPUs ran without a break, so the span is gpu_hours / gpus
    "ft1,lynx-13b,fine_tuning,H100,8,2026-09-01T06:00:00Z,,,20,,eu-west,,,,,120.5,,vendor",
    # a datetime end is the instant it ended; end and duration_h agree
    "srv,lynx-13b,inference,H100,2,2026-09-01 00:00:00,2026-09-02T12:00:00Z,36,,,eu-west,,,,900,"
    ",,gateway",
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "published-runs.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_good_rows_and_their_spans(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert detect_format(path) == "declared-usage-csv"
    result = read_file(path)
    assert result.problems == []
    f = result.frame
    assert f.schema == declared_usage.SCHEMA
    assert f["line"].to_list() == [2, 3, 4, 5]
    assert f["start_utc"].to_list() == [
        datetime(2022, 3, 11),
        datetime(2020, 5, 1),
        datetime(2026, 9, 1, 6),
        datetime(2026, 9, 1),
    ]
    assert f["end_utc"].to_list() == [
        datetime(2022, 7, 7),  # 2022-07-06 included
        datetime(2020, 5, 15, 19, 12),  # + 355.2 h
        datetime(2026, 9, 1, 8, 30),  # 20 GPU-hours / 8 GPUs = 2.5 h
        datetime(2026, 9, 2, 12),
    ]
    assert f["gpu_hours"].to_list() == [1_082_990.0, None, 20.0, None]
    assert f["site"].to_list() == [None, None, "eu-west", "eu-west"]
    assert f["requests"].to_list() == [None, None, None, 900]
    assert f["flops"].to_list() == [None, 3.14e23, None, None]
    assert f["source"].to_list()[1] == "Patterson et al. 2021, Table 4"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("r,m,pretraining,V100,8,2020-05-01,,10,,,,400,,,,,,src", "phase: expected one of"),
        ("r,m,training,V100,0,2020-05-01,,10,,,,400,,,,,,src", "gpus: expected a whole number"),
        ("r,m,training,V100,8,May 1st,,10,,,,400,,,,,,src", "start: expected an ISO-8601"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,400,,,,,,", "source: expected where the figures"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,400,,,,,,  ", "source: expected a name"),
        ("r,m,training,V100,8,2020-05-01,,,,,,400,,,,,,src", "expected end, duration_h or gpu_h"),
        ("r,m,training,V100,8,2020-05-02,2020-05-01T00:00:00Z,,,,,400,,,,,,src", "end: expected"),
        ("r,m,training,V100,8,2020-05-01,2020-05-02,30,,,,400,,,,,,src", "disagree"),
        ("r,m,training,V100,8,2020-05-01,2020-05-01,,200,,,400,,,,,,src", "exceeds what 8 GPUs"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,,,,,,,src", "expected a site"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,1600,,,,,,src", "grid_gco2e_per_kwh: expected"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,400,,0.9,,,,src", "pue: expected a PUE within"),
        ("r,m,training,V100,8,2020-05-01,,-10,,,,400,,,,,,src", "duration_h: expected a number"),
        ("r,m,training,V100,8,2020-05-01,,10,,,,400,,,,-5,,src", "cost_usd: expected a number"),
    ],
)
def test_bad_rows_are_quarantined_with_their_line(tmp_path: Path, row: str, reason: str) -> None:
    result = read_file(write(tmp_path, [GOOD[0], row]))
    assert result.rows_read == 2 == result.rows_accepted + result.rows_quarantined
    assert result.frame["line"].to_list() == [2]
    [problem] = result.problems
    assert problem.line == 3
    assert reason in problem.reason, problem.reason


def test_rounded_published_gpu_hours_within_one_percent_are_accepted(tmp_path: Path) -> None:
    # 8 GPUs x 24 h = 192 GPU-hours; a published 193.9 is rounding, 194 would not be
    rows = [
        "a,m,training,V100,8,2020-05-01,2020-05-01,,193.9,,,400,,,,,,src",
        "b,m,training,V100,8,2020-05-01,2020-05-01,,194,,,400,,,,,,src",
    ]
    result = read_file(write(tmp_path, rows))
    assert result.frame["run"].to_list() == ["a"]
    assert [p.line for p in result.problems] == [3]


def test_minimal_header_is_recognised(tmp_path: Path) -> None:
    header = "run,model,phase,gpu_model,gpus,start,gpu_hours,grid_gco2e_per_kwh,source"
    path = write(tmp_path, ["x,m,evaluation,T4,1,2026-01-01,5,300,internal"], header)
    assert detect_format(path) == "declared-usage-csv"
    assert read_file(path).frame["end_utc"].to_list() == [datetime(2026, 1, 1, 5)]
