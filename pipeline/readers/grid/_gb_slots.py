"""One Carbon Intensity slot's table values, and every reason it cannot be accepted, for
gb_carbon_intensity.py (whose docstring gives the rules: zone, actual else forecast, times).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from pipeline.readers import _csv
from pipeline.readers.grid._gb_records import Record, json_kind

NATIONAL_ZONE = "GB"


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
        return f"{json_kind(value)} that cannot be shown"


def _time(path: str, period: dict[str, Any], key: str) -> tuple[datetime | None, str | None]:
    value = period.get(key)
    expected = f"{path}.{key}: expected an ISO-8601 UTC time like '2023-03-14T12:00Z', got "
    if not isinstance(value, str):
        return None, expected + ("nothing" if value is None else _shown(value))
    try:
        return _csv.utc_time(value), None
    except ValueError:
        return None, expected + repr(value)


def slot_values(rec: Record) -> dict[str, Any]:
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
        got = "nothing" if intensity is None else json_kind(intensity)
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
