"""nvidia-smi --query-gpu CSV logs: local time → UTC, units, [N/A], hosts and GPU indices."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.readers import ReadContext, detect_format, nvidia_smi, read_file

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


def test_without_index_a_mangled_line_does_not_renumber_the_poll(tmp_path: Path) -> None:
    lines = [
        "timestamp, name, power.draw [W]",
        "2024/01/15 10:00:00.000, A100, 100 W",
        "2024/01/15 10:00:00.000, A100",  # GPU 1's line lost a field
        "2024/01/15 10:00:00.000, A100, abc W",  # GPU 2: bad value, still GPU 2
        "2024/01/15 10:00:00.000, A100, 130 W",
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["gpu_index"].to_list() == [0, 2]
    assert [p.line for p in result.problems] == [3, 4]


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
