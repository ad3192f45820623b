"""Reader registry: content-based detection, the public API, and each format's frame against the
raw table DDL in sql/ (the contract the loader relies on)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.readers import (
    FORMATS,
    ReadContext,
    UnreadableFileError,
    detect_format,
    format_names,
    read_file,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

SAMPLES = {
    "nvidia-smi-csv": (
        "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
        "2024/01/15 10:00:00.123, 0, GPU-0a, NVIDIA H100 80GB HBM3, 250.12 W, 45 %, 1000 MiB\n"
    ),
    "slurm-sacct": (
        "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment\n"
        "77|train|ann|ml|gpu|COMPLETED|2024-01-15T10:00:00|2024-01-15T11:00:00|gpu[001-002]|"
        "gres/gpu=8|x\n"
    ),
    "focus-csv": (
        '"BilledCost","ChargePeriodStart","ChargePeriodEnd","ProviderName","Tags"\n'
        '1.5,"2024-09-01 00:00:00","2024-09-01 01:00:00","AWS",NULL\n'
    ),
    "electricitymaps-csv": (
        "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
        "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
        "Data Source,Data Estimated,Data Estimation Method\n"
        "2023-01-01 00:00:00,Germany,Germany,DE,152.03,199.59,82.97,77.71,entsoe.eu,false,\n"
    ),
    "serving-csv": (
        "hour,model,deployment,requests,input_tokens,output_tokens\n"
        "2026-10-01T05:00:00Z,atlas-7b,prod-eu,1200,480000,96000\n"
    ),
    "node-power-csv": "timestamp,host,node_power_w\n2026-10-01T05:00:00Z,gpu-01,1234.5 W\n",
}
TABLE_OF = {f.name: f.table for f in FORMATS}
DUCKDB_TO_POLARS = {
    "VARCHAR": pl.String,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "TIMESTAMP": pl.Datetime("us"),
    "BOOLEAN": pl.Boolean,
    "VARCHAR[]": pl.List(pl.String),
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "node-a" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_format_has_a_sample_and_a_table_ddl() -> None:
    assert sorted(format_names()) == sorted(SAMPLES)
    for fmt in FORMATS:
        assert (REPO / "sql" / f"create_{fmt.table}.sql").is_file(), fmt.table


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_detection_is_by_content_not_by_name(tmp_path: Path, fmt: str) -> None:
    # A misleading extension must not matter.
    path = _write(tmp_path, "export.parquet", SAMPLES[fmt])
    assert detect_format(path) == fmt
    result = read_file(path)
    assert result.format == fmt
    assert result.table == TABLE_OF[fmt]
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_frame_matches_the_raw_table_ddl_and_loads(tmp_path: Path, fmt: str) -> None:
    table = TABLE_OF[fmt]
    con = duckdb.connect()
    con.execute((REPO / "sql" / f"create_{table}.sql").read_text())
    ddl = con.execute(f"DESCRIBE {table}").fetchall()
    frame = read_file(_write(tmp_path, "in.txt", SAMPLES[fmt])).frame
    assert frame.columns == [row[0] for row in ddl]
    assert dict(frame.schema) == {row[0]: DUCKDB_TO_POLARS[row[1]] for row in ddl}
    con.from_arrow(frame.to_arrow()).insert_into(table)
    assert len(con.table(table).fetchall()) == 1


def test_source_path_is_the_path_as_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", SAMPLES["serving-csv"])
    assert read_file(path).frame["source_path"].to_list() == [str(path)]


def test_unknown_format_names_file_and_formats_tried(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.csv", "name,colour\nwidget,blue\n")
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert str(path) in message
    assert "line 1 starts 'name,colour'" in message
    for name in format_names():
        assert name in message
    with pytest.raises(UnreadableFileError, match="tried nvidia-smi-csv"):
        detect_format(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "the file is empty"), (b"\n  \n", "only blank lines"), (b"\x89PNG\r\n\x1a\n\x00", "")],
)
def test_empty_blank_and_binary_files_are_unreadable(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "blob"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match="unrecognised file format") as err:
        read_file(path)
    assert expected in str(err.value)


def test_missing_file_is_unreadable_not_oserror(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot open file"):
        read_file(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFileError, match="cannot open file"):
        detect_format(tmp_path)


def test_bad_time_zone_from_config_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "smi.csv", SAMPLES["nvidia-smi-csv"])
    with pytest.raises(UnreadableFileError, match="'Mars/Olympus' .* not an IANA zone"):
        read_file(path, ReadContext(timezone_for_path=lambda p: "Mars/Olympus"))


def test_no_real_reference_file_is_mistaken_for_a_supported_format() -> None:
    # Shared reference tables, licences and other providers' exports must be refused, not misread.
    supported = {
        "focus_sample_data/focus_sample.csv",
        "slurm_sacct_issue_snippets/sacct_gpu_snippets.txt",
    }
    supported |= {
        f"electricitymaps_hourly/{p.name}"
        for p in (SHARED / "electricitymaps_hourly").glob("*.csv")
    }
    for path in sorted(p for p in SHARED.rglob("*") if p.is_file()):
        rel = path.relative_to(SHARED).as_posix()
        if rel in supported:
            assert detect_format(path) in format_names()
        else:
            with pytest.raises(UnreadableFileError):
                detect_format(path)
