"""Prometheus query_range / query JSON of DCGM series: responses built from the real scrapes in
shared/data (there is no real JSON export there), line numbers or ordinals, the JSON path in
every reason, error responses, MIG and workload labels as in the text reader, and corruption."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from pipeline.readers import UnreadableFileError, detect_format, read_file
from pipeline.readers.telemetry import prometheus_json

REPO = Path(__file__).resolve().parents[2]
DCGM = Path(__file__).resolve().parents[3] / "shared" / "data" / "cncf_k8s_ai_conformance_dcgm"
FORMAT = "prometheus-range-json"
OURS = (
    "DCGM_FI_DEV_POWER_USAGE",
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
)
T0 = 1700000000.123  # 2023-11-14T22:13:20.123Z
T0_UTC = datetime(2023, 11, 14, 22, 13, 20, 123000)


def write(tmp_path: Path, text: str, host: str = "node-a") -> Path:
    path = tmp_path / host / "query_range.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def response(result: list[Any], result_type: str = "matrix") -> dict:
    return {"status": "success", "data": {"resultType": result_type, "result": result}}


def series(name: str, values: list, **labels: str) -> dict:
    return {"metric": {"__name__": name, **labels}, "values": values}


def real_series(path: Path) -> dict[str, tuple[dict[str, str], str]]:
    """Each metric's labels and value text exactly as written in a real scrape (first line of
    each metric; kops_L4.prom repeats its scrape), plus one other family, SM_CLOCK."""
    found: dict[str, tuple[dict[str, str], str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        [family] = text_string_to_metric_families(line)
        name = family.samples[0].name
        if name in (*OURS, "DCGM_FI_DEV_SM_CLOCK") and name not in found:
            found[name] = (family.samples[0].labels, line.rsplit(" ", 1)[1])
    return found


def range_from_scrape(path: Path) -> tuple[dict, dict[str, str]]:
    """A query_range answer over three 15 s steps whose first step is the real scrape: power
    and utilisation repeat, the energy counter grows by power × 15 s (in mJ) each step."""
    found = real_series(path)
    written = {name: found[name][1] for name in OURS}
    step_mj = round(float(written["DCGM_FI_DEV_POWER_USAGE"]) * 15_000)
    values = {
        "DCGM_FI_DEV_POWER_USAGE": [written["DCGM_FI_DEV_POWER_USAGE"]] * 3,
        "DCGM_FI_DEV_GPU_UTIL": [written["DCGM_FI_DEV_GPU_UTIL"]] * 3,
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": [
            str(int(written["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"]) + k * step_mj)
            for k in range(3)
        ],
        "DCGM_FI_DEV_SM_CLOCK": [found["DCGM_FI_DEV_SM_CLOCK"][1]] * 3,
    }
    result = [
        series(name, [[round(T0 + 15 * k, 3), v] for k, v in enumerate(values[name])], **labels)
        for name, (labels, _) in found.items()
    ]
    return response(result), written


# --- responses built from the real scrapes ------------------------------------------------------

REAL = {
    # file: (host, uuid, model, power as written, util, energy counter as written)
    "ericsson_ccd_T4.prom": (
        "cp-bm14r7",
        "GPU-6d5c0ac5-74d7-3130-46f1-e93ed57f469a",
        "Tesla T4",
        68.244,
        91.0,
        15152422938,
    ),
    "kops_L4.prom": (
        "i-030791dc5a37cd257",
        "GPU-c2f76b33-7953-256e-8f33-1343419b1a1c",
        "NVIDIA L4",
        16.365,
        0.0,
        4742776,
    ),
    "rafay_T4.prom": (
        "ip-10-200-3-41",
        "GPU-d7cbb0cd-d4bd-c2f7-dfaf-221df5e958ea",
        "Tesla T4",
        14.512,
        0.0,
        48287135,
    ),
    "upcloud_L40S.prom": (
        "gpu1-wl8sg",
        "GPU-5b4e07f6-3a86-4340-039d-25f2a83cdc43",
        "NVIDIA L40S",
        35.686,
        0.0,
        5551899580,
    ),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_range_response_built_from_a_real_scrape(tmp_path: Path, name: str) -> None:
    host, uuid, model, power, util, energy = REAL[name]
    doc, written = range_from_scrape(DCGM / name)
    assert float(written["DCGM_FI_DEV_POWER_USAGE"]) == power
    path = write(tmp_path, json.dumps(doc))  # Prometheus' own layout: all on one line
    assert detect_format(path) == FORMAT
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 3, 0)
    step_mj = round(power * 15_000)  # e.g. 35.686 W × 15 s = 535,290 mJ
    assert result.frame.drop("source_path").to_dicts() == [
        {
            "line": k + 1,  # one line for everything: readings are numbered in order
            "host": host,
            "gpu_index": 0,
            "gpu_uuid": uuid,
            "gpu_name": model,
            "ts_utc": T0_UTC + timedelta(seconds=15 * k),
            "power_w": power,
            "util_pct": util,
            "energy_mj": float(energy + k * step_mj),
            "workload": None,
        }
        for k in range(3)
    ]


def test_pretty_printed_response_gives_physical_lines(tmp_path: Path) -> None:
    doc, _ = range_from_scrape(DCGM / "upcloud_L40S.prom")
    text = json.dumps(doc, indent=2)  # the layout of `jq .`: `[` alone, then time, then value
    lines = text.splitlines()
    # the first series (file order: POWER_USAGE on line 15 of the scrape) opens its pairs with
    # a line holding only `[` followed by the time: the reading starts there
    pair_starts = [
        i + 1
        for i, line in enumerate(lines)
        if line.strip() == "[" and lines[i + 1].strip().startswith("17000000")
    ]
    # series in the scrape's order: SM_CLOCK, POWER_USAGE, ENERGY, UTIL, 3 pairs each; a
    # reading starts at its POWER_USAGE pair, the first of its pairs in the document
    power_pairs = pair_starts[3:6]
    stripped = [line.strip() for line in lines]
    power_key = stripped.index('"__name__": "DCGM_FI_DEV_POWER_USAGE",') + 1
    energy_key = stripped.index('"__name__": "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",') + 1
    assert power_key < power_pairs[0] < power_pairs[2] < energy_key
    result = read_file(write(tmp_path, text))
    assert result.frame["line"].to_list() == power_pairs


def test_instant_query_vector(tmp_path: Path) -> None:
    found = real_series(DCGM / "ericsson_ccd_T4.prom")
    doc = response(
        [
            {"metric": {"__name__": name, **labels}, "value": [T0, value]}
            for name, (labels, value) in found.items()
        ],
        "vector",
    )
    result = read_file(write(tmp_path, json.dumps(doc)))
    assert result.problems == []
    assert result.frame.select("host", "ts_utc", "power_w", "util_pct", "energy_mj").row(0) == (
        "cp-bm14r7",
        T0_UTC,
        68.244,  # "68.244000"
        91.0,
        15152422938.0,
    )


# --- a hand-written jq-layout response: exact lines and reasons ---------------------------------

JQ_TEXT = """\
{
  "status": "success",
  "data": {
    "resultType": "matrix",
    "result": [
      {
        "metric": {
          "__name__": "DCGM_FI_DEV_POWER_USAGE",
          "gpu": "0",
          "hostname": "n7",
          "namespace": "ml",
          "pod": "train-0"
        },
        "values": [
          [
            1700000000,
            "250.5"
          ],
          [
            1700000015,
            "NaN"
          ]
        ]
      },
      {
        "metric": {
          "__name__": "DCGM_FI_DEV_GPU_UTIL",
          "gpu": "0",
          "hostname": "n7",
          "namespace": "ml",
          "pod": "train-0"
        },
        "values": [
          [
            1700000000,
            "45"
          ],
          [
            1700000015,
            "150"
          ]
        ]
      },
      {
        "metric": {
          "gpu": "0",
          "hostname": "n7"
        },
        "values": [
          [
            1700000000,
            "3"
          ]
        ]
      },
      {
        "metric": {
          "__name__": "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
          "gpu": 1,
          "hostname": "n7"
        },
        "values": []
      }
    ]
  }
}
"""


def test_jq_layout_lines_and_json_paths(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, JQ_TEXT))
    # readings: GPU 0 at 1700000000 (pairs on lines 15 and 34) and at 1700000015 (19 and 38);
    # the nameless series (a computed one) is not ours; the last series' gpu label is a number.
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 1, 2)
    assert result.frame.select("line", "host", "power_w", "util_pct", "workload").row(0) == (
        15,
        "n7",
        250.5,
        45.0,
        "ml/train-0",
    )
    assert result.frame["ts_utc"].to_list() == [datetime(2023, 11, 14, 22, 13, 20)]
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            19,
            "power_w (DCGM_FI_DEV_POWER_USAGE at data.result[0].values[1]): expected a finite "
            "non-negative number in W, got NaN; util_pct (DCGM_FI_DEV_GPU_UTIL at "
            "data.result[1].values[1]): expected a number from 0 to 100 (%), got 150",
        ),
        (
            57,  # the series' "metric" key
            "data.result[3]: metric.gpu: expected a string label value, got 1",
        ),
    ]
    assert result.problems[0].raw == (
        'data.result[0].values[1]: DCGM_FI_DEV_POWER_USAGE [1700000015, "NaN"]\n'
        'data.result[1].values[1]: DCGM_FI_DEV_GPU_UTIL [1700000015, "150"]'
    )


def test_compact_layout_numbers_rows_in_document_order(tmp_path: Path) -> None:
    text = json.dumps(json.loads(JQ_TEXT))  # the same answer on one line
    result = read_file(write(tmp_path, text))
    # rows in document order: reading @0 (result[0].values[0]), reading @15, bad result[3]
    assert result.frame["line"].to_list() == [1]
    assert [p.line for p in result.problems] == [2, 3]


# --- labels, MIG, workload -----------------------------------------------------------------------


def test_mig_series_count_the_gpu_once_and_labels_map_as_in_the_text_reader(
    tmp_path: Path,
) -> None:
    mig = {"gpu": "0", "UUID": "GPU-06357e72", "modelName": "NVIDIA A100 80GB PCIe"}
    i1 = {**mig, "GPU_I_PROFILE": "3g.40gb", "GPU_I_ID": "1", "namespace": "ml", "pod": "a"}
    i2 = {**mig, "GPU_I_PROFILE": "3g.40gb", "GPU_I_ID": "2", "namespace": "ml", "pod": "b"}
    whole = {"gpu": "1", "UUID": "GPU-8345bdf0", "hpc_job": "4211"}
    p = "DCGM_FI_DEV_POWER_USAGE"
    e = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
    u = "DCGM_FI_DEV_GPU_UTIL"
    doc = response(
        [
            series(p, [[T0, "182.431"], [T0 + 15, "183.0"]], Hostname="metal-08", **i1),
            series(p, [[T0, "182.431"], [T0 + 15, "183.0"]], Hostname="metal-08", **i2),
            series(e, [[T0, "98110042230"], [T0 + 15, "98112778695"]], Hostname="metal-08", **i1),
            series(e, [[T0, "98110042230"], [T0 + 15, "98112778695"]], Hostname="metal-08", **i2),
            series(u, [[T0, "0"]], Hostname="metal-08", **i1),  # MIG: not the GPU's utilisation
            series(p, [[T0, "301.002"]], **whole),  # no host label: the folder names it
            series(u, [[T0, "97"]], **whole),
        ]
    )
    result = read_file(write(tmp_path, json.dumps(doc), host="rack3-n12"))
    assert result.problems == []
    frame = result.frame.sort(["gpu_index", "ts_utc"])
    assert frame.select(
        "host", "gpu_index", "power_w", "util_pct", "energy_mj", "workload"
    ).rows() == [
        ("metal-08", 0, 182.431, None, 98110042230.0, None),  # instances run ml/a and ml/b
        ("metal-08", 0, 183.0, None, 98112778695.0, None),
        ("rack3-n12", 1, 301.002, 97.0, None, "4211"),
    ]


def test_repeated_values_that_disagree_are_quarantined(tmp_path: Path) -> None:
    p = "DCGM_FI_DEV_POWER_USAGE"
    doc = response(
        [
            series(p, [[T0, "100"]], gpu="0", Hostname="h", GPU_I_ID="1"),
            series(p, [[T0, "120"]], gpu="0", Hostname="h", GPU_I_ID="2"),
        ]
    )
    result = read_file(write(tmp_path, json.dumps(doc)))
    [problem] = result.problems
    assert problem.reason == (
        "power_w (DCGM_FI_DEV_POWER_USAGE): expected one value per GPU and time (MIG instances "
        "and repeated lines must agree), got 100.0 at data.result[0].values[0] and 120.0 at "
        "data.result[1].values[0]"
    )


# --- bad values and shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "value", "reason"),
    [
        ("DCGM_FI_DEV_POWER_USAGE", "+Inf", "expected a finite non-negative number in W, got +Inf"),
        ("DCGM_FI_DEV_POWER_USAGE", "-3", "expected a finite non-negative number in W, got -3"),
        ("DCGM_FI_DEV_POWER_USAGE", "abc", "expected a finite non-negative number in W, got abc"),
        ("DCGM_FI_DEV_GPU_UTIL", "-1", "expected a number from 0 to 100 (%), got -1"),
        (
            "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
            "NaN",
            "expected a finite non-negative counter in mJ, got NaN",
        ),
    ],
)
def test_bad_values_name_the_json_path(
    tmp_path: Path, metric: str, value: str, reason: str
) -> None:
    doc = response([series(metric, [[T0, "1"], [T0 + 15, value]], gpu="3", Hostname="h")])
    result = read_file(write(tmp_path, json.dumps(doc)))
    assert result.frame["ts_utc"].to_list() == [T0_UTC]
    [problem] = result.problems
    assert problem.line == 2  # the second reading (one-line file: ordinals)
    column = prometheus_json.METRICS[metric]
    assert problem.reason == f"{column} ({metric} at data.result[0].values[1]): {reason}"


def test_odd_elements_and_series_are_quarantined(tmp_path: Path) -> None:
    p = "DCGM_FI_DEV_POWER_USAGE"
    doc = response(
        [
            series(p, [[T0, "1"], [T0 + 15], "x", [T0 + 30, "2", "3"], None], gpu="0"),
            "not a series",
            {"metric": None, "values": []},
            {"metric": {"__name__": p, "gpu": "1"}},
            series(p, [["yesterday", "5"]], gpu="2"),
        ]
    )
    result = read_file(write(tmp_path, json.dumps(doc)))
    assert result.frame["ts_utc"].to_list() == [T0_UTC]
    reasons = [p.reason for p in result.problems]
    pair = 'expected a [time, value] pair like [1700000000.123, "250.5"]'
    when = "expected Unix seconds like 1700000000.123 within years 1970-2099"
    power = "expected a finite non-negative number in W"
    assert reasons == [
        # [T0 + 15]: a time without a value
        f"data.result[0].values[1]: {pair}, got 1 items; power_w (DCGM_FI_DEV_POWER_USAGE at "
        f"data.result[0].values[1]): {power}, got nothing",
        # "x": not a pair at all
        f'data.result[0].values[2]: {pair}, got "x"; timestamp (data.result[0].values[2]): '
        f"{when}, got nothing; power_w (DCGM_FI_DEV_POWER_USAGE at data.result[0].values[2]): "
        f"{power}, got nothing",
        # [T0 + 30, "2", "3"]: one item too many
        f"data.result[0].values[3]: {pair}, got 3 items",
        # null
        f"data.result[0].values[4]: {pair}, got null; timestamp (data.result[0].values[4]): "
        f"{when}, got nothing; power_w (DCGM_FI_DEV_POWER_USAGE at data.result[0].values[4]): "
        f"{power}, got nothing",
        'data.result[1]: expected a series object {"metric": {...}, "values": [...]}, got str',
        "data.result[2]: metric: expected an object of labels, got NoneType",
        "data.result[3]: values: expected an array of [time, value] pairs like "
        '[1700000000.123, "250.5"], got null',
        f"timestamp (data.result[4].values[0]): {when}, got yesterday",
    ]
    # every row has its ordinal; nothing was lost
    assert result.rows_read == 9
    assert sorted(result.frame["line"].to_list() + [p.line for p in result.problems]) == list(
        range(1, 10)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\""}',
            "Prometheus answered with an error (errorType 'bad_data': "
            "'invalid parameter \"query\"')",
        ),
        ('{"status": "success",\n "data": {"resultType": "matrix",\n  "result": [}}', "line 3 col"),
        ('{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}', "scalar"),
        ('{"status":"success","data":{"resultType":"matrix","result":{}}}', "not an array"),
        ('{"status":"success","data":{"resultType":"matrix"}}', "data.result is missing"),
    ],
)
def test_unreadable_responses(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_a_bare_data_object_is_accepted(tmp_path: Path) -> None:
    doc = response([series("DCGM_FI_DEV_POWER_USAGE", [[T0, "5"]], gpu="0")])["data"]
    path = write(tmp_path, json.dumps(doc))
    assert detect_format(path) == FORMAT
    assert read_file(path).frame["power_w"].to_list() == [5.0]


def test_sniff() -> None:
    assert prometheus_json.sniff(['{"status":"success","data":{"resultType":"matrix"'])
    assert prometheus_json.sniff(
        ['{"resultType":"vector","result":[{"metric":{"__name__":"DCGM_FI_DEV']
    )
    assert not prometheus_json.sniff(['{"data":[{"from":"2023-03-14T12:00Z"}]}'])
    assert not prometheus_json.sniff(['# HELP DCGM_FI_DEV_SM_CLOCK "resultType"'])


def test_frame_loads_into_the_raw_gpu_samples_table(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "schema_raw_gpu_samples.sql").read_text())
    for name in sorted(REAL):
        doc, _ = range_from_scrape(DCGM / name)
        frame = read_file(write(tmp_path / name, json.dumps(doc))).frame
        assert frame.schema == prometheus_json.SCHEMA
        con.from_arrow(frame.to_arrow()).insert_into("raw_gpu_samples")
    # 4 files × 3 steps; power repeats, so the sum is 3 × the four written powers
    assert con.execute("SELECT count(*), sum(power_w) FROM raw_gpu_samples").fetchone() == (
        12,
        pytest.approx(3 * (68.244 + 16.365 + 14.512 + 35.686)),
    )


# --- random corruption -----------------------------------------------------------------------

BASE, _ = range_from_scrape(DCGM / "upcloud_L40S.prom")


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    doc = json.loads(json.dumps(BASE))
    result = doc["data"]["result"]
    for op in draw(st.lists(st.sampled_from(["value", "reorder", "dup", "label"]), max_size=2)):
        s = result[draw(st.integers(0, len(result) - 1))]
        if op == "value":
            token = draw(st.sampled_from(["NaN", "+Inf", "-Inf", "-1", "1e999", "", "x", None, 7]))
            s["values"][draw(st.integers(0, 2))][1] = token
        elif op == "reorder":  # out-of-order timestamps
            random.Random(draw(st.integers(0, 99))).shuffle(s["values"])
        elif op == "dup":
            s["values"].append(s["values"][0])
        elif op == "label":
            s["metric"]["gpu"] = draw(st.sampled_from(["", "x", 0, None, "-1"]))
    data = json.dumps(doc, indent=draw(st.sampled_from([None, 1, 2]))).encode()
    for op in draw(
        st.lists(
            st.sampled_from(
                ["truncate", "bytes", "non_utf8", "delimiter", "dup_line", "empty", "head"]
            ),
            max_size=2,
        )
    ):
        lines = data.split(b"\n")
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op == "bytes" and data:
            i = draw(st.integers(0, len(data) - 1))
            data = data[:i] + draw(st.binary(min_size=1, max_size=2)) + data[i + 1 :]
        elif op == "non_utf8":
            i = draw(st.integers(0, len(data)))
            data = data[:i] + b"\xff\xfe" + data[i:]
        elif op == "delimiter":
            data = data.replace(b",", draw(st.sampled_from([b";", b"\t", b"|"])))
        elif op == "dup_line":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif op == "empty":
            data = b""
        elif op == "head":
            data = lines[0] + b"\n"
    return data


def check(path: Path) -> None:
    try:
        result = read_file(path)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.format == FORMAT
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame.schema == prometheus_json.SCHEMA
    for column in prometheus_json.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    rows = result.frame["line"].to_list() + [p.line for p in result.problems]
    # physical lines, or ordinals 1..rows_read
    physical = len(path.read_bytes().split(b"\n"))
    assert all(1 <= n <= max(physical, result.rows_read) for n in rows)
    assert len(set(rows)) == len(rows)
    assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
    assert result.frame.filter(~pl.col("power_w").is_between(0, 1e6)).height == 0


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corruption_never_raises_or_loses_rows(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "host-x" / "export.json"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.draw(corrupted()))
    check(path)
