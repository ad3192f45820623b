"""Whole-server power CSV (BMC/IPMI/Redfish exports): header spellings, units in values, local
time of the file's site folder, and quarantine of readings that are not a finite non-negative
wattage. Every expected UTC instant is worked out here from the zone's published offsets."""

from __future__ import annotations

from datetime import date, datetime
from itertools import product
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.readers import (
    FORMATS,
    ReadContext,
    UnreadableFileError,
    _text,
    detect_format,
    read_file,
)
from pipeline.readers.power import node_power
from tests.fuzz import corrupted

REPO = Path(__file__).resolve().parents[2]
HEADER = "timestamp,host,node_power_w"
GOOD = "2026-10-01T04:00:00Z,gpu-01,1000"


def make_config() -> Config:
    # Stockholm: CET (UTC+1), CEST (UTC+2) from 2026-03-29 02:00 to 2026-10-25 03:00 local.
    return Config.model_validate(
        {
            "start_date": date(2026, 1, 1),
            "timezone": "UTC",
            "sites": {
                "sto": {
                    "grid_zone": "SE-SE3",
                    "timezone": "Europe/Stockholm",
                    "annual_gco2e_per_kwh": 30,
                },
                "dal": {"grid_zone": "US-TEX-ERCO", "timezone": "UTC", "annual_gco2e_per_kwh": 400},
            },
            "gpu_models": {"h100": {"tdp_w": 700, "idle_w": 70}},
            "host_groups": [{"hosts": "gpu-[01-02]", "site": "sto", "gpu_model": "h100"}],
        }
    )


SITES = ReadContext(timezone_for_path=make_config().timezone_for_path)


def write(tmp_path: Path, lines: list[str], site: str = "sto", name: str = "bmc.csv") -> Path:
    path = tmp_path / "power" / site / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            HEADER,
            "2026-10-01T05:00:00Z,gpu-01,1234.5",
            "2026-10-01T05:00:00Z,gpu-02,0",
            "",  # a blank line is not a reading
            "2026-10-01T07:00:10.250+02:00,gpu-01,1180.25",
        ],
    )
    assert detect_format(path) == "node-power-csv"
    result = read_file(path, SITES)
    assert (result.format, result.table) == ("node-power-csv", "raw_node_power")
    assert result.problems == []
    assert (result.rows_read, result.rows_accepted) == (3, 3)
    frame = result.frame
    assert frame.schema == node_power.SCHEMA
    assert frame["line"].to_list() == [2, 3, 5]
    assert frame["host"].to_list() == ["gpu-01", "gpu-02", "gpu-01"]
    assert frame["ts_utc"].to_list() == [
        datetime(2026, 10, 1, 5),
        datetime(2026, 10, 1, 5),
        datetime(2026, 10, 1, 5, 0, 10, 250000),  # 07:00:10.25 at +02:00
    ]
    assert frame["node_power_w"].to_list() == [1234.5, 0.0, 1180.25]
    assert frame["source_path"].to_list() == [str(path)] * 3


def test_units_in_values_and_other_header_spellings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            "Node, Time, Power, Inlet Temp",
            'gpu-01, 2026-10-01T05:00:00Z,"1234.5 W", 21',
            "gpu-01, 2026-10-01T05:01:00Z, 980W, 21",
            "gpu-02, 2026-10-01T05:00:00Z, 1.2 kW, 22",
            "gpu-02, 2026-10-01T05:01:00Z, 700 Watts, 22",
            "gpu-02, 2026-10-01T05:02:00Z, 1.5e3, 22",
        ],
    )
    result = read_file(path, SITES)
    assert result.problems == []
    assert result.frame["host"].to_list() == ["gpu-01", "gpu-01", "gpu-02", "gpu-02", "gpu-02"]
    assert result.frame["node_power_w"].to_list() == [1234.5, 980.0, 1200.0, 700.0, 1500.0]


