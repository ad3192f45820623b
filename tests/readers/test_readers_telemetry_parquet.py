"""Canonical telemetry Parquet ("telemetry lake"): layout, physical types, row checks, schema
errors, the writers the docs show, and corruption of valid files (truncation, byte flips)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import FORMATS, UnreadableFileError, _parquet, detect_format, read_file
from pipeline.readers.telemetry import telemetry_parquet

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, table: pa.Table, name: str = "lake.parquet", **kw: object) -> Path:
    path = tmp_path / "telemetry" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **kw)
    return path


def sample(n: int = 4) -> pa.Table:
    """n rows: host gpu-a then gpu-b, GPUs 0/1, one second apart, power 100.5 + 10 i W."""
    return pa.table(
        {
            "ts_utc": pa.array(
                [datetime(2026, 10, 1, 5, 0, i) for i in range(n)], pa.timestamp("us")
            ),
            "host": pa.array([("gpu-a" if i < n // 2 else "gpu-b") for i in range(n)], pa.string()),
            "gpu_index": pa.array([i % 2 for i in range(n)], pa.int32()),
            "power_w": pa.array([100.5 + 10 * i for i in range(n)], pa.float64()),
            "energy_mj": pa.array([1_000_000.0 + 1000 * i for i in range(n)], pa.float64()),
            "util_pct": pa.array([float(10 * i) for i in range(n)], pa.float64()),
            "gpu_uuid": pa.array([f"GPU-{i % 2}" for i in range(n)], pa.string()),
            "gpu_name": pa.array(["NVIDIA H100 80GB HBM3"] * n, pa.string()),
            "workload": pa.array(
                [("4211" if i % 2 == 0 else "ml/train-0") for i in range(n)], pa.string()
            ),
        }
    )


def test_canonical_file_reads_every_column(tmp_path: Path) -> None:
    path = write(tmp_path, sample(), name="day.csv")  # a misleading name changes nothing
    assert detect_format(path) == "telemetry-parquet"
    result = read_file(path)
    assert (result.format, result.table) == ("telemetry-parquet", "raw_gpu_samples")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 4, 0)
    assert result.frame.schema == telemetry_parquet.SCHEMA
    # Values as written by sample(): row i (1-based line i + 1) has power 100.5 + 10 i.
    assert result.frame.rows() == [
        (str(path), 1, "gpu-a", 0, "GPU-0", "NVIDIA H100 80GB HBM3",
         datetime(2026, 10, 1, 5, 0, 0), 100.5, 0.0, 1_000_000.0, "4211"),
        (str(path), 2, "gpu-a", 1, "GPU-1", "NVIDIA H100 80GB HBM3",
         datetime(2026, 10, 1, 5, 0, 1), 110.5, 10.0, 1_001_000.0, "ml/train-0"),
        (str(path), 3, "gpu-b", 0, "GPU-0", "NVIDIA H100 80GB HBM3",
         datetime(2026, 10, 1, 5, 0, 2), 120.5, 20.0, 1_002_000.0, "4211"),
        (str(path), 4, "gpu-b", 1, "GPU-1", "NVIDIA H100 80GB HBM3",
         datetime(2026, 10, 1, 5, 0, 3), 130.5, 30.0, 1_003_000.0, "ml/train-0"),
    ]  # fmt: skip


def test_frame_matches_the_raw_table_ddl_and_loads(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "schema_raw_gpu_samples.sql").read_text())
    ddl = [row[0] for row in con.execute("DESCRIBE raw_gpu_samples").fetchall()]
    frame = read_file(write(tmp_path, sample())).frame
    assert frame.columns == ddl
    con.from_arrow(frame.to_arrow()).insert_into("raw_gpu_samples")
    assert con.execute("select count(*), sum(power_w) from raw_gpu_samples").fetchone() == (
        4,
        100.5 + 110.5 + 120.5 + 130.5,
    )


def test_only_the_required_columns_and_one_reading_are_needed(tmp_path: Path) -> None:
    table = sample(2).select(["ts_utc", "host", "gpu_index", "energy_mj"])
    frame = read_file(write(tmp_path, table)).frame
    assert frame["energy_mj"].to_list() == [1_000_000.0, 1_001_000.0]
    for absent in ("power_w", "util_pct", "gpu_uuid", "gpu_name", "workload"):
        assert frame[absent].null_count() == 2


def test_only_needed_columns_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = sample(2).append_column("fan_speed_pct", pa.array([1.0, 2.0]))
    table = table.append_column("notes", pa.array([{"a": 1}, {"a": 2}]))
    seen: list[list[str]] = []
    original = _parquet.read_frame

    def spy(path: Path, wanted: list[str], *args: object, **kw: object) -> pl.DataFrame:
        seen.append(list(wanted))
        return original(path, wanted, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_parquet, "read_frame", spy)
    read_file(write(tmp_path, table))
    assert seen == [
        ["ts_utc", "host", "gpu_index", "power_w", "energy_mj", "util_pct", "gpu_uuid",
         "gpu_name", "workload"]
    ]  # fmt: skip


def test_zone_aware_times_are_converted_to_utc(tmp_path: Path) -> None:
    # 12:00 in Stockholm is 11:00 UTC in winter (CET, +1) and 10:00 UTC in summer (CEST, +2).
    local = [datetime(2024, 1, 15, 12, 0), datetime(2024, 7, 1, 12, 0)]
    table = pa.table(
        {
            "ts_utc": pa.array(local, pa.timestamp("ms")).cast(pa.timestamp("ms", "UTC")),
            "host": ["h", "h"],
            "gpu_index": pa.array([0, 0], pa.int64()),
            "power_w": [1.0, 2.0],
        }
    )
    # Re-label the wall-clock times as Stockholm times (Arrow keeps UTC instants underneath).
    stockholm = pl.from_arrow(table).with_columns(
        pl.col("ts_utc").dt.replace_time_zone(None).dt.replace_time_zone("Europe/Stockholm")
    )
    path = tmp_path / "tz.parquet"
    stockholm.write_parquet(path)
    assert read_file(path).frame["ts_utc"].to_list() == [
        datetime(2024, 1, 15, 11, 0),
        datetime(2024, 7, 1, 10, 0),
    ]


@pytest.mark.parametrize(
    ("column", "array"),
    [
        ("gpu_index", pa.array([0, 1], pa.int8())),
        ("gpu_index", pa.array([0, 1], pa.int16())),
        ("gpu_index", pa.array([0, 1], pa.int64())),
        ("gpu_index", pa.array([0, 1], pa.uint8())),
        ("gpu_index", pa.array([0, 1], pa.uint32())),
        ("power_w", pa.array([100.5, 110.5], pa.float32())),  # exact in float32
        ("power_w", pa.array([Decimal("100.5"), Decimal("110.5")], pa.decimal128(6, 2))),
        ("ts_utc", pa.array([datetime(2026, 10, 1, 5, 0, s) for s in (0, 1)], pa.timestamp("s"))),
        ("ts_utc", pa.array([datetime(2026, 10, 1, 5, 0, s) for s in (0, 1)], pa.timestamp("ms"))),
        ("ts_utc", pa.array([datetime(2026, 10, 1, 5, 0, s) for s in (0, 1)], pa.timestamp("ns"))),
        (
            "ts_utc",
            pa.array(
                [datetime(2026, 10, 1, 5, 0, s, tzinfo=UTC) for s in (0, 1)],
                pa.timestamp("us", "UTC"),
            ),
        ),
        ("host", pa.array(["gpu-a", "gpu-b"], pa.large_string())),
        ("host", pa.array(["gpu-a", "gpu-b"]).dictionary_encode()),
        ("host", pa.array([b"gpu-a", b"gpu-b"], pa.binary())),
    ],
)
def test_compatible_physical_types_read_the_same(
    tmp_path: Path, column: str, array: pa.Array
) -> None:
    base = sample(2)
    table = base.set_column(base.schema.get_field_index(column), column, array)
    result = read_file(write(tmp_path, table))
    assert result.problems == []
    expected = read_file(write(tmp_path, base, name="base.parquet")).frame.drop("source_path")
    assert result.frame.drop("source_path").equals(expected)


def test_integer_readings_and_null_type_optional_columns(tmp_path: Path) -> None:
    table = pa.table(
        {
            "ts_utc": pa.array([datetime(2026, 10, 1)], pa.timestamp("us")),
            "host": ["h"],
            "gpu_index": pa.array([3], pa.int32()),
            "util_pct": pa.array([87], pa.uint8()),  # nvidia-smi reports whole percent
            "workload": pa.nulls(1),  # an all-null column written with the null type
        }
    )
    frame = read_file(write(tmp_path, table)).frame
    assert frame.select("gpu_index", "util_pct", "workload").row(0) == (3, 87.0, None)


def test_bad_rows_are_quarantined_with_their_row_number_and_reason(tmp_path: Path) -> None:
    # One good row (line 1) and one fault per line after it; reasons worked out per row.
    ts = datetime(2026, 10, 1, 5, 0)
    rows = [
        (ts, "h", 0, 250.0, 40.0),  # 1 good
        (ts, "h", 1, -12.5, 40.0),  # 2 negative power
        (ts, "h", 2, math.nan, 40.0),  # 3 NaN power
        (ts, "h", 3, math.inf, 40.0),  # 4 infinite power
        (ts, "h", 4, 250.0, 100.5),  # 5 util above 100
        (ts, "h", 5, 250.0, -1.0),  # 6 util below 0
        (ts, None, 6, 250.0, 40.0),  # 7 null host
        (ts, "", 7, 250.0, 40.0),  # 8 empty host
        (None, "h", 0, 250.0, 40.0),  # 9 null time
        (datetime(1970, 1, 1), "h", 0, 250.0, 40.0),  # 10 epoch zero
        (ts, "h", None, 250.0, 40.0),  # 11 null index
        (ts, "h", -1, 250.0, 40.0),  # 12 negative index
        (ts, "h", 0, None, 40.0),  # 13 power null, util present: kept
        (ts, "h", 0, None, None),  # 14 no reading at all
    ]
    table = pa.table(
        {
            "ts_utc": pa.array([r[0] for r in rows], pa.timestamp("us")),
            "host": pa.array([r[1] for r in rows]),
            "gpu_index": pa.array([r[2] for r in rows], pa.int64()),
            "power_w": pa.array([r[3] for r in rows], pa.float64()),
            "util_pct": pa.array([r[4] for r in rows], pa.float64()),
        }
    )
    path = write(tmp_path, table)
    result = read_file(path)
    assert result.rows_read == 14
    assert result.frame["line"].to_list() == [1, 13]
    assert result.frame["power_w"].to_list() == [250.0, None]
    power = "power_w: expected a finite, non-negative power in W, got "
    util = "util_pct: expected a percentage from 0 to 100, got "
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, power + "'-12.5'"),
        (3, power + "'NaN'"),
        (4, power + "'inf'"),
        (5, util + "'100.5'"),
        (6, util + "'-1.0'"),
        (7, "host: expected a host name, got nothing"),
        (8, "host: expected a host name, got nothing"),
        (9, "ts_utc: no value; expected a timestamp"),
        (
            10,
            "ts_utc: expected a time from 2000-01-01 to before 2100-01-01 UTC, "
            "got '1970-01-01 00:00:00'",
        ),
        (11, "gpu_index: expected a GPU index like 0, got nothing"),
        (12, "gpu_index: expected a non-negative integer up to 2147483647, got '-1'"),
        (14, "power_w, util_pct: no reading; expected a value in at least one of them"),
    ]
    assert result.problems[0].raw == (
        '{"ts_utc":"2026-10-01 05:00:00","host":"h","gpu_index":1,"power_w":-12.5,"util_pct":40.0}'
    )
    quarantine = result.quarantine_frame()
    assert quarantine.height == 12
    assert quarantine["source_path"].unique().to_list() == [str(path)]


def test_times_outside_any_calendar_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    # A flipped byte can leave 2**62 us (year ~146,000) in ts_utc; polars cannot format such a
    # datetime (it panics), so the reason shows the stored count instead.
    table = sample(2)
    stamps = pa.array([2**62, 1_790_000_000_000_000], pa.int64()).cast(pa.timestamp("us"))
    table = table.set_column(0, "ts_utc", stamps)  # row 2: 2026-09-21 14:13:20 UTC
    result = read_file(write(tmp_path, table))
    assert result.frame["ts_utc"].to_list() == [datetime(2026, 9, 21, 14, 13, 20)]
    [problem] = result.problems
    assert problem.reason == (
        "ts_utc: expected a time from 2000-01-01 to before 2100-01-01 UTC, "
        "got '4611686018427387904 us since 1970-01-01'"
    )
    assert problem.raw.startswith('{"ts_utc":"4611686018427387904 us since 1970-01-01"')


def test_index_beyond_integer_range_is_quarantined(tmp_path: Path) -> None:
    table = sample(2)
    table = table.set_column(2, "gpu_index", pa.array([0, 3_000_000_000], pa.uint32()))
    result = read_file(write(tmp_path, table))
    assert result.frame["line"].to_list() == [1]
    assert result.problems[0].reason == (
        "gpu_index: expected a non-negative integer up to 2147483647, got '3000000000'"
    )


def test_line_is_the_row_number_across_row_groups(tmp_path: Path) -> None:
    table = sample(10)
    power = table.column("power_w").to_pylist()
    power[8] = -1.0  # row 9, in the fifth row group of two rows
    table = table.set_column(3, "power_w", pa.array(power))
    path = write(tmp_path, table, row_group_size=2)
    assert pq.ParquetFile(path).num_row_groups == 5
    result = read_file(path)
    assert [p.line for p in result.problems] == [9]
    assert result.frame["line"].to_list() == [1, 2, 3, 4, 5, 6, 7, 8, 10]


def test_empty_file_has_no_rows(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, sample(0)))
    assert (result.rows_read, result.rows_accepted) == (0, 0)
    assert result.frame.schema == telemetry_parquet.SCHEMA


def test_empty_strings_are_null(tmp_path: Path) -> None:
    table = sample(2)
    table = table.set_column(6, "gpu_uuid", pa.array(["", "GPU-1"]))
    table = table.set_column(8, "workload", pa.array(["", None]))
    frame = read_file(write(tmp_path, table)).frame
    assert frame["gpu_uuid"].to_list() == [None, "GPU-1"]
    assert frame["workload"].to_list() == [None, None]


# --- schema errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["ts_utc", "host", "gpu_index"])
def test_missing_required_column_names_it(tmp_path: Path, missing: str) -> None:
    table = sample(2).drop_columns([missing])
    path = write(tmp_path, table)
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: telemetry Parquet without required column {missing};")
    assert "docs/telemetry-parquet.md" in message


def test_missing_column_in_other_case_is_pointed_at(tmp_path: Path) -> None:
    table = sample(2).rename_columns(
        ["ts_utc", "HOST", "gpu_index", "power_w", "energy_mj", "util_pct", "gpu_uuid",
         "gpu_name", "workload"]
    )  # fmt: skip
    with pytest.raises(UnreadableFileError, match="column host \\(found 'HOST'; names are lower"):
        read_file(write(tmp_path, table))


def test_file_without_any_reading_is_unreadable(tmp_path: Path) -> None:
    table = sample(2).select(["ts_utc", "host", "gpu_index", "gpu_uuid"])
    with pytest.raises(UnreadableFileError, match="without a reading; expected at least one of"):
        read_file(write(tmp_path, table))


@pytest.mark.parametrize(
    ("column", "array", "found"),
    [
        ("ts_utc", pa.array(["2026-10-01T05:00:00Z"] * 2), "string"),
        ("ts_utc", pa.array([1_790_000_000] * 2, pa.int64()), "int64"),
        ("gpu_index", pa.array([0.0, 1.0]), "double"),
        ("host", pa.array([1, 2]), "int64"),
        ("power_w", pa.array(["250 W", "251 W"]), "string"),
        ("workload", pa.array([4211, 4212]), "int64"),
        ("host", pa.nulls(2), "null"),
    ],
)
def test_wrong_type_is_a_clear_error(
    tmp_path: Path, column: str, array: pa.Array, found: str
) -> None:
    base = sample(2)
    table = base.set_column(base.schema.get_field_index(column), column, array)
    path = write(tmp_path, table)
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: column {column} is {found}; expected ")
    assert telemetry_parquet.EXPECTED[column][1] in message


@pytest.mark.parametrize(
    "names",
    [
        ["ts_utc", "host", "gpu_index", "power_w"],
        ["host", "gpu_index", "util_pct"],  # missing ts_utc still gets the named error
        ["ts_utc", "gpu_uuid", "energy_mj"],
        ["ts_utc", "host", "util_pct"],
    ],
)
def test_sniff_accepts_gpu_telemetry_columns(names: list[str]) -> None:
    assert telemetry_parquet.sniff(names)


@pytest.mark.parametrize(
    "names",
    [
        ["ts_utc", "host", "node_power_w"],
        ["ts_utc", "host", "power_w"],  # whole-node power: no GPU named
        ["BilledCost", "ChargePeriodStart", "ServiceName"],
        ["hour", "model", "requests"],
    ],
)
def test_sniff_rejects_other_tables(names: list[str]) -> None:
    assert not telemetry_parquet.sniff(names)


def test_registered_as_a_parquet_format() -> None:
    [fmt] = [f for f in FORMATS if f.name == "telemetry-parquet"]
    assert (fmt.container, fmt.table) == ("parquet", "raw_gpu_samples")


# --- the writers docs/telemetry-parquet.md shows --------------------------------------------------


def test_duckdb_example_from_the_docs_reads(tmp_path: Path) -> None:
    out = tmp_path / "telemetry" / "lake" / "eu1" / "2026-10-01.parquet"
    out.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE samples AS SELECT * FROM (VALUES "
        "(TIMESTAMP '2026-10-01 05:00:00', 'gpu-01', 0, 251.5, 88.0, '4211'), "
        "(TIMESTAMP '2026-10-01 05:00:01', 'gpu-01', 1, NULL, 90.0, NULL)"
        ") t(ts_utc, host, gpu_index, power_w, util_pct, workload)"
    )
    # The COPY statement docs/telemetry-parquet.md shows, writing to this test's path.
    con.execute(
        "COPY (SELECT ts_utc::TIMESTAMP AS ts_utc, host::VARCHAR AS host, "
        "gpu_index::INTEGER AS gpu_index, power_w::DOUBLE AS power_w, "
        "util_pct::DOUBLE AS util_pct, workload::VARCHAR AS workload "
        "FROM samples ORDER BY host, gpu_index, ts_utc) "
        "TO '" + str(out) + "' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
    )
    result = read_file(out)
    assert result.problems == []
    assert result.frame.select("host", "gpu_index", "power_w", "util_pct", "workload").rows() == [
        ("gpu-01", 0, 251.5, 88.0, "4211"),
        ("gpu-01", 1, None, 90.0, None),
    ]


def test_polars_example_from_the_docs_reads(tmp_path: Path) -> None:
    samples = pl.DataFrame(
        {
            "ts_utc": [datetime(2026, 10, 1, 5, 0, 0), datetime(2026, 10, 1, 5, 0, 1)],
            "host": ["gpu-01", "gpu-01"],
            "gpu_index": [0, 0],
            "power_w": [251.5, 252.0],
            "energy_mj": [9.1e9, 9.1e9 + 252_000],
        }
    )
    out = tmp_path / "part-0.parquet"
    samples.with_columns(
        pl.col("ts_utc").dt.cast_time_unit("us"),
        pl.col("gpu_index").cast(pl.Int32),
    ).sort("host", "gpu_index", "ts_utc").write_parquet(
        out, compression="zstd", row_group_size=1_000_000
    )
    result = read_file(out)
    assert result.frame["energy_mj"].to_list() == [9.1e9, 9.1e9 + 252_000]


# --- corruption --------------------------------------------------------------------------------


def valid_file(tmp_path: Path, compression: str) -> bytes:
    path = write(tmp_path, sample(40), name=f"valid-{compression}.parquet",
                 row_group_size=16, compression=compression)  # fmt: skip
    return path.read_bytes()


def check(path: Path) -> None:
    try:
        result = read_file(path)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.format == "telemetry-parquet"
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame.schema == telemetry_parquet.SCHEMA
    for column in telemetry_parquet.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    lines = result.frame["line"].to_list() + [p.line for p in result.problems]
    assert sorted(lines) == list(range(1, result.rows_read + 1))
    assert all(p.reason for p in result.problems)


@pytest.mark.parametrize("compression", ["zstd", "snappy", "none"])
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_truncated_or_flipped_bytes_never_raise_anything_else(
    tmp_path: Path, compression: str, data: st.DataObject
) -> None:
    original = valid_file(tmp_path, compression)
    corrupt = bytearray(original)
    if data.draw(st.booleans(), label="truncate"):
        corrupt = corrupt[: data.draw(st.integers(0, len(original) - 1), label="cut at")]
    for _ in range(data.draw(st.integers(0 if len(corrupt) < len(original) else 1, 4))):
        if corrupt:
            at = data.draw(st.integers(0, len(corrupt) - 1), label="flip at")
            corrupt[at] = data.draw(st.integers(0, 255), label="byte")
    path = tmp_path / "host-x" / "corrupt.parquet"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(bytes(corrupt))
    if _parquet.is_parquet(path):
        check(path)
    else:  # the flip hit the leading magic: read as text, which must refuse it cleanly
        with pytest.raises(UnreadableFileError):
            read_file(path)


COLUMN_TYPES = {
    "ts_utc": [pa.timestamp("us"), pa.timestamp("ns", "UTC"), pa.string(), pa.int64(), None],
    "host": [pa.string(), pa.large_string(), pa.int32(), None],
    "gpu_index": [pa.int32(), pa.uint16(), pa.float64(), pa.string(), None],
    "power_w": [pa.float64(), pa.float32(), pa.int32(), pa.string(), None],
    "energy_mj": [pa.float64(), pa.bool_(), None],
    "util_pct": [pa.float32(), pa.uint8(), None],
    "workload": [pa.string(), pa.int64(), None],
}


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(choice=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in COLUMN_TYPES.items()}))
def test_schema_variations_read_or_name_the_column(
    tmp_path: Path, choice: dict[str, pa.DataType | None]
) -> None:
    values = {
        "ts_utc": [datetime(2026, 10, 1, 5, 0, 0), datetime(2026, 10, 1, 5, 0, 1)],
        "host": ["gpu-a", "gpu-b"],
        "gpu_index": [0, 1],
        "power_w": [100.0, 200.0],
        "energy_mj": [1.0, 2.0],
        "util_pct": [10.0, 20.0],
        "workload": ["1", "2"],
    }
    columns = {}
    for name, dtype in choice.items():
        if dtype is None:
            continue
        base = values[name]
        if pa.types.is_string(dtype):
            raw: list[object] = [str(v) for v in base]
        elif pa.types.is_boolean(dtype):
            raw = [True, False]
        elif pa.types.is_integer(dtype):
            raw = [
                int(v.replace(tzinfo=UTC).timestamp()) if isinstance(v, datetime)
                else i if isinstance(v, str) else int(v)
                for i, v in enumerate(base)
            ]  # fmt: skip
        elif pa.types.is_floating(dtype):
            raw = [float(v) for v in base]
        else:  # timestamps, for ts_utc only
            raw = list(base)
        columns[name] = pa.array(raw).cast(dtype)
    if not columns:
        return
    path = write(tmp_path, pa.table(columns), name="variant.parquet")
    try:
        result = read_file(path)
    except UnreadableFileError as err:
        message = str(err)
        assert str(path) in message
        assert any(name in message for name in COLUMN_TYPES) or "unrecognised Parquet" in message
        return
    assert result.format == "telemetry-parquet"
    assert result.rows_read == 2 == result.rows_accepted + result.rows_quarantined


def test_footer_damage_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    data = valid_file(tmp_path, "zstd")
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError, match="footer cannot be read"):
        _parquet.columns(path)
    with pytest.raises(UnreadableFileError, match="footer cannot be read"):
        read_file(path)
