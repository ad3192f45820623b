"""Bad input: each problem names the file and line and says what was expected, good rows still
land, and no corruption of a valid file makes a reader raise anything but UnreadableFileError or
lose a row."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import (
    FORMATS,
    ReadContext,
    UnreadableFileError,
    electricitymaps,
    focus,
    format_names,
    node_power,
    nvidia_smi,
    read_file,
    serving,
    slurm_sacct,
)

STOCKHOLM = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm")
SMI_HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


def smi_row(second: int, index: int, power: str) -> str:
    return (
        f"2024/01/15 10:00:{second:02d}.000, {index}, GPU-{index:04d}, NVIDIA H100 80GB HBM3, "
        f"{power}, 45 %, 1024 MiB"
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gpu-node-03" / "smi-20240115.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_last_line(tmp_path: Path) -> None:
    good = [smi_row(0, 0, "250.12 W"), smi_row(0, 1, "251.00 W"), smi_row(1, 0, "249.50 W")]
    # A logger killed mid-write: no newline at the end, fields missing.
    path = write(tmp_path, "\n".join([SMI_HEADER, *good, "2024/01/15 10:00:01.000, 1, GPU-00"]))
    result = read_file(path)
    assert result.frame["line"].to_list() == [2, 3, 4]
    assert result.frame["power_w"].to_list() == [250.12, 251.0, 249.5]
    [problem] = result.problems
    assert problem.line == 5
    assert problem.reason == (
        "expected 7 fields separated by ', ' as in the header on line 1 (timestamp, index, uuid, "
        "name, power.draw, utilization.gpu, memory.used), got 3"
    )
    assert problem.raw == "2024/01/15 10:00:01.000, 1, GPU-00"
    quarantine = result.quarantine_frame()
    assert quarantine.row(0) == (str(path), 5, problem.reason, problem.raw)


def test_non_numeric_power(tmp_path: Path) -> None:
    lines = [SMI_HEADER, smi_row(0, 0, "250.12 W"), smi_row(0, 1, "abc W"), smi_row(1, 0, "9 W")]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [2, 4]
    [problem] = result.problems
    assert problem.line == 3
    assert problem.reason == "power.draw: expected a number in W like '250.12 W', got 'abc W'"
    assert str(problem) == f"line 3: {problem.reason}"


def test_negative_power(tmp_path: Path) -> None:
    lines = [SMI_HEADER, smi_row(0, 0, "-12.50 W"), smi_row(0, 1, "251.00 W")]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [3]
    assert result.frame["gpu_index"].to_list() == [1]
    [problem] = result.problems
    assert problem.line == 2
    assert problem.reason == "power.draw: expected a non-negative power in W, got '-12.50 W'"


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "landing" / "mystery.csv"
    path.parent.mkdir()
    path.write_text("when,what,how_much\n2024-01-15,coffee,3\n")
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: unrecognised file format")
    assert "line 1 starts 'when,what,how_much'" in message
    assert message.endswith("tried " + ", ".join(format_names()))


def test_undecodable_bytes_quarantine_one_line_only(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    body = [SMI_HEADER, smi_row(0, 0, "250 W"), smi_row(0, 1, "251 W"), smi_row(1, 0, "252 W")]
    data = "\n".join(body).encode().replace(b"GPU-0001", b"GPU-\xff\xfe01") + b"\n"
    path.write_bytes(data)
    result = read_file(path)
    assert result.frame["line"].to_list() == [2, 4]
    [problem] = result.problems
    assert (problem.line, problem.reason) == (
        3,
        "line is not valid UTF-8 text (undecodable bytes or NUL); expected a text line",
    )


def test_truncated_sacct_and_focus_files(tmp_path: Path) -> None:
    sacct = tmp_path / "sacct.txt"
    sacct.write_text("JobID|State|AllocTRES\n1|COMPLETED|gres/gpu=4\n2|COMPLE")
    result = read_file(sacct)
    assert result.frame["job_id"].to_list() == ["1"]
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            3,
            "expected 3 '|'-separated fields as in the header on line 1 (JobID|State|AllocTRES), "
            "got 2",
        )
    ]
    bill = tmp_path / "bill.csv"
    bill.write_text('"BilledCost","ChargePeriodStart"\n1.0,"2024-09-01 00:00:00"\n2.0,"2024-09-0')
    result = read_file(bill)
    assert result.frame["billed_cost"].to_list() == [1.0]
    assert [p.line for p in result.problems] == [3]
    assert "ChargePeriodStart: expected an ISO-8601 UTC time" in result.problems[0].reason


# --- properties: random corruption of a valid file ---------------------------------------------

VALID = {
    "nvidia-smi-csv": "\n".join(
        [SMI_HEADER]
        + [
            smi_row(s, i, p)
            for s, i, p in [(0, 0, "250.12 W"), (0, 1, "[N/A]"), (1, 0, "249 W"), (1, 1, "251 W")]
        ]
        + ["2024/03/31 03:00:00.000, 0, GPU-0000, NVIDIA H100 80GB HBM3, 100 W, 1 %, 1 MiB"]
    )
    + "\n",
    "slurm-sacct": "\n".join(
        [
            "# sacct --parsable2",
            "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment",
            "101|train|ann|ml|gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00|gpu[01-04]"
            "|gres/gpu:h100=32,gres/gpu=32,node=4|phase=train",
            "101.batch|batch|||gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00|gpu01"
            "|cpu=8,gres/gpu=8|",
            "102_3|eval|bob|ml|gpu|RUNNING|2024-10-27T03:00:00|Unknown|gpu05|gres/gpu:a100=2|",
            "#",
            "JobID|AllocTRES|",
            "103|gres/gpu=1|",
        ]
    )
    + "\n",
    "focus-csv": "\n".join(
        [
            '"BilledCost","EffectiveCost","ChargePeriodStart","ResourceId","Tags"',
            '1.5,1.2,"2024-09-01 00:00:00","i-0abc","{""team"": ""ml""}"',
            '2.0,NULL,"2024-09-01 01:00:00",NULL,NULL',
            '0.5,0.5,"2024-09-01 02:00:00","disk, ssd",NULL',
        ]
    )
    + "\n",
    "electricitymaps-csv": "\n".join(
        [
            "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
            "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
            "Data Source,Data Estimated,Data Estimation Method",
            "2023-01-01 00:00:00,Germany,Germany,DE,152.03,199.59,82.97,77.71,entsoe.eu,false,",
            '2023-01-01 01:00:00,USA,"Texas, Inc.",US-TEX-ERCO,224.47,266.39,62.69,50.27,eia.gov,'
            "true,ESTIMATED_TIME_SLICER_AVERAGE",
        ]
    )
    + "\n",
    "serving-csv": "\n".join(
        [
            "hour,model,deployment,requests,input_tokens,output_tokens",
            "2026-10-01T05:00:00Z,atlas-7b,prod-eu,1200,480000,96000",
            "2026-10-01 06:00:00,atlas-7b,,3,,",
        ]
    )
    + "\n",
    "node-power-csv": "timestamp,host,power\n2026-10-01T05:00:00Z,gpu-01,1234.5 W\n"
    "2026-10-25 02:30:00,gpu-02,980\n",
}
MODULES = {
    m.FORMAT: m for m in (nvidia_smi, slurm_sacct, focus, electricitymaps, serving, node_power)
}
STRUCTURE = ',|"#\r\t []NA/W%0123456789.-:T=gres/gpu\ufeff\x00²٣+Z'


@st.composite
def corrupted(draw: st.DrawFn, original: bytes) -> bytes:
    data = original
    ops = ["truncate", "replace", "duplicate", "garbage", "empty", "header_only"]
    for op in draw(st.lists(st.sampled_from(ops), min_size=1, max_size=3)):
        lines = data.split(b"\n")
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "replace" and data:
            for _ in range(draw(st.integers(1, 4))):
                i = draw(st.integers(0, len(data) - 1))
                data = data[:i] + draw(st.binary(min_size=1, max_size=1)) + data[i + 1 :]
        elif op == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif op == "garbage":
            junk = draw(
                st.one_of(
                    st.binary(max_size=30),
                    st.text(alphabet=STRUCTURE, max_size=40).map(str.encode),
                )
            )
            lines.insert(draw(st.integers(0, len(lines))), junk.replace(b"\n", b""))
            data = b"\n".join(lines)
        elif op == "empty":
            data = b""
        elif op == "header_only":
            data = lines[0] + b"\n"
    return data


def check_invariants(path: Path) -> None:
    try:
        result = read_file(path, STOCKHOLM)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    module = MODULES[result.format]
    assert result.frame.schema == module.SCHEMA
    for column in module.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    physical = len(path.read_bytes().split(b"\n"))
    accepted = result.frame["line"].to_list()
    quarantined = [p.line for p in result.problems]
    assert all(1 <= n <= physical for n in accepted + quarantined)
    assert len(set(accepted)) == len(accepted)
    assert set(accepted).isdisjoint(quarantined)
    assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
    assert result.quarantine_frame().height == result.rows_quarantined
    assert result.frame.filter(pl.col("source_path") != str(path)).height == 0


def test_every_format_has_a_property_sample() -> None:
    assert sorted(VALID) == sorted(f.name for f in FORMATS)


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_valid_samples_read_cleanly(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, VALID[fmt])
    result = read_file(path, STOCKHOLM)
    assert result.format == fmt
    assert result.problems == []
    check_invariants(path)


@pytest.mark.parametrize("fmt", sorted(VALID))
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corruption_never_raises_or_loses_rows(
    tmp_path: Path, fmt: str, data: st.DataObject
) -> None:
    path = tmp_path / "host-x" / "input.dat"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.draw(corrupted(VALID[fmt].encode())))
    check_invariants(path)
