"""Value parsers for CSV columns: each takes the text of one field and returns the value, or raises
ValueError("expected ...") saying what a good value looks like (the reason a row is quarantined).

A format's `Column` table (`_csv_columns`) names one of these per column; `_csv_frame` runs the
same parsers once per distinct value over text columns of a Parquet file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

Parser = Callable[[str], Any]

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def text(value: str) -> str:
    return value


def number(value: str) -> float:
    if not _NUMBER.fullmatch(value.strip()) or not math.isfinite(float(value)):
        raise ValueError("expected a number like '12.5'")
    return float(value)


_COUNT = re.compile(r"[0-9]{1,18}")  # fits a BIGINT


def count(value: str) -> int:
    if not _COUNT.fullmatch(value.strip()):
        raise ValueError("expected a non-negative whole number like '1200'")
    return int(value)


def utc_time(value: str) -> datetime:
    """ISO-8601 UTC (`2026-10-01T05:00:00Z` or `2026-10-01 05:00:00`); an offset is honoured."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("expected an ISO-8601 UTC time like '2026-10-01T05:00:00Z'") from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("expected a time within years 1-9999 once in UTC") from None
    return parsed


def local_time(tz: str) -> Parser:
    """ISO-8601 time → naive UTC, where a time without a zone is wall-clock time in `tz`.

    `tz` must already be a valid IANA name (see `_text.zone_for`). As in `_text.local_to_utc`,
    the autumn repeated hour takes its earlier instant and a time skipped in spring is refused,
    so the row is quarantined instead of being moved to an instant the clock never showed.
    """
    zone = ZoneInfo(tz)
    expected = (
        "expected an ISO-8601 time like '2026-10-01T05:00:00Z', or local time in "
        f"{tz} like '2026-10-01 07:00:00'"
    )

    def parse(value: str) -> datetime:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(expected) from None
        try:
            if parsed.tzinfo is not None:
                return parsed.astimezone(UTC).replace(tzinfo=None)
            # fold=0 (the default) is the earlier of two readings of an ambiguous wall clock.
            utc = parsed.replace(tzinfo=zone).astimezone(UTC)
            shown = utc.astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("expected a time within years 1-9999 once in UTC") from None
        if shown != parsed:
            raise ValueError(
                f"expected a local time that clocks in {tz} showed (this one was skipped by the "
                "daylight-saving change)"
            )
        return utc.replace(tzinfo=None)

    return parse


def utc_hour(value: str) -> datetime:
    parsed = utc_time(value)
    if parsed.minute or parsed.second or parsed.microsecond:
        raise ValueError("expected the start of an hour like '2026-10-01T05:00:00Z'")
    return parsed


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError("expected 'true' or 'false'")
    return lowered == "true"


_CURRENCY = re.compile(r"[A-Z]{3}")
CURRENCY_EXPECTED = "expected a 3-letter ISO 4217 currency code in capitals like 'USD'"
CURRENCY_MISSING = (
    f"{CURRENCY_EXPECTED}, got nothing (costs without a currency cannot be reconciled)"
)


def currency(value: str) -> str:
    """ISO 4217 alphabetic code as written: exactly three capital letters, no spaces."""
    if not _CURRENCY.fullmatch(value):
        raise ValueError(CURRENCY_EXPECTED)
    return value


def json_object(value: str) -> str:
    """Kept as the text the provider wrote; only checked to be a JSON object."""
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError('expected a JSON object like \'{"team": "ml"}\'') from None
    if not isinstance(parsed, dict):
        raise ValueError('expected a JSON object like \'{"team": "ml"}\'')
    return value