def test_zone_less_times_take_the_site_time_zone_across_dst(tmp_path: Path) -> None:
    lines = [
        "datetime,hostname,power_w",
        "2026-03-29 01:30:00,gpu-01,500",  # CET, UTC+1 → 00:30 UTC
        "2026-03-29 02:30:00,gpu-01,500",  # skipped: clocks jump 02:00 → 03:00
        "2026-03-29 03:30:00,gpu-01,500",  # CEST, UTC+2 → 01:30 UTC
        "2026-10-25 02:30:00,gpu-01,500",  # shown twice; the first (CEST) is 00:30 UTC
        "2026-10-25 03:30:00,gpu-01,500",  # CET again → 02:30 UTC
        "2026-10-25T03:30:00Z,gpu-01,500",  # an explicit zone wins over the site's
    ]
    result = read_file(write(tmp_path, lines, site="sto"), SITES)
    assert result.frame["line"].to_list() == [2, 4, 5, 6, 7]
    assert result.frame["ts_utc"].to_list() == [
        datetime(2026, 3, 29, 0, 30),
        datetime(2026, 3, 29, 1, 30),
        datetime(2026, 10, 25, 0, 30),
        datetime(2026, 10, 25, 2, 30),
        datetime(2026, 10, 25, 3, 30),
    ]
    [skipped] = result.problems
    assert skipped.line == 3
    assert skipped.reason == (
        "datetime: expected a local time that clocks in Europe/Stockholm showed (this one was "
        "skipped by the daylight-saving change), got '2026-03-29 02:30:00'"
    )

    # The same file in a UTC site's folder reads its clock as UTC.
    elsewhere = read_file(write(tmp_path, lines, site="dal"), SITES)
    assert elsewhere.problems == []
    assert elsewhere.frame["ts_utc"].to_list()[:2] == [
        datetime(2026, 3, 29, 1, 30),
        datetime(2026, 3, 29, 2, 30),
    ]


def test_a_ts_utc_column_is_utc_whatever_the_site(tmp_path: Path) -> None:
    path = write(tmp_path, ["ts_utc,host,node_power_w", "2026-03-29 02:30:00,gpu-01,500"])
    assert read_file(path, SITES).frame["ts_utc"].to_list() == [datetime(2026, 3, 29, 2, 30)]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "2026-10-01T05:00:00Z,gpu-01,-12.5",
            "node_power_w: expected a non-negative power in W, got '-12.5'",
        ),
        (
            "2026-10-01T05:00:00Z,gpu-01,-3 W",
            "node_power_w: expected a non-negative power in W, got '-3 W'",
        ),
        (
            "2026-10-01T05:00:00Z,gpu-01,NaN",
            "node_power_w: expected a finite power in W like '1234.5' or '1234.5 W', got 'NaN'",
        ),
        (
            "2026-10-01T05:00:00Z,gpu-01,inf",
            "node_power_w: expected a finite power in W like '1234.5' or '1234.5 W', got 'inf'",
        ),
        (
            "2026-10-01T05:00:00Z,gpu-01,1e999 W",
            "node_power_w: expected a finite power in W like '1234.5 W', got '1e999 W'",
        ),
        (
            "2026-10-01T05:00:00Z,gpu-01,12 V",
            "node_power_w: expected a finite power in W like '1234.5' or '1234.5 W', got '12 V'",
        ),
        ("2026-10-01T05:00:00Z,gpu-01,", "node_power_w: expected a value, got nothing"),
        (
            "yesterday,gpu-01,500",
            "timestamp: expected an ISO-8601 time like '2026-10-01T05:00:00Z', or local time in "
            "Europe/Stockholm like '2026-10-01 07:00:00', got 'yesterday'",
        ),
        ("2026-10-01 25:00:00,gpu-01,500", "timestamp: expected an ISO-8601 time like"),
        (",gpu-01,500", "timestamp: expected a value, got nothing"),
        ("2026-10-01T05:00:00Z, ,500", "host: expected a host name like 'gpu-01', got ' '"),
        (
            "2026-10-01T05:00:00Z,gpu-01",
            "expected 3 comma-separated fields as in the header on line 1, got 2",
        ),
    ],
)
def test_bad_rows_are_quarantined_with_line_and_reason(
    tmp_path: Path, row: str, reason: str
) -> None:
    result = read_file(write(tmp_path, [HEADER, GOOD, row]), SITES)
    assert result.frame["line"].to_list() == [2]
    [problem] = result.problems
    assert problem.line == 3
    assert problem.reason.startswith(reason)
    assert problem.raw == row


