"""Grid intensity: the GB Carbon Intensity API JSON (the real response in place, the regional
shapes, bad slots), the plain `zone, datetime_utc, gco2e_per_kwh` CSV, and half-hourly slots
reaching the hourly footprint (sql/method/insert_footprint_hourly.sql) worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.energy import (
    build_footprint_hourly,
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
)
from pipeline.readers import ReadContext, UnreadableFileError, _text, detect_format, read_file
from pipeline.readers.grid import gb_carbon_intensity, grid_csv
from pipeline.warehouse import connect, insert_frame, run
from tests.frames import SAMPLE_SCHEMA

GB_FILE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "uk_carbon_intensity_api"
    / "national_pt24h_2023-03-15T1201Z.json"
)
# The 48 `actual` values of the real response in slot order (`grep '"actual"'`); the last is null
# and its forecast is 228.
GB_ACTUAL = [
    101, 95, 89, 94, 104, 111, 125, 135, 142, 151, 169, 184, 198, 204, 204, 207, 209, 215, 212,
    210, 209, 202, 189, 183, 182, 186, 183, 182, 183, 183, 181, 183, 198, 202, 231, 242, 244, 251,
    240, 240, 245, 245, 240, 233, 229, 224, 210,
]  # fmt: skip


def write(tmp_path: Path, text: str, name: str = "grid.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def slot(start: str, forecast: object, actual: object = None, **extra: object) -> dict:
    begin = datetime.fromisoformat(start)
    end = (begin + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%MZ")
    intensity = {"forecast": forecast, "actual": actual, "index": "low"}
    return {"from": begin.strftime("%Y-%m-%dT%H:%MZ"), "to": end, "intensity": intensity} | extra


# --- GB Carbon Intensity API: the real national response -------------------------------------


def test_real_national_response() -> None:
    assert detect_format(GB_FILE) == "gb-carbon-intensity-json"
    result = read_file(GB_FILE)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (48, 48, 0)
    frame = result.frame
    assert frame.schema == gb_carbon_intensity.SCHEMA
    assert frame["zone"].unique().to_list() == ["GB"]
    assert frame["data_source"].unique().to_list() == ["carbonintensity.org.uk"]
    # half-hourly from 2023-03-14 12:00 to 2023-03-15 11:30 UTC
    assert frame["datetime_utc"].to_list() == [
        datetime(2023, 3, 14, 12) + timedelta(minutes=30 * k) for k in range(48)
    ]
    # each slot object is 9 lines long ({, from, to, intensity {, forecast, actual, index, }, }),
    # the first `{` on line 3: lines 3, 12, ..., 426
    assert frame["line"].to_list() == [3 + 9 * k for k in range(48)]
    # actual where given, else the forecast (228), flagged estimated
    assert frame["gco2e_per_kwh_direct"].to_list() == [*map(float, GB_ACTUAL), 228.0]
    assert frame["is_estimated"].to_list() == [False] * 47 + [True]
    for column in ("gco2e_per_kwh_lca", "cfe_pct", "renewable_pct"):
        assert frame[column].null_count() == 48


def test_compact_response_uses_ordinals_for_lines(tmp_path: Path) -> None:
    # The API itself answers on one line: slots cannot be told apart by line, so `line` is each
    # slot's ordinal and the reason names the JSON path.
    doc = {"data": [slot("2023-03-14T12:00", 99, 101), slot("2023-03-14T12:30", None, None)]}
    result = read_file(write(tmp_path, json.dumps(doc)))
    assert result.frame["line"].to_list() == [1]
    [problem] = result.problems
    assert problem.line == 2
    assert problem.reason == (
        "data[1].intensity: no actual or forecast value (both null or missing); "
        "expected a number in gCO2/kWh"
    )
    assert problem.raw == json.dumps(doc["data"][1])


# --- GB regional shapes -------------------------------------------------------------------------


def region(regionid: object, shortname: str, **extra: object) -> dict:
    return {"regionid": regionid, "dnoregion": f"{shortname} DNO", "shortname": shortname} | extra


def test_regional_by_period(tmp_path: Path) -> None:
    # /regional/intensity/{from}/fw24h: periods, each with its regions (forecast only)
    london = region(13, "London", intensity={"forecast": 241, "index": "moderate"})
    scotland = region(1, "North Scotland", intensity={"forecast": 0, "index": "very low"})
    doc = {
        "data": [
            {"from": "2024-01-15T00:00Z", "to": "2024-01-15T00:30Z", "regions": [london, scotland]},
            {"from": "2024-01-15T00:30Z", "to": "2024-01-15T01:00Z", "regions": [london]},
        ]
    }
    path = write(tmp_path, json.dumps(doc, indent=2))
    assert detect_format(path) == "gb-carbon-intensity-json"
    frame = read_file(path).frame
    rows = [
        (r["zone"], r["datetime_utc"], r["gco2e_per_kwh_direct"])
        for r in frame.iter_rows(named=True)
    ]
    assert rows == [
        ("GB-13", datetime(2024, 1, 15, 0, 0), 241.0),
        ("GB-1", datetime(2024, 1, 15, 0, 0), 0.0),
        ("GB-13", datetime(2024, 1, 15, 0, 30), 241.0),
    ]
    assert frame["is_estimated"].to_list() == [True] * 3  # regional figures are forecasts
    # indent=2: `{` line 1, `"data": [` 2, the first period's `{` 3, from 4, to 5, `"regions": [` 6,
    # London's `{` 7 (then regionid, dnoregion, shortname, intensity {, forecast, index, } and
    # its `},` on 15), North Scotland's `{` on 16.
    assert frame["line"].to_list()[:2] == [7, 16]


def test_regional_by_region_list_and_object(tmp_path: Path) -> None:
    # /regional/regionid/13: a list of regions, each with its own slots ...
    slots = [slot("2021-12-13T16:30", 435), slot("2021-12-13T17:00", 420, 418)]
    listed = {"data": [region(13, "London", postcode="N1", data=slots)]}
    frame = read_file(write(tmp_path, json.dumps(listed, indent=4), "a.json")).frame
    assert frame["zone"].to_list() == ["GB-13", "GB-13"]
    assert frame["gco2e_per_kwh_direct"].to_list() == [435.0, 418.0]
    assert frame["is_estimated"].to_list() == [True, False]
    # ... and /regional/intensity/{from}/{to}/regionid/17, whose data is one region object
    single = {"data": region(17, "Wales", data=slots[:1])}
    frame = read_file(write(tmp_path, json.dumps(single, indent=4), "b.json")).frame
    assert frame.select("zone", "datetime_utc").row(0) == ("GB-17", datetime(2021, 12, 13, 16, 30))


# --- GB: bad slots and unreadable files -------------------------------------------------------


def test_bad_slots_are_quarantined_with_their_json_path(tmp_path: Path) -> None:
    doc = {
        "data": [
            slot("2023-03-14T12:00", 99, 101),  # fine
            slot("2023-03-14T12:30", 99, "abc"),  # bad actual: not replaced by the forecast
            slot("2023-03-14T13:00", -5, None),  # negative forecast
            slot("2023-03-14T13:30", 1e400, None),  # json.dumps writes Infinity
            {"from": "yesterday", "to": "2023-03-14T14:30Z", "intensity": {"forecast": 9}},
            {"from": "2023-03-14T15:00Z", "to": "2023-03-14T15:00Z", "intensity": {"actual": 9}},
            {"from": "2023-03-14T15:30Z", "intensity": [1]},
            "not a slot",
            slot("2023-03-14T16:30", True, None),
        ]
    }
    path = write(tmp_path, json.dumps(doc, indent=1))
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (9, 1, 8)
    assert result.frame["datetime_utc"].to_list() == [datetime(2023, 3, 14, 12)]
    reasons = [p.reason for p in result.problems]
    assert reasons == [
        'data[1].intensity.actual: expected a non-negative number in gCO2/kWh or null, got "abc"',
        "data[2].intensity.forecast: expected a non-negative number in gCO2/kWh or null, got -5",
        "data[3].intensity.forecast: expected a non-negative number in gCO2/kWh or null, "
        "got Infinity",
        "data[4].from: expected an ISO-8601 UTC time like '2023-03-14T12:00Z', got 'yesterday'",
        "data[5].to: expected a time after from ('2023-03-14T15:00Z'), got '2023-03-14T15:00Z'",
        "data[6].intensity: expected an object with forecast and actual, got a list",
        "data[7]: expected an object with from, to and intensity, got a string",
        "data[8].intensity.forecast: expected a non-negative number in gCO2/kWh or null, got true",
    ]
    # each problem's line is where its slot starts: with indent=1 every line is one token, so the
    # lines are found in the file itself
    lines = path.read_text().split("\n")
    for problem in result.problems:
        assert lines[problem.line - 1].strip() in ("{", '"not a slot",')


def test_regional_slot_without_region_id(tmp_path: Path) -> None:
    doc = {"data": [{"from": "2024-01-15T00:00Z", "regions": [{"intensity": {"forecast": 5}}]}]}
    [problem] = read_file(write(tmp_path, json.dumps(doc, indent=2))).problems
    assert problem.reason == (
        "data[0].regions[0].regionid: expected a whole-number region id like 13, got nothing"
    )


def test_undecodable_bytes_quarantine_their_slot_only(tmp_path: Path) -> None:
    doc = {"data": [slot("2023-03-14T12:00", 99, 101), slot("2023-03-14T12:30", 99, 95)]}
    text = json.dumps(doc, indent=4).replace('"index": "low"', '"index": "l\udcffw"', 1)
    path = tmp_path / "bytes.json"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    result = read_file(path)
    assert result.frame["gco2e_per_kwh_direct"].to_list() == [95.0]
    [problem] = result.problems
    assert problem.line == 3
    assert problem.reason.startswith("data[0]: line is not valid UTF-8 text")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"data": [{"from": "2023-03-14T12:00Z", "intensity": {"forecast": 9', "not valid JSON"),
        ('{"data": [\n  {"intensity": {"forecast": 1}},\n  oops\n]}', "line 3 column 3"),
        ('{"data": "none", "intensity": {"forecast": 1}}', "got data as a string"),
        ('{"intensity": {"forecast": 1}, "dat": []}', "an object without a data list"),
    ],
)
def test_unreadable_json(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UnreadableFileError, match=message) as err:
        gb_carbon_intensity.read(_text.load(path), ReadContext())
    assert str(path) in str(err.value)


def test_empty_data_list_reads_no_rows(tmp_path: Path) -> None:
    text = '{"data": [], "intensity": {"forecast": 0}}'
    result = read_file(write(tmp_path, text))
    assert (result.rows_read, result.rows_accepted) == (0, 0)


def test_other_json_is_not_mistaken_for_gb() -> None:
    # a Prometheus range-query answer has `data` but no intensity/forecast; a generation-mix
    # answer (`/generation`) has data but no intensity
    prom = '{"status":"success","data":{"resultType":"matrix","result":[]}}'
    mix = '{"data": {"from": "2023-03-14T12:00Z", "generationmix": [{"fuel": "gas", "perc": 40}]}}'
    assert not gb_carbon_intensity.sniff([prom])
    assert not gb_carbon_intensity.sniff([mix])
    assert gb_carbon_intensity.sniff(GB_FILE.read_text().split("\n")[:10])


# --- GB: random values in every field of a valid response -------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["2023-03-14T12:00Z", "2023-03-14T12:30:00+01:00", "T", ""]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
SLOT_KEYS = ["from", "to", "intensity", "forecast", "actual", "regionid", "regions", "data"]


@st.composite
def mangled_response(draw: st.DrawFn) -> str:
    """A regional-by-period or national response whose fields are replaced by random JSON."""
    national = [slot("2023-03-14T12:00", 99, 101), slot("2023-03-14T12:30", 100, None)]
    regional = {
        "from": "2023-03-14T13:00Z",
        "to": "2023-03-14T13:30Z",
        "regions": [region(13, "London", intensity={"forecast": 241, "index": "moderate"})],
    }
    by_region = region(17, "Wales", data=[slot("2023-03-14T14:00", 55)])
    # held apart: an earlier draw may replace `regional["regions"]` with any JSON value
    london = regional["regions"][0]
    data: list = [*national, regional, by_region]
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(["slot", "intensity", "region", "element"]))
        value = draw(JSON_VALUES)
        key = draw(st.sampled_from(SLOT_KEYS))
        k = draw(st.integers(0, len(data) - 1))
        if target == "element":
            data[k] = value
        elif target == "region":
            (london if draw(st.booleans()) else by_region)[key] = value
        elif isinstance(data[k], dict) and target == "slot":
            data[k][key] = value
        elif isinstance(data[k], dict):
            data[k]["intensity"] = {"forecast": value, "actual": draw(JSON_VALUES)}
    compact = draw(st.booleans())
    return json.dumps({"data": data}, indent=None if compact else draw(st.integers(0, 4)))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=mangled_response())
def test_random_field_values_never_raise_or_lose_slots(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text, "fuzz.json")
    source = _text.load(path)
    result = gb_carbon_intensity.read(source, ReadContext())
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame.schema == gb_carbon_intensity.SCHEMA
    lines = result.frame["line"].to_list() + [p.line for p in result.problems]
    assert len(set(lines)) == len(lines)  # `line` identifies one record
    assert all(line >= 1 for line in lines)
    for column in gb_carbon_intensity.NOT_NULL:
        assert result.frame[column].null_count() == 0
    accepted = result.frame.filter(pl.col("gco2e_per_kwh_direct").is_not_null())
    assert accepted.height == result.rows_accepted  # an accepted slot always has its intensity
    assert (accepted["gco2e_per_kwh_direct"] >= 0).all()
    assert all(p.reason.startswith("data") for p in result.problems)  # names the JSON path


# --- plain grid CSV ---------------------------------------------------------------------------


def test_grid_csv(tmp_path: Path) -> None:
    text = (
        "datetime_utc,zone,gco2e_per_kwh,gco2e_per_kwh_lca,cfe_pct,renewable_pct,is_estimated,"
        "data_source\n"
        "2023-03-14T12:00:00Z,GB,101,130.5,55,40,false,neso\n"
        "2023-03-14 12:30:00,GB,95,,,,1,\n"
        "2023-03-14T13:00:00+01:00,DE,,,,,,\n"
    )
    path = write(tmp_path, text, "grid.csv")
    assert detect_format(path) == "grid-csv"
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 3, 0)
    assert result.frame.schema == grid_csv.SCHEMA
    assert result.frame.row(0, named=True) == {
        "source_path": str(path),
        "line": 2,
        "zone": "GB",
        "datetime_utc": datetime(2023, 3, 14, 12),
        "gco2e_per_kwh_direct": 101.0,
        "gco2e_per_kwh_lca": 130.5,
        "cfe_pct": 55.0,
        "renewable_pct": 40.0,
        "is_estimated": False,
        "data_source": "neso",
    }
    assert result.frame.row(1)[2:6] == ("GB", datetime(2023, 3, 14, 12, 30), 95.0, None)
    assert result.frame["is_estimated"].to_list() == [False, True, None]
    # +01:00 is honoured: 12:00 UTC; an empty intensity is kept as null (the fallback's job)
    assert result.frame.row(2)[2:5] == ("DE", datetime(2023, 3, 14, 12), None)


def test_grid_csv_minimal_header_and_direct_spelling(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ZONE, Datetime_UTC ,GCO2E_PER_KWH_DIRECT\nSE-SE3,2024-01-01,12\n", "g.csv"
    )
    assert detect_format(path) == "grid-csv"
    assert read_file(path).frame.row(0)[2:5] == ("SE-SE3", datetime(2024, 1, 1), 12.0)


def test_grid_csv_bad_values(tmp_path: Path) -> None:
    text = (
        "zone,datetime_utc,gco2e_per_kwh,cfe_pct,is_estimated\n"
        "GB,2023-03-14T12:00:00Z,-3,50,false\n"
        ",yesterday,100,101,maybe\n"
        "  ,2023-03-14T13:00:00Z,nan,50,false\n"
        "GB,2023-03-14T13:30:00Z,7\n"
    )
    result = read_file(write(tmp_path, text, "g.csv"))
    assert result.rows_accepted == 0
    assert [(p.line, p.reason) for p in result.problems] == [
        (2, "gco2e_per_kwh: expected a non-negative number in gCO2e/kWh like '152.03', got '-3'"),
        (
            3,
            "zone: expected a value, got nothing; datetime_utc: expected an ISO-8601 UTC time "
            "like '2026-10-01T05:00:00Z', got 'yesterday'; cfe_pct: expected a percentage from "
            "0 to 100 like '82.97', got '101'; is_estimated: expected true or false (or 1/0, "
            "yes/no), got 'maybe'",
        ),
        (
            4,
            "zone: expected a grid zone id like 'DE' or 'US-CAL-CISO', got '  '; gco2e_per_kwh: "
            "expected a non-negative number in gCO2e/kWh like '152.03', got 'nan'",
        ),
        (5, "expected 5 comma-separated fields as in the header on line 1, got 3"),
    ]


def test_grid_csv_needs_its_header(tmp_path: Path) -> None:
    # without gco2e_per_kwh it is not a grid file at all
    with pytest.raises(UnreadableFileError, match="unrecognised file format"):
        detect_format(write(tmp_path, "zone,datetime_utc,price\nGB,2023-01-01,1\n", "p.csv"))


# --- half-hourly slots in the hourly footprint --------------------------------------------------

T0 = datetime(2023, 3, 14)
H12, H13, H14 = (T0 + timedelta(hours=h) for h in (12, 13, 14))


@pytest.fixture(scope="module")
def footprint(tmp_path_factory: pytest.TempPathFactory) -> dict[datetime, dict]:
    """Host h1 (1 GPU, 400 W all the time, no server overhead) at site `g` in zone GB, PUE 1.25:
    IT 0.4 kWh and facility 0.5 kWh in each of the hours 12, 13 and 14 UTC of 2023-03-14. Grid:
    the real GB response plus a CSV with three more readings for the same zone."""
    base = tmp_path_factory.mktemp("grid_footprint")
    cfg = Config.model_validate(
        {
            "start_date": "2023-03-14",
            "base_dir": str(base),
            "sites": {"g": {"grid_zone": "GB", "pue": 1.25, "annual_gco2e_per_kwh": 999.0}},
            "gpu_models": {"m": {"tdp_w": 400.0, "idle_w": 100.0}},
            "host_groups": [{"hosts": "h1", "site": "g", "gpu_model": "m", "gpus": 1}],
        }
    )
    extra = write(
        base,
        "zone,datetime_utc,gco2e_per_kwh,is_estimated\n"
        "GB,2023-03-14T12:30:00Z,500,true\n"  # an estimate of a slot with an outturn: ignored
        "GB,2023-03-14T13:00:00Z,99,false\n"  # a second outturn for 13:00: replaces 89
        "GB,2023-03-14T14:45:00Z,300,false\n",  # a quarter-hour slot
        "extra.csv",
    )
    ts = [H12 + timedelta(minutes=10 * i) for i in range(6 * 3 + 1)]
    samples = pl.DataFrame(
        [
            {"source_path": "smi/h1.csv", "line": i + 1, "host": "h1", "gpu_index": 0,
             "ts_utc": t, "power_w": 400.0, "util_pct": None}
            for i, t in enumerate(ts)
        ],
        schema=SAMPLE_SCHEMA,
    )  # fmt: skip
    with connect(base / "w.duckdb") as con:
        load_inventory(con, cfg)
        insert_frame(con, "raw_gpu_samples", samples)
        start, end = T0, T0 + timedelta(days=1)
        # the CSV was modified after the API response: its readings win a slot both give
        for mtime_ns, (name, path) in enumerate((("gb.json", GB_FILE), ("extra.csv", extra))):
            frame = read_file(path).frame.with_columns(source_path=pl.lit(name))
            insert_frame(con, "raw_grid_intensity", frame)
            manifest = dict.fromkeys(("sha256", "format", "target_table"), "")
            manifest |= dict.fromkeys(("size_bytes", "rows_read", "rows_accepted"), 0)
            manifest |= {"rows_quarantined": 0, "min_ts_utc": None, "max_ts_utc": None}
            manifest |= {
                "source_path": name,
                "ingested_at": start,
                "mtime_ns": mtime_ns,
                "reader_sha256": None,
            }
            run(con, "upsert_ingest_manifest", manifest)
        build_job_allocations(con, cfg, start, end)
        build_gpu_energy_intervals(con, cfg, start, end)
        build_gpu_energy_attributed(con, start, end)
        build_footprint_hourly(con, start, end)
        rows = pl.from_arrow(
            con.sql(
                "SELECT hour_utc, facility_energy_kwh, gco2e_per_kwh, intensity_source, "
                "co2e_kg_location FROM footprint_hourly WHERE site = 'g' AND job_key IS NULL"
            ).to_arrow_table()
        )
    return {r["hour_utc"]: r for r in rows.iter_rows(named=True)}


def test_half_hourly_slots_average_within_the_hour(footprint: dict[datetime, dict]) -> None:
    assert sorted(footprint) == [H12, H13, H14]
    h12 = footprint[H12]
    # 12:00 outturn 101 and 12:30 outturn 95 (the CSV's estimate of 500 loses to the outturn):
    # (101 + 95) / 2 = 98 g/kWh; 0.5 kWh × 98 g/kWh = 0.049 kg
    assert h12["intensity_source"] == "hourly"
    assert h12["facility_energy_kwh"] == pytest.approx(0.5)
    assert h12["gco2e_per_kwh"] == pytest.approx(98.0)
    assert h12["co2e_kg_location"] == pytest.approx(0.5 * 98.0 / 1000)


def test_a_slot_read_twice_counts_once(footprint: dict[datetime, dict]) -> None:
    # 13:00 read as 89 (API) and 99 (CSV): one slot, from the more recently modified file (the
    # CSV: docs/checks-plausibility.md), 99; 13:30 is 94: (99 + 94) / 2 = 96.5 g/kWh, not
    # (89 + 99 + 94) / 3
    assert footprint[H13]["gco2e_per_kwh"] == pytest.approx(96.5)
    assert footprint[H13]["co2e_kg_location"] == pytest.approx(0.5 * 96.5 / 1000)


def test_uneven_slots_are_time_weighted(footprint: dict[datetime, dict]) -> None:
    # 14:00 → 104 for 30 min, 14:30 → 111 for 15 min (until the 14:45 slot), 14:45 → 300 for the
    # last 15 min: (104 × 30 + 111 × 15 + 300 × 15) / 60 = 9285 / 60 = 154.75 g/kWh
    assert footprint[H14]["gco2e_per_kwh"] == pytest.approx(154.75)
    assert footprint[H14]["co2e_kg_location"] == pytest.approx(0.5 * 154.75 / 1000)
