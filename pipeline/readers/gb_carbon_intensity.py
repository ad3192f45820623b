"""GB Carbon Intensity API responses (JSON, api.carbonintensity.org.uk) → raw_grid_intensity.

Half-hourly slots, one row per slot (per region and slot for regional responses). Shapes read:

- national (`/intensity`, `/intensity/{from}/pt24h`, `/intensity/date/...`, ...):
  `{"data": [{"from": "2023-03-14T12:00Z", "to": "...", "intensity": {"forecast": 99,
  "actual": 101, "index": "low"}}]}` → zone `GB`;
- regional by period (`/regional`, `/regional/intensity/{from}/fw24h`, ...):
  `{"data": [{"from", "to", "regions": [{"regionid": 13, "shortname": "London",
  "intensity": {"forecast", "index"}, ...}]}]}`;
- regional by region (`/regional/regionid/13`, `/regional/postcode/RG10`, `/regional/england`,
  and `/regional/intensity/{from}/{to}/regionid/13`, whose `data` is one object, not a list):
  `{"data": [{"regionid": 13, "shortname": "London", "data": [{"from", "to", "intensity"}]}]}`.

Decisions:

- Zone: `GB` for national figures; `GB-<regionid>` for regional ones (`GB-13` is London, `GB-15`
  England, `GB-16` Scotland, `GB-17` Wales, `GB-18` the regional model's GB total). Regional
  figures come from a different model than the national ones, so even region 18 is kept apart
  from `GB`; a site sets `grid_zone: GB-13` to use London's series.
- Value: `actual` (the API's outturn estimate) when present; else `forecast`, flagged
  `is_estimated = true` (the API's latest slot has `actual: null`, and regional figures are
  forecast-only, so they are always flagged). Both missing or null: the slot is quarantined.
  Values must be finite, non-negative numbers; a bad `actual` quarantines the slot rather than
  falling back to the forecast silently.
- The API's figure is the carbon intensity of generation (direct/operational, gCO2/kWh), so it
  goes to `gco2e_per_kwh_direct`; life-cycle, CFE and renewable shares are left null
  (`generationmix` is not read: its `imports` share has no known carbon-free part).
- `datetime_utc` is the slot's `from`; `to`, when given, must be later than `from`.
- `line` is the physical line where the slot's JSON object starts (the region's object for
  regional-by-period responses). When two records start on one line (the API's own compact,
  one-line responses), every record's `line` is instead its 1-based ordinal in the file, so
  `line` still identifies one record. Reasons name the JSON path (`data[47].intensity.actual`).
- Invalid JSON, or a document without a top-level `data` list or object, is unreadable.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from pipeline.readers import _csv, grid_csv
from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError

FORMAT = "gb-carbon-intensity-json"
TABLE = "raw_grid_intensity"
SCHEMA = grid_csv.SCHEMA
NOT_NULL = grid_csv.NOT_NULL
NATIONAL_ZONE = "GB"
DATA_SOURCE = "carbonintensity.org.uk"

_STARTS_OBJECT = re.compile(r"\s*\{")
_DATA_KEY = re.compile(r'"data"\s*:\s*[\[{]')
_INTENSITY_KEY = re.compile(r'"intensity"\s*:\s*\{')
_FORECAST_KEY = re.compile(r'"forecast"\s*:')
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def sniff(head: list[str]) -> bool:
    text = "\n".join(head)
    return bool(
        _STARTS_OBJECT.match(text)
        and _DATA_KEY.search(text)
        and _INTENSITY_KEY.search(text)
        and _FORECAST_KEY.search(text)
    )


# --- where each JSON value starts (the document is already known to be valid) ------------------


def _skip(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match else i


def _members(text: str, i: int) -> dict[str, int]:
    """Offset of each member's value in the object whose '{' is at `i` (last duplicate wins)."""
    found: dict[str, int] = {}
    i = _skip(text, i + 1)
    if text[i] == "}":
        return found
    while True:
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past ':'
        found[key] = i
        _, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] != ",":
            return found
        i = _skip(text, i + 1)


def _items(text: str, i: int) -> list[tuple[int, int]]:
    """(start, end) offsets of each element of the array whose '[' is at `i`."""
    spans: list[tuple[int, int]] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return spans
    while True:
        _, end = _DECODER.raw_decode(text, i)
        spans.append((i, end))
        i = _skip(text, end)
        if text[i] != ",":
            return spans
        i = _skip(text, i + 1)


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    start: int  # offsets of the record's JSON object in the text
    end: int
    path: str  # JSON path of the record, e.g. data[3] or data[0].regions[12]
    period: Any  # the object holding from/to
    holder: Any  # the object holding intensity
    region: Any  # the object holding regionid (regional data), else None (national)
    shape_error: str | None = None  # the record is not a slot at all


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _records(text: str, doc: dict[str, Any]) -> list[_Record]:
    top = _members(text, _skip(text, 0))
    data = doc["data"]
    if isinstance(data, dict):
        return _element(text, top["data"], _DECODER.raw_decode(text, top["data"])[1], "data", data)
    out: list[_Record] = []
    for k, ((start, end), element) in enumerate(zip(_items(text, top["data"]), data, strict=True)):
        out += _element(text, start, end, f"data[{k}]", element)
    return out