def test_every_bad_row_is_counted_once(tmp_path: Path) -> None:
    lines = [
        HEADER,
        GOOD,
        "2026-10-01T04:01:00Z,gpu-01,-1",
        "2026-10-01T04:02:00Z,gpu-01,nan",
        "2026-10-01T04:03:00Z,gpu-01,1100 W",
        "2026-10-01T04:04:00Z,gpu-01,",
        "not a time,,inf",  # two problems on one line are one quarantined row
        "2026-10-01T04:05:00Z,gpu-02,1050",
    ]
    result = read_file(write(tmp_path, lines), SITES)
    assert result.rows_read == 7
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame["line"].to_list() == [2, 5, 8]
    assert result.frame["node_power_w"].to_list() == [1000.0, 1100.0, 1050.0]
    assert [p.line for p in result.problems] == [3, 4, 6, 7]
    both = result.problems[-1].reason
    assert "timestamp: expected an ISO-8601 time" in both
    assert "host: expected a value, got nothing" in both
    assert "node_power_w: expected a finite power" in both
    quarantine = result.quarantine_frame()
    assert quarantine["line"].to_list() == [3, 4, 6, 7]
    assert quarantine["source_path"].unique().to_list() == [str(result.path)]


def test_detection_is_by_content_not_by_name(tmp_path: Path) -> None:
    disguised = write(tmp_path, [HEADER, GOOD], name="readings.parquet")
    assert detect_format(disguised) == "node-power-csv"
    # A serving export dropped into the power folder is still a serving export.
    serving = write(
        tmp_path,
        [
            "hour,model,deployment,requests,input_tokens,output_tokens",
            "2026-10-01T05:00:00Z,m,d,1,1,1",
        ],
        name="power.csv",
    )
    assert detect_format(serving) == "serving-csv"


@pytest.mark.parametrize(
    ("time", "host", "power"),
    list(
        product(
            ("timestamp", "ts_utc", "time", "datetime"),
            node_power.HOST_HEADERS,
            ("node_power_w", "power_w", "power"),
        )
    ),
)
def test_every_header_spelling_is_recognised(time: str, host: str, power: str) -> None:
    assert node_power.sniff([f"{power.upper()},{host},{time},extra"])


# Headers of the other formats, and near misses that name only two of time, host and power.
OTHER_HEADERS = [
    "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]",
    "timestamp, hostname, index, power.draw [W]",
    "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment",
    '"BilledCost","ChargePeriodStart","ChargePeriodEnd","ProviderName","Tags"',
    "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct)",
    "hour,model,deployment,requests,input_tokens,output_tokens",
    "timestamp,host,power.draw",
    "timestamp,host,energy_j",
    "host,power_w",
    "timestamp,gpu,power_w",
]


@pytest.mark.parametrize("header", OTHER_HEADERS)
def test_other_headers_are_not_node_power(header: str) -> None:
    assert not node_power.sniff([header])


@pytest.mark.parametrize(
    "header",
    [HEADER, "Node, Time, Power, Inlet Temp", "datetime,hostname,power_w", "ts_utc,node,power"],
)
def test_no_other_format_claims_a_node_power_header(header: str) -> None:
    claims = [f.name for f in FORMATS if f.sniff([header])]
    assert claims == ["node-power-csv"]


