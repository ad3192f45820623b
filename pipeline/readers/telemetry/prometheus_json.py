"""Prometheus HTTP API responses holding DCGM series → raw_gpu_samples.

Accepted: the body of `GET /api/v1/query_range` (`resultType` "matrix": each series has
`values: [[unix_seconds, "value"], ...]`) and of `GET /api/v1/query` with `resultType` "vector"
(`value: [unix_seconds, "value"]`), as `curl` saves them:

    {"status": "success", "data": {"resultType": "matrix", "result": [
      {"metric": {"__name__": "DCGM_FI_DEV_POWER_USAGE", "gpu": "0", "Hostname": "n1", ...},
       "values": [[1700000000.123, "250.5"], ...]}, ...]}}

A bare `data` object (`{"resultType": ..., "result": [...]}`) is accepted too. `status: "error"`,
a `resultType` of "scalar" or "string", and text that is not JSON make the file unreadable (the
message gives the parser's line and column, or Prometheus' errorType and error).

Rows are as in the DCGM text reader (dcgm_prometheus.py), with the same merge (_dcgm_readings.py):
one reading per host × GPU × time, merging the samples of DCGM_FI_DEV_POWER_USAGE,
DCGM_FI_DEV_GPU_UTIL and DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION at that time; the same label
mapping (Hostname/hostname, gpu, UUID, modelName, pod+namespace or hpc_job) and the same MIG rule
(instances repeating their GPU's power and energy count once). A series without `__name__`
(what a query applying a function or aggregation returns: export the raw series) or naming
another metric is not our data and not a row. A series of ours that cannot be read (not an
object, no `metric` object, a label that is not a string, no value array) is one quarantined
row. Values are strings; "NaN", "+Inf", negative power or energy and utilisation outside 0-100
quarantine the reading, as does an element that is not a `[time, "value"]` pair.

`line`: Prometheus writes each response on one line, but a pretty-printed export (`jq .`) puts
every `[time, "value"]` pair on its own line. When the file is laid out so (each pair and each
`"metric": {` key on a line of its own, in document order), a reading's `line` is the physical line
of its first pair and a bad series' `line` that of its `"metric"` key; otherwise `line` is the
row's 1-based ordinal in document order. Either way every reason names the JSON path
(`data.result[2].values[17]`). How lines are found: _prom_json_lines.py.

Sample times are Unix seconds (UTC) with a fractional part; they are taken to the microsecond.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipeline.readers._text import TextFile, assemble
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.telemetry._dcgm_labels import LABELS, METRICS, folder_host, label_columns
from pipeline.readers.telemetry._dcgm_readings import merge
from pipeline.readers.telemetry._prom_json_lines import METRIC_KEY, PAIR, BadSeries, number_rows
from pipeline.readers.telemetry._prom_json_samples import (
    PAIR_EXAMPLE,
    samples_frame,
    series_samples,
)

# raw_gpu_samples, the same table (and so the same columns) as the nvidia-smi reader.
from pipeline.readers.telemetry.nvidia_smi import NOT_NULL, SCHEMA

FORMAT = "prometheus-range-json"
TABLE = "raw_gpu_samples"
__all__ = ["FORMAT", "NOT_NULL", "SCHEMA", "TABLE", "read", "sniff"]

RESULT_TYPES = {"matrix": "values", "vector": "value"}
_ERROR_STATUS = re.compile(r'"status"\s*:\s*"error"')


def sniff(head: list[str]) -> bool:
    """A JSON object whose head names `resultType` beside a DCGM metric or a `status` key, or a
    Prometheus error answer (`status` "error" with an `errorType`)."""
    text = "\n".join(head)
    if not text.lstrip().startswith("{"):
        return False
    if '"resultType"' in text:
        return "DCGM_FI_" in text or '"status"' in text
    return bool(_ERROR_STATUS.search(text)) and '"errorType"' in text


def _unreadable(path: Path, why: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: {why}; expected the JSON body of a Prometheus /api/v1/query_range or "
        "/api/v1/query response"
    )


def _load(source: TextFile) -> Any:
    path = source.path
    if source.bad:
        first = min(source.bad) + 1
        raise _unreadable(path, f"line {first} is not valid UTF-8 text (JSON must be UTF-8)")
    try:
        return json.loads("\n".join(source.lines))
    except json.JSONDecodeError as exc:
        raise _unreadable(
            path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise _unreadable(path, "JSON nested too deeply to read") from exc


def _envelope(path: Path, doc: Any) -> tuple[str, dict]:
    """(JSON path prefix, the `data` object)."""
    if isinstance(doc, dict) and "status" in doc:
        status = doc["status"]
        if status == "error":
            raise _unreadable(
                path,
                f"Prometheus answered with an error (errorType {doc.get('errorType')!r}: "
                f"{str(doc.get('error'))[:300]!r})",
            )
        if status != "success":
            raise _unreadable(path, f"status is {status!r}, not 'success'")
        if not isinstance(doc.get("data"), dict):
            raise _unreadable(path, "'data' is missing or not an object")
        return "data.", doc["data"]
    if isinstance(doc, dict) and "resultType" in doc:
        return "", doc
    raise _unreadable(path, f"the document is a {type(doc).__name__} without 'status' or 'data'")


def _series_issue(series: Any, values_key: str, values: list | None) -> tuple[bool, str | None]:
    """(whether the series is one of our metrics, why it cannot be read or None)."""
    if not isinstance(series, dict):
        return True, (
            f'expected a series object {{"metric": {{...}}, "{values_key}": [...]}}, '
            f"got {type(series).__name__}"
        )
    metric = series.get("metric")
    if not isinstance(metric, dict):
        return True, f"metric: expected an object of labels, got {type(metric).__name__}"
    name = metric.get("__name__")
    if not isinstance(name, str) or name not in METRICS:
        return False, None  # another metric, or a computed series without a name: not our data
    odd = [k for k in LABELS if k in metric and not isinstance(metric[k], str)]
    if odd:
        return True, (
            f"metric.{odd[0]}: expected a string label value, got {json.dumps(metric[odd[0]])}"
        )
    if values is None:
        return True, (
            f"{values_key}: expected an array of [time, value] pairs like {PAIR_EXAMPLE}, "
            f"got {json.dumps(series.get(values_key))[:60]}"
        )
    return True, None


def _raw(series: Any) -> str:
    return (series if isinstance(series, str) else json.dumps(series))[:500]


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    prefix, data = _envelope(path, _load(source))
    result_type = data.get("resultType")
    if not isinstance(result_type, str) or result_type not in RESULT_TYPES:
        raise _unreadable(
            path, f"resultType is {result_type!r}; only 'matrix' and 'vector' hold series"
        )
    result = data.get("result")
    if not isinstance(result, list):
        raise _unreadable(path, f"{prefix}result is missing or not an array")
    values_key = RESULT_TYPES[result_type]

    kinds: list[np.ndarray] = []  # the anchors the text should show, in document order
    n_anchors = 0
    parts: list[pl.DataFrame] = []
    # series problems: (anchor index of their "metric" key or None, order position, reason, raw)
    bad_series: list[BadSeries] = []
    for i, series in enumerate(result):
        at = f"{prefix}result[{i}]"
        start = n_anchors
        metric_anchor = values_anchor = None
        values: Any = None
        if isinstance(series, dict):
            for key, item in series.items():
                if key == "metric" and isinstance(item, dict):
                    metric_anchor = n_anchors
                    kinds.append(np.array([METRIC_KEY]))
                    n_anchors += 1
                elif key == values_key and isinstance(item, list):
                    values = [item] if values_key == "value" else item
                    values_anchor = n_anchors
                    kinds.append(np.full(len(values), PAIR))
                    n_anchors += len(values)

        ours, issue = _series_issue(series, values_key, values)
        if issue is not None:
            bad_series.append((metric_anchor, start, f"{at}: {issue}", _raw(series)))
        if not ours or issue is not None:
            continue
        metric = series["metric"]
        if not values:
            continue  # a series with no samples in the range has nothing to read
        parts.append(series_samples(values, at, values_key, values_anchor, metric))

    samples = label_columns(samples_frame(parts), folder_host(path))
    readings = merge(samples, f"Unix seconds like {PAIR_EXAMPLE[1:15]}")
    readings, problems = number_rows(source, kinds, readings, bad_series)
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, readings, problems)
