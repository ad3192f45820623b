"""Where each half-hour slot of a Carbon Intensity API response sits in the JSON text, and which
objects hold its period (from/to), its intensity and its region, for gb_carbon_intensity.py.

The three response shapes (national, regional by period, regional by region) are described in
gb_carbon_intensity.py. Offsets are found by walking the text with the standard JSON decoder, so a
slot's raw text and its physical line come from the document as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()

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
class Record:
    start: int  # offsets of the record's JSON object in the text
    end: int
    path: str  # JSON path of the record, e.g. data[3] or data[0].regions[12]
    period: Any  # the object holding from/to
    holder: Any  # the object holding intensity
    region: Any  # the object holding regionid (regional data), else None (national)
    shape_error: str | None = None  # the record is not a slot at all


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def slot_records(text: str, doc: dict[str, Any]) -> list[Record]:
    """Every slot of the document (`text` parsed as `doc`), in document order."""
    top = _members(text, _skip(text, 0))
    data = doc["data"]
    if isinstance(data, dict):
        return _element(text, top["data"], _DECODER.raw_decode(text, top["data"])[1], "data", data)
    out: list[Record] = []
    for k, ((start, end), element) in enumerate(zip(_items(text, top["data"]), data, strict=True)):
        out += _element(text, start, end, f"data[{k}]", element)
    return out


def _element(text: str, start: int, end: int, path: str, element: Any) -> list[Record]:
    if not isinstance(element, dict):
        reason = f"{path}: expected an object with from, to and intensity, got {json_kind(element)}"
        return [Record(start, end, path, None, None, None, reason)]
    for key, by_period in (("regions", True), ("data", False)):
        if key not in element or (key == "data" and "intensity" in element):
            continue
        inner = element[key]
        if not isinstance(inner, list):
            reason = f"{path}.{key}: expected a list of {key}, got {json_kind(inner)}"
            return [Record(start, end, path, None, None, None, reason)]
        spans = _items(text, _members(text, start)[key])
        return [
            Record(
                s,
                e,
                f"{path}.{key}[{j}]",
                element if by_period else item,  # from/to: the period's, or the slot's own
                item,
                item if by_period else element,  # regionid: the region's
                None
                if isinstance(item, dict)
                else f"{path}.{key}[{j}]: expected an object, got {json_kind(item)}",
            )
            for j, ((s, e), item) in enumerate(zip(spans, inner, strict=True))
        ]
    return [Record(start, end, path, element, element, None)]