def test_frame_matches_the_raw_table_ddl_and_loads(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "create_raw_node_power.sql").read_text())
    ddl = con.execute("DESCRIBE raw_node_power").fetchall()
    frame = read_file(write(tmp_path, [HEADER, GOOD]), SITES).frame
    assert frame.columns == [row[0] for row in ddl]
    con.from_arrow(frame.to_arrow()).insert_into("raw_node_power")
    assert con.execute("SELECT host, ts_utc, node_power_w FROM raw_node_power").fetchall() == [
        ("gpu-01", datetime(2026, 10, 1, 4), 1000.0)
    ]


def test_missing_power_column_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, ["timestamp,host,inlet_temp_c", "2026-10-01T05:00:00Z,gpu-01,21"])
    with pytest.raises(UnreadableFileError, match="unrecognised file format"):
        read_file(path, SITES)
    with pytest.raises(UnreadableFileError, match="no 'node_power_w' column") as err:
        node_power.read(_text.load(path), SITES)
    assert str(path) in str(err.value)


def test_bad_site_time_zone_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, GOOD])
    with pytest.raises(UnreadableFileError, match="'Mars/Olympus' .* not an IANA zone"):
        read_file(path, ReadContext(timezone_for_path=lambda p: "Mars/Olympus"))


# --- property: random corruption of a valid file ---------------------------------------------

VALID = "\n".join(
    [
        "timestamp,host,power",
        "2026-10-01T05:00:00Z,gpu-01,1234.5 W",
        "2026-10-01 07:01:00,gpu-02,980",
        '2026-10-25 02:30:00,"gpu-01",1.2 kW',
        "2026-03-29 03:00:00,gpu-02,0",
    ]
)
# Values a collector or a damaged file really produces in place of a wattage or a time.
HOSTILE = [
    "",
    " ",
    "-1",
    "-0",
    "nan",
    "NaN W",
    "inf",
    "-inf",
    "1e999",
    "1e-999",
    "W",
    "kW",
    "1,5",
    '"',
    "[N/A]",
    "0x10",
    "١٢٣",
    "2026-03-29 02:30:00",
    "0001-01-01 00:00:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31 23:59:59",
]
STRUCTURE = ',"\r\t WkK0123456789.-+:TZe\ufeff\x00'


def _hostile(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    """A hostile value (see HOSTILE) in a random field of a data line."""
    if len(lines) < 2:
        return lines
    i = draw(st.integers(1, len(lines) - 1))
    fields = lines[i].split(b",")
    fields[draw(st.integers(0, len(fields) - 1))] = draw(st.sampled_from(HOSTILE)).encode()
    return [*lines[:i], b",".join(fields), *lines[i + 1 :]]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=corrupted((VALID + "\n").encode(), alphabet=STRUCTURE, mutations={"hostile": _hostile}))
def test_corruption_never_raises_or_loses_rows(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "power" / "sto" / "input.dat"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    # Through detection as the pipeline reads it, and straight into this reader whatever the
    # header became, so a damaged header exercises this reader's own refusals too.
    for read in (lambda: read_file(path, SITES), lambda: node_power.read(_text.load(path), SITES)):
        try:
            result = read()
        except UnreadableFileError as err:
            assert str(path) in str(err)
            continue
        assert result.rows_read == result.rows_accepted + result.rows_quarantined
        physical = len(data.split(b"\n"))
        accepted = result.frame["line"].to_list()
        quarantined = [p.line for p in result.problems]
        assert all(1 <= n <= physical for n in accepted + quarantined)
        assert len(set(accepted)) == len(accepted)
        assert set(accepted).isdisjoint(quarantined)
        assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
        if result.format != node_power.FORMAT:
            continue  # another format's own tests hold it to its schema
        assert result.frame.schema == node_power.SCHEMA
        for column in node_power.NOT_NULL:
            assert result.frame[column].null_count() == 0, column
        power = result.frame["node_power_w"]
        assert power.is_finite().all() and (power >= 0).all()
        assert result.frame.filter(pl.col("host").str.strip_chars() == "").height == 0