def _element(text: str, start: int, end: int, path: str, element: Any) -> list[_Record]:
    if not isinstance(element, dict):
        reason = f"{path}: expected an object with from, to and intensity, got {_kind(element)}"
        return [_Record(start, end, path, None, None, None, reason)]
    for key, by_period in (("regions", True), ("data", False)):
        if key not in element or (key == "data" and "intensity" in element):
            continue
        inner = element[key]
        if not isinstance(inner, list):
            reason = f"{path}.{key}: expected a list of {key}, got {_kind(inner)}"
            return [_Record(start, end, path, None, None, None, reason)]
        spans = _items(text, _members(text, start)[key])
        return [
            _Record(
                s,
                e,
                f"{path}.{key}[{j}]",
                element if by_period else item,  # from/to: the period's, or the slot's own
                item,
                item if by_period else element,  # regionid: the region's
                None
                if isinstance(item, dict)
                else f"{path}.{key}[{j}]: expected an object, got {_kind(item)}",
            )
            for j, ((s, e), item) in enumerate(zip(spans, inner, strict=True))
        ]
    return [_Record(start, end, path, element, element, None)]


def _number(value: Any) -> float | None:
    """A finite non-negative JSON number, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)[:80]
    except ValueError:  # e.g. an integer beyond Python's digit limit
        return f"{_kind(value)} that cannot be shown"


def _time(path: str, period: dict[str, Any], key: str) -> tuple[datetime | None, str | None]:
    value = period.get(key)
    expected = f"{path}.{key}: expected an ISO-8601 UTC time like '2023-03-14T12:00Z', got "
    if not isinstance(value, str):
        return None, expected + ("nothing" if value is None else _shown(value))
    try:
        return _csv.utc_time(value), None
    except ValueError:
        return None, expected + repr(value)


def _row(rec: _Record) -> dict[str, Any]:
    """The record's table values and the reasons it cannot be accepted (if any)."""
    if rec.shape_error is not None:
        return {"reasons": [rec.shape_error]}
    reasons: list[str] = []
    period_path = rec.path.rsplit(".regions[", 1)[0] if ".regions[" in rec.path else rec.path
    start, problem = _time(period_path, rec.period, "from")
    reasons += [problem] if problem else []
    if "to" in rec.period:
        end, problem = _time(period_path, rec.period, "to")
        if problem:
            reasons.append(problem)
        elif start is not None and end is not None and end <= start:
            reasons.append(
                f"{period_path}.to: expected a time after from ({rec.period['from']!r}), "
                f"got {rec.period['to']!r}"
            )
    zone = NATIONAL_ZONE
    if rec.region is not None:
        region = rec.region.get("regionid")
        region_path = rec.path if rec.region is rec.holder else rec.path.rsplit(".data[", 1)[0]
        if isinstance(region, int) and not isinstance(region, bool) and 0 <= region < 10**6:
            zone = f"GB-{region}"
        else:
            got = "nothing" if region is None else _shown(region)
            reasons.append(
                f"{region_path}.regionid: expected a whole-number region id like 13, got {got}"
            )
    value, estimated = None, None
    intensity = rec.holder.get("intensity")
    if not isinstance(intensity, dict):
        got = "nothing" if intensity is None else _kind(intensity)
        reasons.append(
            f"{rec.path}.intensity: expected an object with forecast and actual, got {got}"
        )
    else:
        parsed: dict[str, float | None] = {}
        for key in ("actual", "forecast"):
            raw = intensity.get(key)
            parsed[key] = _number(raw)
            if raw is not None and parsed[key] is None:
                reasons.append(
                    f"{rec.path}.intensity.{key}: expected a non-negative number in gCO2/kWh or "
                    f"null, got {_shown(raw)}"
                )
        if intensity.get("actual") is None and intensity.get("forecast") is None:
            reasons.append(
                f"{rec.path}.intensity: no actual or forecast value (both null or missing); "
                "expected a number in gCO2/kWh"
            )
        estimated = intensity.get("actual") is None
        value = parsed["forecast"] if estimated else parsed["actual"]
    return {
        "zone": zone,
        "datetime_utc": start,
        "gco2e_per_kwh_direct": value,
        "is_estimated": estimated,
        "reasons": reasons,
    }


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    text = "\n".join(source.lines)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise UnreadableFileError(f"{path}: JSON nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise UnreadableFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), (list, dict)):
        got = (
            _kind(doc)
            if not isinstance(doc, dict)
            else "an object without a data list"
            if "data" not in doc
            else f"data as {_kind(doc['data'])}"
        )
        raise UnreadableFileError(
            f'{path}: expected a Carbon Intensity API response, an object whose "data" is a '
            f"list of half-hour slots, got {got}"
        )

    records = _records(text, doc)
    line_starts = [0]
    for line in source.lines[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)
    first = [bisect_right(line_starts, r.start) for r in records]
    last = [bisect_right(line_starts, max(r.end - 1, r.start)) for r in records]
    # Records that share a line (compact JSON) are told apart by their ordinal instead.
    numbers = first if len(set(first)) == len(first) else list(range(1, len(records) + 1))
    bad_lines = {i + 1 for i in source.bad}

    rows: list[dict[str, Any]] = []
    for rec, number, lo, hi in zip(records, numbers, first, last, strict=True):
        row = _row(rec)
        reasons = row.pop("reasons")
        if any(n in bad_lines for n in range(lo, hi + 1)):
            reasons = [f"{rec.path}: {NOT_TEXT_REASON}", *reasons]
        rows.append(
            {
                **row,
                "line": number,
                "raw": text[rec.start : rec.end][:500],
                "reason": "; ".join(reasons) if reasons else None,
                "data_source": DATA_SOURCE,
            }
        )
    candidates = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "raw": pl.String,
            "reason": pl.String,
            "zone": pl.String,
            "datetime_utc": pl.Datetime("us"),
            "gco2e_per_kwh_direct": pl.Float64,
            "gco2e_per_kwh_lca": pl.Float64,
            "cfe_pct": pl.Float64,
            "renewable_pct": pl.Float64,
            "is_estimated": pl.Boolean,
            "data_source": pl.String,
        },
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, [])
