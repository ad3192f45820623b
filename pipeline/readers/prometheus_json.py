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

Rows are as in the DCGM text reader (dcgm_prometheus.py, whose `merge` this reader shares): one
reading per host × GPU × time, merging the samples of DCGM_FI_DEV_POWER_USAGE,
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
(`data.result[2].values[17]`).

Sample times are Unix seconds (UTC) with a fractional part; they are taken to the microsecond.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipeline.readers._text import TextFile, assemble, problem
from pipeline.readers.base import Problem, ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.dcgm_prometheus import (
    LABEL_SCHEMA,
    LABELS,
    METRICS,
    NOT_NULL,
    SCHEMA,
    folder_host,
    label_columns,
    merge,
)

FORMAT = "prometheus-range-json"
TABLE = "raw_gpu_samples"
__all__ = ["FORMAT", "NOT_NULL", "SCHEMA", "TABLE", "read", "sniff"]

RESULT_TYPES = {"matrix": "values", "vector": "value"}
PAIR_EXAMPLE = '[1700000000.123, "250.5"]'

# What marks the line where a sample pair or a series' labels start. A pair opens with `[` and
# its time, on one line (`[1700000000.123, "250.5"]`) or, as `jq .` writes it, with `[` ending
# one line and the time starting the next. Text inside label values could match too; the caller
# then finds more anchors than the document has and falls back to ordinals.
_TIME = r"-?[0-9][0-9.eE+-]*"
_PAIR_OPEN = rf"\[\s*{_TIME}\s*,"
_OPEN_AT_END = r"\[\s*$"
_TIME_FIRST = rf"^\s*{_TIME}\s*(?:,|$)"
_METRIC_KEY = r'"metric"\s*:\s*\{'
PAIR, METRIC_KEY = 1, 0
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


def _text_of(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item)


def _pairs(values: list) -> pl.DataFrame:
    """`ts_text`, `value_text` and `n` (the element's item count) for each element.

    Well-formed pairs take polars' row constructor (numbers become their text); a series with
    any odd element (a lone time, null, a nested array...) is converted element by element so
    that each odd one becomes a row the checks quarantine instead of an error.
    """
    try:
        return pl.DataFrame(
            values,
            orient="row",
            schema=[("ts_text", pl.String), ("value_text", pl.String)],
            strict=False,
        ).with_columns(n=pl.lit(2, dtype=pl.UInt32), shown=pl.lit(None, dtype=pl.String))
    except Exception:  # noqa: BLE001 - odd shapes: the lenient path below
        pass
    items = pl.Series(
        [[_text_of(x) for x in v] if isinstance(v, list) else None for v in values],
        dtype=pl.List(pl.String),
    )
    shown = pl.Series(
        [None if isinstance(v, list) else json.dumps(v)[:60] for v in values], dtype=pl.String
    )
    return pl.DataFrame({"items": items, "shown": shown}).select(
        ts_text=pl.col("items").list.get(0, null_on_oob=True),
        value_text=pl.col("items").list.get(1, null_on_oob=True),
        n=pl.col("items").list.len(),
        shown=pl.col("shown"),
    )


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


