"""Reading the fields of one pod's JSON object: each field that is missing or of the wrong kind
becomes a reason naming its JSON path (`items[3].metadata.name: expected ...`), and times are
RFC 3339 as Kubernetes writes them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

_RFC3339 = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def key_path(base: str, key: str) -> str:
    """`base.key`, or `base["nvidia.com/gpu"]` where the key is not a plain name."""
    if _SAFE_KEY.fullmatch(key):
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key, ensure_ascii=False)}]"


def shown(value: Any) -> str:
    """A JSON value as a problem message quotes it, cut short."""
    if value is None:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def rfc3339(value: str) -> datetime:
    """RFC 3339 time (`2026-01-01T10:00:00Z`, offsets honoured) → naive UTC; ValueError if not."""
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected an RFC 3339 time like '2026-01-01T10:00:00Z'")
    fraction = (match.group(2) or "")[:6]
    zone = "+00:00" if match.group(3) in ("Z", "z") else match.group(3)
    text = match.group(1).replace("t", "T").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(
            f"{text}{'.' + fraction.ljust(6, '0') if fraction else ''}{zone}"
        )
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ValueError("expected an RFC 3339 time like '2026-01-01T10:00:00Z'") from None


class PodFields:
    """Reads fields of one pod object, collecting a reason for every field that is wrong."""

    def __init__(self, path: str, value: Any) -> None:
        self.path = path
        self.reasons: list[str] = []
        self.value = value

    def fail(self, path: str, expected: str, got: Any) -> None:
        self.reasons.append(f"{path}: expected {expected}, got {shown(got)}")

    def obj(self, parent: Any, key: str, base: str, required: bool = False) -> dict | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.fail(key_path(base, key), "an object", None)
            return None
        if not isinstance(value, dict):
            self.fail(key_path(base, key), "an object", value)
            return None
        return value

    def string(
        self, parent: dict | None, key: str, base: str, required: bool = False
    ) -> str | None:
        value = parent.get(key) if parent is not None else None
        if value is None or (required and value == ""):
            if required:
                self.fail(key_path(base, key), "a non-empty string", value)
            return None
        if not isinstance(value, str):
            self.fail(key_path(base, key), "a string", value)
            return None
        return value or None

    def time(self, parent: dict | None, key: str, base: str) -> datetime | None:
        value = parent.get(key) if parent is not None else None
        if value is None:
            return None
        try:
            return rfc3339(value)
        except ValueError as exc:
            self.fail(key_path(base, key), str(exc).removeprefix("expected "), value)
            return None

    def array(self, parent: dict | None, key: str, base: str) -> list:
        value = parent.get(key) if parent is not None else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key_path(base, key), "a list", value)
            return []
        return value
