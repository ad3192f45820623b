"""Value parsers of the declared-usage CSV (pipeline/readers/declared/declared_usage.py): each
takes one field's text and returns the value, or raises ValueError("expected ...")."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pipeline.readers import _csv

# the phases a declaration may name: a run is one of these (never "unclassified" or "idle")
PHASES = ("training", "fine_tuning", "inference", "evaluation", "development")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def phase(value: str) -> str:
    name = value.strip()
    if name not in PHASES:
        raise ValueError(f"expected one of {', '.join(PHASES)}")
    return name


def name(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("expected a name, got only spaces")
    return text


def start_time(value: str) -> datetime:
    """A date (its first instant, 00:00 UTC) or an ISO-8601 UTC time."""
    return _csv.utc_time(value)


def end_time(value: str) -> datetime:
    """A date is the last day of the run, included (the run ends at the next 00:00 UTC); a time
    is the instant it ended."""
    parsed = _csv.utc_time(value)
    return parsed + timedelta(days=1) if _DATE.fullmatch(value.strip()) else parsed


def positive(value: str) -> float:
    number = _csv.number(value)
    if number <= 0:
        raise ValueError("expected a number above 0 like '12.5'")
    return number


def non_negative(value: str) -> float:
    number = _csv.number(value)
    if number < 0:
        raise ValueError("expected a number of 0 or more like '12.5'")
    return number + 0.0


def gpu_count(value: str) -> int:
    count = _csv.count(value)
    if count < 1:
        raise ValueError("expected a whole number of GPUs of 1 or more like '384'")
    return count


def grid_intensity(value: str) -> float:
    """gCO2e/kWh inside the plausible range that grid files are held to."""
    from pipeline.plausibility import GRID_INTENSITY as r  # the readers load before it

    number = non_negative(value)
    if number > r.hi:
        raise ValueError(f"expected gCO2e/kWh within {r.text()} ({r.source})")
    return number


def pue(value: str) -> float:
    """A PUE inside the range the config holds sites to."""
    from pipeline.plausibility import PUE as r  # the readers load before it

    number = _csv.number(value)
    if not r.lo <= number <= r.hi:
        raise ValueError(f"expected a PUE within {r.text()} ({r.source})")
    return number