def _anchor_lines(source: TextFile, expected: np.ndarray) -> np.ndarray | None:
    """Physical line of each expected anchor (pair or `"metric"` key), in document order, when
    every anchor has a line of its own; else None (the caller falls back to ordinals)."""
    raw = pl.col("raw")
    found = (
        pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
        .with_row_index("line", offset=1)
        .with_columns(
            pairs=raw.str.count_matches(_PAIR_OPEN)
            + (raw.str.contains(_OPEN_AT_END) & raw.shift(-1).str.contains(_TIME_FIRST))
            .fill_null(False)
            .cast(pl.UInt32),
            keys=raw.str.count_matches(_METRIC_KEY),
        )
        .filter((pl.col("pairs") + pl.col("keys")) > 0)
    )
    if found.height != len(expected) or (found["pairs"] + found["keys"] > 1).any():
        return None
    kinds = np.where(found["pairs"].to_numpy() == 1, PAIR, METRIC_KEY)
    if not np.array_equal(kinds, expected):
        return None
    return found["line"].cast(pl.Int64).to_numpy()


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
    bad_series: list[tuple[int | None, int, str, str]] = []
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
        where = (
            pl.format(f"{at}.values[{{}}]", pl.int_range(pl.len()))
            if values_key == "values"
            else pl.lit(f"{at}.value")
        )
        parts.append(
            _pairs(values)
            .with_columns(
                pos=pl.int_range(pl.len(), dtype=pl.Int64) + values_anchor,
                where=where,
                metric=pl.lit(metric["__name__"]),
                **{k: pl.lit(metric.get(k), dtype=pl.String) for k in LABELS},
            )
            .with_columns(
                sample_reason=pl.when(pl.col("shown").is_not_null())
                .then(
                    pl.format(
                        f"{{}}: expected a [time, value] pair like {PAIR_EXAMPLE}, got {{}}",
                        pl.col("where"),
                        pl.col("shown"),
                    )
                )
                .when(pl.col("n") != 2)
                .then(
                    pl.format(
                        f"{{}}: expected a [time, value] pair like {PAIR_EXAMPLE}, got {{}} items",
                        pl.col("where"),
                        pl.col("n"),
                    )
                ),
                raw=pl.format(
                    '{}: {} [{}, "{}"]',
                    pl.col("where"),
                    pl.col("metric"),
                    pl.coalesce(pl.col("ts_text"), pl.lit("?")),
                    pl.coalesce(pl.col("value_text"), pl.lit("?")),
                ),
            )
        )

    seconds = pl.col("ts_text").cast(pl.Float64, strict=False)
    schema = {
        "pos": pl.Int64,
        "where": pl.String,
        "metric": pl.String,
        "ts_text": pl.String,
        "value_text": pl.String,
        "sample_reason": pl.String,
        "raw": pl.String,
        **LABEL_SCHEMA,
    }
    samples = (
        pl.concat([p.select(list(schema)) for p in parts]) if parts else pl.DataFrame(schema=schema)
    ).with_columns(
        value=pl.col("value_text").cast(pl.Float64, strict=False),
        ts_us=pl.when(seconds.abs() < 9e12).then((seconds * 1e6).round().cast(pl.Int64)),
    )
    samples = label_columns(samples, folder_host(path))
    readings = merge(samples, f"Unix seconds like {PAIR_EXAMPLE[1:15]}")

    expected = np.concatenate(kinds) if kinds else np.array([], dtype=int)
    lines = _anchor_lines(source, expected)
    if lines is not None and all(anchor is not None for anchor, *_ in bad_series):
        readings = readings.with_columns(
            line=pl.Series(lines, dtype=pl.Int64).gather(readings["pos"])
        )
        problems: list[Problem] = [
            problem(int(lines[anchor]), reason, raw) for anchor, _, reason, raw in bad_series
        ]
    else:
        # Ordinals in document order; a bad series comes before the readings that start at
        # the same place.
        order = pl.concat(
            [
                pl.DataFrame(
                    {"pos": [start for _, start, _, _ in bad_series], "tie": 0},
                    schema={"pos": pl.Int64, "tie": pl.Int32},
                ).with_row_index("row"),
                readings.select("pos", tie=pl.lit(1, dtype=pl.Int32)).with_row_index("row"),
            ]
        )
        ranked = order.with_row_index("n").sort(["pos", "tie", "row"], maintain_order=True)
        ordinal = ranked.with_columns(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        series_lines = ordinal.filter(pl.col("tie") == 0).sort("row")["line"].to_list()
        problems = [
            problem(line, reason, raw)
            for line, (_, _, reason, raw) in zip(series_lines, bad_series, strict=True)
        ]
        readings = readings.with_columns(
            line=ordinal.filter(pl.col("tie") == 1).sort("row")["line"]
        )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, readings, problems)
