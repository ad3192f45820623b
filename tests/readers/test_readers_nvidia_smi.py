"""nvidia-smi --query-gpu CSV logs: local time → UTC, units, [N/A], hosts and GPU indices."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import (
    ReadContext,
    ReadResult,
    UnreadableFileError,
    _text,
    detect_format,
    read_file,
)
from pipeline.readers.telemetry import nvidia_smi

STOCKHOLM = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm")
HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


def write(tmp_path: Path, text: str, host: str = "gpu-node-07", name: str = "smi.log") -> Path:
    path = tmp_path / host / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def row(ts: str, index: int, power: str = "250.12 W", util: str = "45 %") -> str:
    return f"{ts}, {index}, GPU-{index:04d}, NVIDIA H100 80GB HBM3, {power}, {util}, 1024 MiB"


def test_stockholm_times_become_utc_across_both_dst_changes(tmp_path: Path) -> None:
    lines = [
        HEADER,
        row("2024/01/15 10:00:00.123", 0),  # CET, UTC+1
        row("2024/03/31 01:59:59.000", 0),  # last second before the spring change
        row("2024/03/31 03:00:00.000", 0),  # first second after it, now CEST (UTC+2)
        row("2024/07/01 12:00:00.000", 0),
        row("2024/10/27 02:30:00.000", 0),  # happens twice: the earlier (CEST) instant is taken
        row("2024/10/27 03:30:00.000", 0),  # CET again
    ]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"), STOCKHOLM)
    assert result.problems == []
    assert result.frame["ts_utc"].to_list() == [
        datetime(2024, 1, 15, 9, 0, 0, 123000),
        datetime(2024, 3, 31, 0, 59, 59),
        datetime(2024, 3, 31, 1, 0, 0),
        datetime(2024, 7, 1, 10, 0, 0),
        datetime(2024, 10, 27, 0, 30, 0),
        datetime(2024, 10, 27, 2, 30, 0),
    ]
    assert result.frame["line"].to_list() == [2, 3, 4, 5, 6, 7]


def test_time_skipped_by_spring_change_is_quarantined(tmp_path: Path) -> None:
    text = "\n".join([HEADER, row("2024/03/31 02:30:00.000", 0), row("2024/03/31 03:30:00.000", 0)])
    result = read_file(write(tmp_path, text), STOCKHOLM)
    assert result.rows_read == 2 and result.rows_accepted == 1
    [problem] = result.problems
    assert problem.line == 2
    assert "'2024/03/31 02:30:00.000' does not exist in Europe/Stockholm" in problem.reason


def test_units_stripped_na_is_null_and_host_from_folder(tmp_path: Path) -> None:
    text = "\n".join(
        [
            HEADER,
            row("2024/01/15 10:00:00.000", 0, "250.12 W", "45 %"),
            row("2024/01/15 10:00:00.000", 1, "[N/A]", "[N/A]"),
            "2024/01/15 10:00:00.000, 2, [N/A], [N/A], [Not Supported], 0 %, 0 MiB",
        ]
    )
    path = write(tmp_path, text, host="dgx-a17")
    assert detect_format(path) == "nvidia-smi-csv"
    result = read_file(path)
    assert result.problems == []
    frame = result.frame
    assert frame["host"].to_list() == ["dgx-a17"] * 3
    assert frame["gpu_index"].to_list() == [0, 1, 2]
    assert frame["power_w"].to_list() == [250.12, None, None]
    assert frame["util_pct"].to_list() == [45.0, None, 0.0]
    assert frame["gpu_uuid"].to_list() == ["GPU-0000", "GPU-0001", None]
    assert frame["gpu_name"].to_list() == ["NVIDIA H100 80GB HBM3"] * 2 + [None]
    assert frame["energy_mj"].null_count() == 3
    assert frame.schema == nvidia_smi.SCHEMA


def test_without_index_gpus_are_the_rows_of_one_poll(tmp_path: Path) -> None:
    lines = ["timestamp, name, power.draw [W]"]
    for ts in ("2024/01/15 10:00:00.000", "2024/01/15 10:00:01.000"):
        lines += [f"{ts}, NVIDIA A100-SXM4-40GB, {w} W" for w in (100, 110, 120, 130)]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["gpu_index"].to_list() == [0, 1, 2, 3] * 2
    assert result.frame["power_w"].to_list() == [100.0, 110.0, 120.0, 130.0] * 2


def test_without_index_a_mangled_line_keeps_its_place_in_the_poll(tmp_path: Path) -> None:
    lines = [
        "timestamp, name, power.draw [W]",
        "2024/01/15 10:00:00.000, A100, 100 W",
        "2024/01/15 10:00:00.000, A100",  # GPU 1's line lost a field; its time still places it
        "2024/01/15 10:00:00.000, A100, abc W",  # GPU 2: bad value, still GPU 2
        "2024/01/15 10:00:00.000, A100, 130 W",  # GPU 3
        "garbage without a time",  # no time, so no place in any poll
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["gpu_index"].to_list() == [0, 3]
    assert [p.line for p in result.problems] == [3, 4, 6]


def test_without_index_rows_of_one_poll_carry_their_own_milliseconds(tmp_path: Path) -> None:
    # nvidia-smi stamps each GPU's row with its own time: a 3-GPU poll spans .177 to .192 and the
    # next poll comes 1 s later (the shape of real `-l 1` logs). Rows within 0.1 s of the previous
    # row are one poll, so the GPUs are 0, 1, 2 in each poll, not all GPU 0.
    lines = ["timestamp, name, power.draw [W]"]
    for second, stamps in ((5, (".177", ".188", ".192")), (6, (".181", ".190", ".196"))):
        lines += [
            f"2024/06/01 11:27:{second:02d}{ms}, NVIDIA A100-SXM4-40GB, {60 + i}.00 W"
            for i, ms in enumerate(stamps)
        ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.problems == []
    assert result.frame["gpu_index"].to_list() == [0, 1, 2, 0, 1, 2]
    assert result.frame["power_w"].to_list() == [60.0, 61.0, 62.0] * 2


def test_without_index_a_uuid_numbers_gpus_in_order_of_first_appearance(tmp_path: Path) -> None:
    # GPUs listed GPU-b, GPU-a in the first poll are 0 and 1 for the whole file, whatever the
    # timestamps do; the truncated uuid of the last line is not a new GPU.
    lines = [
        "timestamp, uuid, power.draw [W]",
        "2024/01/15 10:00:00.001, GPU-b, 100 W",
        "2024/01/15 10:00:00.004, GPU-a, 110 W",
        "2024/01/15 10:00:01.002, GPU-b, 101 W",
        "2024/01/15 10:00:01.009, GPU-a, 111 W",
        "2024/01/15 10:00:02.002, GPU",
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["gpu_index"].to_list() == [0, 1, 0, 1]
    assert result.frame["gpu_uuid"].to_list() == ["GPU-b", "GPU-a"] * 2
    [problem] = result.problems
    assert problem.line == 6
    assert problem.reason.startswith(
        "expected 3 fields separated by ', ' as in the header on line 1"
    )


def test_hostname_column_any_field_order_nounits_and_power_average(tmp_path: Path) -> None:
    lines = [
        "power.draw.average [W], utilization.gpu [%], hostname, index, timestamp",
        "301.5, 88, node-a, 3, 2024/01/15 10:00:00.000",
        "302.5, 89, node-b, 1, 2024/01/15 10:00:00.000",
    ]
    result = read_file(write(tmp_path, "\n".join(lines), host="ignored-folder"))
    frame = result.frame
    assert frame["host"].to_list() == ["node-a", "node-b"]
    assert frame["gpu_index"].to_list() == [3, 1]
    assert frame["power_w"].to_list() == [301.5, 302.5]
    assert frame["util_pct"].to_list() == [88.0, 89.0]
    assert frame["gpu_uuid"].null_count() == 2


def test_power_draw_instant_is_accepted(tmp_path: Path) -> None:
    text = "timestamp, index, power.draw.instant [W]\n2024/01/15 10:00:00.000, 0, 512.00 W\n"
    assert read_file(write(tmp_path, text)).frame["power_w"].to_list() == [512.0]


def test_repeated_header_blank_lines_and_crlf_are_not_rows(tmp_path: Path) -> None:
    body = [
        HEADER,
        row("2024/01/15 10:00:00.000", 0),
        "",
        HEADER,
        row("2024/01/15 10:00:01.000", 0),
    ]
    path = tmp_path / "n1" / "smi.csv"
    path.parent.mkdir()
    path.write_bytes(("\r\n".join(body) + "\r\n").encode())
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted) == (2, 2)
    assert result.frame["line"].to_list() == [2, 5]
    assert result.frame["gpu_name"].to_list() == ["NVIDIA H100 80GB HBM3"] * 2


def test_utilisation_out_of_range_and_bad_index_are_quarantined(tmp_path: Path) -> None:
    text = "\n".join(
        [
            HEADER,
            row("2024/01/15 10:00:00.000", 0, util="145 %"),
            row("2024/01/15 10:00:00.000", 0).replace(", 0, GPU", ", x, GPU"),
            row("2024/01/15 10:00:00.000", 1),
        ]
    )
    result = read_file(write(tmp_path, text))
    assert result.frame["line"].to_list() == [4]
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, "utilization.gpu: expected at most 100 %, got '145 %'"),
        (3, "index: expected a GPU index like '0', got 'x'"),
    ]


def test_a_large_log_is_read_whole(tmp_path: Path) -> None:
    lines = [HEADER] + [
        row(f"2024/01/15 10:{i // 480:02d}:{i // 8 % 60:02d}.000", i % 8, f"{100 + i % 300}.5 W")
        for i in range(20_000)
    ]
    result = read_file(write(tmp_path, "\n".join(lines)), STOCKHOLM)
    assert result.rows_accepted == 20_000
    assert result.frame["line"].to_list()[-1] == 20_001
    assert result.frame["gpu_index"].max() == 7
    assert result.frame.filter(pl.col("power_w").is_null()).height == 0


@pytest.mark.parametrize(
    "header",
    [
        "timestamp, index, power.draw [W]",
        "timestamp,name,utilization.gpu [%]",
        "TIMESTAMP, INDEX, POWER.DRAW [W]",
    ],
)
def test_sniff_accepts_query_headers(header: str) -> None:
    assert nvidia_smi.sniff(["", header])


@pytest.mark.parametrize(
    "header",
    [
        "timestamp, value",
        "timestamp,name,value",
        "timestamp, index, uuid",
        "index, power.draw [W]",
        "Datetime (UTC),Zone Id",
        "JobID|State",
    ],
)
def test_sniff_rejects_other_headers(header: str) -> None:
    assert not nvidia_smi.sniff([header])


# --- every shape of --format=csv ----------------------------------------------------------------

NOHEADER_FIELDS = ("timestamp", "index", "uuid", "power.draw", "utilization.gpu")


def test_csv_nounits_header_keeps_units_values_are_bare(tmp_path: Path) -> None:
    text = (
        "timestamp, index, power.draw [W], utilization.gpu [%]\n"
        "2024/01/15 10:00:00.000, 0, 250.12, 45\n"
        "2024/01/15 10:00:00.000, 1, [N/A], [Not Supported]\n"
    )
    result = read_file(write(tmp_path, text))
    assert result.problems == []
    assert result.frame["power_w"].to_list() == [250.12, None]
    assert result.frame["util_pct"].to_list() == [45.0, None]


@pytest.mark.parametrize(
    ("power", "util"),
    [("250.12 W", "45 %"), ("250.12", "45")],  # csv,noheader and csv,noheader,nounits
)
def test_noheader_log_reads_with_the_configured_field_list(
    tmp_path: Path, power: str, util: str
) -> None:
    text = (
        f"2024/01/15 10:00:00.123, 0, GPU-0a, {power}, {util}\n"
        f"2024/01/15 10:00:00.125, 1, GPU-0b, [N/A], {util}\n"
    )
    path = write(tmp_path, text)
    assert detect_format(path) == "nvidia-smi-csv"
    ctx = ReadContext(timezone_for_path=lambda p: "UTC", nvidia_smi_fields=NOHEADER_FIELDS)
    result = read_file(path, ctx)
    assert result.problems == []
    frame = result.frame
    assert frame["line"].to_list() == [1, 2]
    assert frame["gpu_index"].to_list() == [0, 1]
    assert frame["gpu_uuid"].to_list() == ["GPU-0a", "GPU-0b"]
    assert frame["power_w"].to_list() == [250.12, None]
    assert frame["util_pct"].to_list() == [45.0, 45.0]
    assert frame["ts_utc"].to_list() == [
        datetime(2024, 1, 15, 10, 0, 0, 123000),
        datetime(2024, 1, 15, 10, 0, 0, 125000),
    ]


def test_noheader_config_accepts_units_aliases_and_any_case(tmp_path: Path) -> None:
    text = "0, 2024/01/15 10:00:00.000, NVIDIA L4, 72.5 W\n"
    fields = ("INDEX", "timestamp", "gpu_name", "power.draw [W]")
    ctx = ReadContext(nvidia_smi_fields=fields)
    path = write(tmp_path, text)
    assert detect_format(path) == "nvidia-smi-csv"  # the timestamp need not be the first field
    frame = read_file(path, ctx).frame
    assert frame.select("gpu_index", "gpu_name", "power_w").row(0) == (0, "NVIDIA L4", 72.5)


def test_noheader_log_without_a_configured_field_list_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "2024/01/15 10:00:00.123, 0, GPU-0a, 250.12 W, 45 %\n")
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert message.startswith(str(path))
    assert "without a header line" in message
    assert "set telemetry.nvidia_smi_fields" in message


def test_noheader_configured_list_without_timestamp_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, "2024/01/15 10:00:00.123, 0, 250.12 W\n")
    ctx = ReadContext(nvidia_smi_fields=("index", "power.draw"))
    with pytest.raises(UnreadableFileError, match="telemetry.nvidia_smi_fields .* no 'timestamp'"):
        read_file(path, ctx)


def test_noheader_line_with_another_field_count_names_the_configured_list(tmp_path: Path) -> None:
    text = (
        "2024/01/15 10:00:00.123, 0, GPU-0a, 250.12 W, 45 %\n"
        "2024/01/15 10:00:00.125, 1, GPU-0b, 250.12 W, 45 %, 1024 MiB\n"  # 6 fields, 5 configured
        "2024/01/15 10:00:01.1"  # truncated last line
    )
    ctx = ReadContext(nvidia_smi_fields=NOHEADER_FIELDS)
    result = read_file(write(tmp_path, text), ctx)
    assert result.frame["line"].to_list() == [1]
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            2,
            "expected 5 fields separated by ', ' as configured in telemetry.nvidia_smi_fields "
            "(timestamp, index, uuid, power.draw, utilization.gpu), got 6",
        ),
        (
            3,
            "expected 5 fields separated by ', ' as configured in telemetry.nvidia_smi_fields "
            "(timestamp, index, uuid, power.draw, utilization.gpu), got 1",
        ),
    ]


def test_a_header_written_later_with_other_fields_reads_its_own_section(tmp_path: Path) -> None:
    # Run 1 logged index and power.draw; run 2 (appended) logged uuid, util and power.draw.instant.
    lines = [
        "timestamp, index, power.draw [W]",
        "2024/01/15 10:00:00.000, 0, 100.00 W",
        "timestamp, index, power.draw [W]",  # same header repeated: not a row
        "2024/01/15 10:00:01.000, 0, 101.00 W",
        "timestamp, index, uuid, utilization.gpu [%], power.draw.instant [W]",
        "2024/01/15 11:00:00.000, 0, GPU-0a, 50 %, 300.00 W",
        "2024/01/15 11:00:00.000, 1, GPU-0b",  # truncated: named against the header on line 5
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    frame = result.frame
    assert frame["line"].to_list() == [2, 4, 6]
    assert frame["power_w"].to_list() == [100.0, 101.0, 300.0]
    assert frame["util_pct"].to_list() == [None, None, 50.0]
    assert frame["gpu_uuid"].to_list() == [None, None, "GPU-0a"]
    [problem] = result.problems
    assert problem.line == 7
    assert problem.reason == (
        "expected 5 fields separated by ', ' as in the header on line 5 (timestamp, index, uuid, "
        "utilization.gpu, power.draw.instant), got 3"
    )


def test_non_finite_power_is_quarantined(tmp_path: Path) -> None:
    text = "\n".join(
        [
            HEADER,
            row("2024/01/15 10:00:00.000", 0, "nan W"),
            row("2024/01/15 10:00:00.000", 1, "inf W"),
        ]
    )
    result = read_file(write(tmp_path, text))
    assert result.rows_accepted == 0
    assert [p.reason for p in result.problems] == [
        "power.draw: expected a number in W like '250.12 W', got 'nan W'",
        "power.draw: expected a number in W like '250.12 W', got 'inf W'",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "2024/01/15 10:00:00.123, 0, GPU-0a, 250.12 W",
        "2024/01/15 10:00:00.123, NVIDIA H100 80GB HBM3, 00000000:3B:00.0",
        "0, 2024/01/15 10:00:00, 250.12",
    ],
)
def test_sniff_accepts_noheader_lines(line: str) -> None:
    assert nvidia_smi.sniff([line])


@pytest.mark.parametrize(
    "line",
    [
        "2024-01-15 10:00:00.123, 0, 250.12 W",  # ISO dashes: not nvidia-smi's timestamp
        "2024/01/15 10:00:00.123",  # a lone timestamp is no query output
        "15/01/2024 10:00:00, 0, 250",
    ],
)
def test_sniff_rejects_other_dated_lines(line: str) -> None:
    assert not nvidia_smi.sniff([line])


# --- local time through the daylight-saving changes ---------------------------------------------


def test_autumn_repeated_hour_is_resolved_by_file_order(tmp_path: Path) -> None:
    # Europe/Stockholm, 2024-10-27: at 03:00 CEST (01:00 UTC) clocks go back to 02:00 CET, so the
    # wall clock shows 02:00-02:59 twice. A log written every 20 min straight through the change,
    # two GPUs per poll. Before the step back a time is CEST (UTC+2), after it CET (UTC+1).
    local = ["01:40", "02:00", "02:20", "02:40", "02:00", "02:20", "02:40", "03:00", "03:20"]
    lines = [HEADER]
    for hhmm in local:
        lines += [row(f"2024/10/27 {hhmm}:00.000", i) for i in (0, 1)]
    result = read_file(write(tmp_path, "\n".join(lines)), STOCKHOLM)
    assert result.problems == []
    expected = [
        datetime(2024, 10, 26, 23, 40),  # 01:40 CEST
        datetime(2024, 10, 27, 0, 0),  # 02:00 CEST (first pass)
        datetime(2024, 10, 27, 0, 20),
        datetime(2024, 10, 27, 0, 40),
        datetime(2024, 10, 27, 1, 0),  # 02:00 CET (second pass, after the step back)
        datetime(2024, 10, 27, 1, 20),
        datetime(2024, 10, 27, 1, 40),
        datetime(2024, 10, 27, 2, 0),  # 03:00 CET
        datetime(2024, 10, 27, 2, 20),
    ]
    frame = result.frame
    for gpu in (0, 1):
        assert frame.filter(pl.col("gpu_index") == gpu)["ts_utc"].to_list() == expected
    assert frame.select(pl.struct("gpu_index", "ts_utc").n_unique()).item() == 18


def test_hourly_samples_repeating_the_same_wall_clock_are_two_instants(tmp_path: Path) -> None:
    # One sample an hour: 02:30 appears twice on the wall clock; the repeat is the CET one.
    local = ["01:30", "02:30", "02:30", "03:30"]
    lines = [HEADER] + [row(f"2024/10/27 {hhmm}:00.000", 0) for hhmm in local]
    result = read_file(write(tmp_path, "\n".join(lines)), STOCKHOLM)
    assert result.frame["ts_utc"].to_list() == [
        datetime(2024, 10, 26, 23, 30),  # 01:30 CEST
        datetime(2024, 10, 27, 0, 30),  # 02:30 CEST
        datetime(2024, 10, 27, 1, 30),  # 02:30 CET
        datetime(2024, 10, 27, 2, 30),  # 03:30 CET
    ]


def test_repeated_hour_is_resolved_per_host(tmp_path: Path) -> None:
    # Two hosts in one file (hostname column); node-b only starts logging in the second pass,
    # which it cannot show from its own rows, so it reads as the first pass (documented limit),
    # while node-a's step back still moves node-a's later rows to CET.
    lines = [
        "timestamp, hostname, index, power.draw [W]",
        "2024/10/27 02:50:00.000, node-a, 0, 100 W",
        "2024/10/27 02:10:00.000, node-a, 0, 101 W",
        "2024/10/27 02:20:00.000, node-b, 0, 102 W",
        "2024/10/27 02:30:00.000, node-a, 0, 103 W",
    ]
    frame = read_file(write(tmp_path, "\n".join(lines)), STOCKHOLM).frame
    assert frame.select("host", "ts_utc").rows() == [
        ("node-a", datetime(2024, 10, 27, 0, 50)),  # CEST
        ("node-a", datetime(2024, 10, 27, 1, 10)),  # CET: node-a's clock stepped back
        ("node-b", datetime(2024, 10, 27, 0, 20)),  # CEST: nothing on node-b says otherwise
        ("node-a", datetime(2024, 10, 27, 1, 30)),  # CET
    ]


def test_spring_change_in_order_log_quarantines_only_the_skipped_times(tmp_path: Path) -> None:
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST; 02:00-02:59 never shows on the clock.
    local = ["01:40", "02:00", "02:40", "03:00", "03:20"]
    lines = [HEADER] + [row(f"2024/03/31 {hhmm}:00.000", 0) for hhmm in local]
    result = read_file(write(tmp_path, "\n".join(lines)), STOCKHOLM)
    assert result.frame["ts_utc"].to_list() == [
        datetime(2024, 3, 31, 0, 40),  # 01:40 CET
        datetime(2024, 3, 31, 1, 0),  # 03:00 CEST
        datetime(2024, 3, 31, 1, 20),
    ]
    assert [p.line for p in result.problems] == [3, 4]
    assert all("does not exist in Europe/Stockholm" in p.reason for p in result.problems)


# --- fuzz: noheader logs and the repeated hour ---------------------------------------------------

NOHEADER_VALID = (
    "".join(
        f"2024/10/27 {hhmm}:00.{ms:03d}, {i}, GPU-0{i}, {200 + i}.5 W, {40 + i} %\n"
        for hhmm in ("01:59", "02:30", "02:59", "02:00", "02:30", "03:00")
        for i, ms in ((0, 1), (1, 7))
    )
    + "2024/03/31 02:30:00.000, 0, GPU-00, [N/A], [Not Supported]\n"
).encode()


@st.composite
def corruption(draw: st.DrawFn, original: bytes) -> bytes:
    data = original
    for op in draw(st.lists(st.sampled_from(["cut", "flip", "dup", "swap", "junk"]), max_size=3)):
        lines = data.split(b"\n")
        if op == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + draw(st.binary(min_size=1, max_size=1)) + data[i + 1 :]
        elif op == "dup":
            i = draw(st.integers(0, len(lines) - 1))
            data = b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
        elif op == "swap" and len(lines) > 1:  # out-of-order times
            i = draw(st.integers(0, len(lines) - 2))
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            data = b"\n".join(lines)
        elif op == "junk":
            junk = draw(st.text(alphabet=", /:.0123456789WN[]A%\t;", max_size=30)).encode()
            lines.insert(draw(st.integers(0, len(lines))), junk)
            data = b"\n".join(lines)
    return data


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corrupted_noheader_log_never_raises_or_loses_rows(
    tmp_path: Path, data: st.DataObject
) -> None:
    path = tmp_path / "gpu-node-09" / "smi.log"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.draw(corruption(NOHEADER_VALID)))
    ctx = ReadContext(
        timezone_for_path=lambda p: "Europe/Stockholm", nvidia_smi_fields=NOHEADER_FIELDS
    )
    try:
        result = read_file(path, ctx)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame.schema == nvidia_smi.SCHEMA
    for column in nvidia_smi.NOT_NULL:
        assert result.frame[column].null_count() == 0
    accepted = result.frame["line"].to_list()
    assert len(set(accepted)) == len(accepted)
    assert set(accepted).isdisjoint(p.line for p in result.problems)
    assert all(p.reason for p in result.problems)


def test_uncorrupted_noheader_fuzz_sample_reads_cleanly(tmp_path: Path) -> None:
    # The fuzz sample itself: 12 rows through the repeated hour, all distinct per GPU, plus one
    # spring-forward time that does not exist.
    path = write(tmp_path, NOHEADER_VALID.decode())
    ctx = ReadContext(
        timezone_for_path=lambda p: "Europe/Stockholm", nvidia_smi_fields=NOHEADER_FIELDS
    )
    result = read_file(path, ctx)
    assert (result.rows_read, result.rows_accepted) == (13, 12)
    assert [p.line for p in result.problems] == [13]
    gpu0 = result.frame.filter(pl.col("gpu_index") == 0)["ts_utc"].dt.strftime("%H:%M").to_list()
    # 01:59, 02:30, 02:59 CEST → 23:59, 00:30, 00:59 UTC; then 02:00, 02:30 CET, 03:00 CET
    assert gpu0 == ["23:59", "00:30", "00:59", "01:00", "01:30", "02:00"]


# --- two ways in: polars' CSV split for well-formed logs, line by line for the rest -------------


def read_both_ways(
    path: Path, ctx: ReadContext, monkeypatch: pytest.MonkeyPatch
) -> tuple[ReadResult, ReadResult, bool]:
    """(result as read, result read line by line, whether the fast path read it)."""
    taken: list[bool] = []
    fast_rows = nvidia_smi._fast_rows

    def spy(*args: object) -> object:
        rows = fast_rows(*args)  # type: ignore[arg-type]
        taken.append(rows is not None)
        return rows

    with monkeypatch.context() as patch:
        patch.setattr(nvidia_smi, "_fast_rows", spy)
        result = read_file(path, ctx)
    with monkeypatch.context() as patch:
        patch.setattr(nvidia_smi, "_fast_rows", lambda *args: None)
        by_line = read_file(path, ctx)
    return result, by_line, any(taken)


def assert_same(a: ReadResult, b: ReadResult) -> None:
    assert a.rows_read == b.rows_read
    assert a.problems == b.problems
    assert a.frame.schema == b.frame.schema
    assert a.frame.equals(b.frame)


GOOD_ROWS = [
    row("2024/10/27 02:30:00.000", 0),
    row("2024/10/27 02:30:00.000", 1, "[N/A]", "[Not Supported]"),
    row("2024/10/27 02:00:01.000", 0, "-1 W"),  # bad value: quarantined on the fast path too
    row("2024/10/27 02:00:01.000", 1, util="101 %"),
    row("2024/03/31 02:30:00.5", 0),  # another fraction, and a time the spring change skipped
]


@pytest.mark.parametrize(
    ("text", "fast"),
    [
        pytest.param("\n".join([HEADER, *GOOD_ROWS]) + "\n", True, id="well-formed"),
        pytest.param("\r\n".join([HEADER, *GOOD_ROWS]), True, id="crlf-no-final-newline"),
        pytest.param("\ufeff" + "\n".join([HEADER, *GOOD_ROWS]), True, id="bom"),
        pytest.param("\n".join([HEADER, *GOOD_ROWS, HEADER, *GOOD_ROWS]), True, id="repeated"),
        pytest.param(
            "\n".join([HEADER.upper(), *GOOD_ROWS, "Timestamp, x"]), False, id="short-line"
        ),
        pytest.param("\n".join([HEADER, *GOOD_ROWS[:2], "", *GOOD_ROWS[2:]]), False, id="blank"),
        pytest.param(
            "\n".join([HEADER, *GOOD_ROWS[:2], "   ", *GOOD_ROWS[2:]]), False, id="spaces"
        ),
        pytest.param("\n".join([HEADER, GOOD_ROWS[0] + ",", *GOOD_ROWS]), False, id="long-line"),
        pytest.param("\n".join([HEADER, GOOD_ROWS[0] + " ,", *GOOD_ROWS]), False, id="empty-last"),
        pytest.param(
            "\n".join([HEADER, GOOD_ROWS[0].replace(",", "\r,", 1), *GOOD_ROWS]), False, id="cr"
        ),
        # Quotes are plain characters either way: a quoted comma splits, a quoted name is kept.
        pytest.param("\n".join([HEADER, '"a, b", ' + GOOD_ROWS[0]]), False, id="quoted-comma"),
        pytest.param(
            "\n".join(
                [HEADER, *GOOD_ROWS, GOOD_ROWS[0].replace("NVIDIA H100 80GB HBM3", '"H100"')]
            ),
            True,
            id="quoted-name",
        ),
        pytest.param("\n\n" + "\n".join([HEADER, *GOOD_ROWS]), False, id="leading-blank"),
        pytest.param(
            "\n".join([HEADER, *GOOD_ROWS, HEADER.replace("index", "serial"), *GOOD_ROWS]),
            False,
            id="other-fields-same-count",
        ),
    ],
)
def test_a_log_reads_the_same_split_by_polars_or_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fast: bool
) -> None:
    path = write(tmp_path, text)
    result, by_line, took_fast = read_both_ways(path, STOCKHOLM, monkeypatch)
    assert took_fast is fast
    assert_same(result, by_line)
    assert result.problems  # each case quarantines something, so the raw text is compared too


def test_undecodable_and_nul_bytes_are_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for junk in (b"\xff\xfe", b"\x00"):
        path = write(tmp_path, "")
        good = [(line + "\n").encode() for line in [HEADER, *GOOD_ROWS]]
        path.write_bytes(b"".join([*good[:2], junk + good[2], *good[3:]]))
        result, by_line, took_fast = read_both_ways(path, STOCKHOLM, monkeypatch)
        assert not took_fast
        assert_same(result, by_line)
        assert (3, nvidia_smi.NOT_TEXT_REASON) in [(p.line, p.reason) for p in result.problems]


def test_a_ragged_line_is_quarantined_with_its_physical_line_number_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [HEADER, row("2024/01/15 10:00:00.000", 0), "2024/01/15 10:00:00.000, 1, GPU-0001"]
    lines += [row("2024/01/15 10:00:01.000", 0)]
    result, by_line, took_fast = read_both_ways(
        write(tmp_path, "\n".join(lines)), STOCKHOLM, monkeypatch
    )
    assert not took_fast
    assert_same(result, by_line)
    assert result.frame["line"].to_list() == [2, 4]
    [problem] = result.problems
    assert (problem.line, problem.raw) == (3, "2024/01/15 10:00:00.000, 1, GPU-0001")
    assert problem.reason.startswith(
        "expected 7 fields separated by ', ' as in the header on line 1"
    )


def test_fast_path_quarantine_keeps_line_numbers_and_text_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spaces and the unit are kept in the raw text; the repeated header is not a row but still
    # counts as a physical line; CRLF ends are not part of the text.
    bad = "2024/01/15 10:00:02.000 ,  1 , GPU-0001, NVIDIA H100 80GB HBM3,  abc W , 45 %, 1 MiB"
    lines = [HEADER, row("2024/01/15 10:00:00.000", 0), HEADER, bad]
    path = tmp_path / "gpu-node-07" / "smi.log"
    path.parent.mkdir()
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result, by_line, took_fast = read_both_ways(path, STOCKHOLM, monkeypatch)
    assert took_fast
    assert_same(result, by_line)
    assert result.frame["line"].to_list() == [2]
    assert [(p.line, p.raw) for p in result.problems] == [(4, bad)]
    assert (
        result.problems[0].reason
        == "power.draw: expected a number in W like '250.12 W', got 'abc W'"
    )


def test_noheader_log_takes_the_fast_path_with_its_configured_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = ReadContext(
        timezone_for_path=lambda p: "Europe/Stockholm", nvidia_smi_fields=NOHEADER_FIELDS
    )
    header = "timestamp, index, uuid, power.draw [W], utilization.gpu [%]"
    path = write(tmp_path, NOHEADER_VALID.decode() + header + "\n" + NOHEADER_VALID.decode())
    result, by_line, took_fast = read_both_ways(path, ctx, monkeypatch)
    assert took_fast
    assert_same(result, by_line)
    assert [p.line for p in result.problems] == [13, 27]
    # A configured list other than the header's: sections with their own layouts, line by line.
    other = ReadContext(
        nvidia_smi_fields=("timestamp", "uuid", "index", "power.draw", "utilization.gpu")
    )
    result, by_line, took_fast = read_both_ways(path, other, monkeypatch)
    assert not took_fast
    assert_same(result, by_line)


def test_without_index_numbering_is_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for header, value in (
        ("timestamp, name, power.draw [W]", "A100"),
        ("timestamp, uuid, power.draw [W]", "GPU-{i}"),
    ):
        lines = [header]
        for second in range(3):
            # Rows of a poll a few ms apart, identities not in sorted order.
            lines += [
                f"2024/01/15 10:00:0{second}.{ms:03d}, {value.format(i=i)}, {100 + i} W"
                for ms, i in ((1, 5), (4, 1), (9, 9))
            ]
        result, by_line, took_fast = read_both_ways(
            write(tmp_path, "\n".join(lines)), STOCKHOLM, monkeypatch
        )
        assert took_fast
        assert_same(result, by_line)
        assert result.frame["gpu_index"].to_list() == [0, 1, 2] * 3


def test_a_header_only_log_reads_no_rows_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, by_line, took_fast = read_both_ways(
        write(tmp_path, HEADER + "\n"), STOCKHOLM, monkeypatch
    )
    assert took_fast
    assert_same(result, by_line)
    assert (result.rows_read, result.frame.height) == (0, 0)


@settings(max_examples=200, deadline=None, database=None)
@given(
    data=st.lists(
        st.sampled_from(
            [
                b"a",
                b",",
                b" ",
                b"\n",
                b"\r",
                b"\r\n",
                b"\xef\xbb\xbf",
                b"\xff",
                b"\x00",
                "\u00e9".encode(),
            ]
        ),
        max_size=40,
    ).map(b"".join),
    max_lines=st.sampled_from([None, 1, 3]),
)
def test_text_file_lines_one_by_one_are_its_lines(data: bytes, max_lines: int | None) -> None:
    # The reader checks the first line without splitting the whole file; it must see what
    # `lines` holds (BOM, CRLF, undecodable bytes alike).
    lazy = _text.TextFile(Path("smi.log"), data, max_lines)
    split = _text.TextFile(Path("smi.log"), data, max_lines)
    assert list(lazy.iter_lines()) == split.lines
    assert lazy.head() == split.head()


def test_lines_short_of_a_later_wider_header_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    # Sections read apart and joined again once made polars panic while wording the reasons.
    lines = [
        "timestamp, name, power.draw [W], utilization.gpu [%]",
        "2024/01/15 10:00:00.001, H100, 101 W, 5 %",
        HEADER,
        "2024/01/15 10:00:00.007, H100, 107 W, 5 %",
        "2024/01/15 10:00:01.001, H100, 101 W, 5 %",
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["line"].to_list() == [2]
    assert [p.line for p in result.problems] == [4, 5]
    assert result.problems[0].reason == (
        "expected 7 fields separated by ', ' as in the header on line 3 (timestamp, index, uuid, "
        "name, power.draw, utilization.gpu, memory.used), got 4"
    )
