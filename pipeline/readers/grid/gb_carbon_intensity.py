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

Where each slot sits in the text: _gb_records.py; a slot's values and reasons: _gb_slots.py.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

import polars as pl

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.grid import grid_csv
from pipeline.readers.grid._gb_records import json_kind, slot_records
from pipeline.readers.grid._gb_slots import slot_values

FORMAT = "gb-carbon-intensity-json"
TABLE = "raw_grid_intensity"
SCHEMA = grid_csv.SCHEMA
NOT_NULL = grid_csv.NOT_NULL
DATA_SOURCE = "carbonintensity.org.uk"

_STARTS_OBJECT = re.compile(r"\s*\{")
_DATA_KEY = re.compile(r'"data"\s*:\s*[\[{]')
_INTENSITY_KEY = re.compile(r'"intensity"\s*:\s*\{')
_FORECAST_KEY = re.compile(r'"forecast"\s*:')


def sniff(head: list[str]) -> bool:
    text = "\n".join(head)
    return bool(
        _STARTS_OBJECT.match(text)
        and _DATA_KEY.search(text)
        and _INTENSITY_KEY.search(text)
        and _FORECAST_KEY.search(text)
    )


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
            json_kind(doc)
            if not isinstance(doc, dict)
            else "an object without a data list"
            if "data" not in doc
            else f"data as {json_kind(doc['data'])}"
        )
        raise UnreadableFileError(
            f'{path}: expected a Carbon Intensity API response, an object whose "data" is a '
            f"list of half-hour slots, got {got}"
        )

    records = slot_records(text, doc)
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
        row = slot_values(rec)
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
