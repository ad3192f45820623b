"""What a per-request serving log record says, whatever logged it: the field spellings of vLLM,
TGI and OpenAI-compatible gateways, and turning one record's values into a raw_requests row.

Spellings (compared after `_csv.normalise`; in JSON a nested object's keys are joined with `.`,
so `usage.prompt_tokens` is the `prompt_tokens` of a `usage` object):
- time the request arrived: `time`, `timestamp`, `ts`, `ts_utc`, `created` (OpenAI chat and
  completion objects: Unix seconds), `created_at` (OpenAI Responses API), `startTime` /
  `start_time` (LiteLLM spend logs), `request_time`, `arrival_time`;
- when it finished (latency = end - start when no latency field): `endTime` / `end_time`
  (LiteLLM), `completed_at`, `finished_at`;
- `model` (`model_name`, `served_model_name`); `deployment` (`api_base`); `request_id` (`id`);
- tokens read: `input_tokens`, `prompt_tokens`, `usage.prompt_tokens`, `usage.input_tokens`,
  `num_prompt_tokens`, `input_length`; tokens generated: `output_tokens`, `completion_tokens`,
  `usage.completion_tokens`, `usage.output_tokens`, `num_generation_tokens`, `generated_tokens`,
  `details.generated_tokens`;
- latency: seconds in `latency_s`, `latency`, `duration_s`, `e2e_latency`, `total_time`,
  `span.total_time` (a number, or a duration with its unit as TGI's log writes it: `1.2s`,
  `850ms`, `40µs`), milliseconds in `latency_ms`, `duration_ms`;
- energy measured by the server (optional): `energy_wh`, or joules in `energy_j`, `energy_joules`.

Times: Unix epoch seconds, or milliseconds / microseconds / nanoseconds judged by magnitude
(below 1e11 seconds, i.e. before the year 5138; below 1e14 milliseconds; below 1e17
microseconds; else nanoseconds), or ISO 8601; ISO without a zone is wall-clock time in the
file's time zone (the site's, as for other local-time readers).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from pipeline.readers._csv import local_time, normalise

TABLE = "raw_requests"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "ts_utc": pl.Datetime("us"),
        "model": pl.String,
        "deployment": pl.String,
        "request_id": pl.String,
        "input_tokens": pl.Int64,
        "output_tokens": pl.Int64,
        "latency_s": pl.Float64,
        "energy_wh": pl.Float64,
    }
)
NOT_NULL = ("line", "ts_utc", "model", "input_tokens", "output_tokens")

ALIASES: dict[str, tuple[str, ...]] = {
    "ts_utc": (
        "time",
        "timestamp",
        "ts",
        "ts_utc",
        "created",
        "created_at",
        "startTime",
        "start_time",
        "request_time",
        "arrival_time",
    ),
    "end_utc": ("endTime", "end_time", "completed_at", "finished_at"),
    "model": ("model", "model_name", "served_model_name"),
    "deployment": ("deployment", "api_base"),
    "request_id": ("request_id", "id"),
    "input_tokens": (
        "input_tokens",
        "prompt_tokens",
        "usage.prompt_tokens",
        "usage.input_tokens",
        "num_prompt_tokens",
        "input_length",
    ),
    "output_tokens": (
        "output_tokens",
        "completion_tokens",
        "usage.completion_tokens",
        "usage.output_tokens",
        "num_generation_tokens",
        "generated_tokens",
        "details.generated_tokens",
    ),
    "latency_s": (
        "latency_s",
        "latency",
        "duration_s",
        "e2e_latency",
        "total_time",
        "span.total_time",
    ),
    "latency_ms": ("latency_ms", "duration_ms"),
    "energy_wh": ("energy_wh", "measured_energy_wh"),
    "energy_j": ("energy_j", "energy_joules"),
}
_NORMAL = {target: tuple(normalise(a) for a in names) for target, names in ALIASES.items()}
REQUIRED = ("ts_utc", "model", "input_tokens", "output_tokens")


def recognised(keys: set[str]) -> bool:
    """Do these (normalised) field names hold a request log record: a time, a model and both
    token counts, and no hourly `requests` count (that is the hourly serving CSV)?"""
    return "requests" not in keys and all(any(a in keys for a in _NORMAL[t]) for t in REQUIRED)


def pick(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The value of each target's first spelling present in `fields` (normalised keys)."""
    out: dict[str, Any] = {}
    for target, names in _NORMAL.items():
        out[target] = next((fields[n] for n in names if fields.get(n) not in (None, "")), None)
    return out


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON object's leaves by their dotted, normalised path (`usage.prompt_tokens`)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = f"{prefix}{normalise(str(key))}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out.setdefault(path, value)
    return out


_EPOCH = re.compile(r"[0-9]+(?:\.[0-9]*)?")
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(ns|µs|us|ms|s|m|h)?")
_UNIT_S = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_EPOCH_UNITS = ((1e11, 1.0), (1e14, 1e3), (1e17, 1e6))  # below the bound: divisor to seconds
TIME_EXPECTED = (
    "expected Unix epoch seconds or milliseconds like 1791439200, or an ISO-8601 time like "
    "'2026-10-01T05:00:00Z'"
)


def time_parser(tz: str) -> Callable[[Any], datetime]:
    local = local_time(tz)

    def parse(value: Any) -> datetime:
        if isinstance(value, bool):
            raise ValueError(TIME_EXPECTED)
        text = str(value).strip()
        if isinstance(value, int | float) or _EPOCH.fullmatch(text):
            number = float(text)
            divisor = next((d for bound, d in _EPOCH_UNITS if number < bound), 1e9)
            try:
                return datetime(1970, 1, 1) + timedelta(seconds=number / divisor)
            except OverflowError:
                raise ValueError(TIME_EXPECTED) from None
        if text.endswith("Z"):  # UTC as gateways write it: no zone arithmetic needed
            try:
                return datetime.fromisoformat(text[:-1])
            except ValueError:
                pass  # the general parser below says what was expected
        try:
            return local(text)
        except ValueError as exc:
            raise ValueError(f"{TIME_EXPECTED} ({exc})") from None

    return parse


def _count(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ValueError("expected a non-negative whole number of tokens like '512'")
    return int(text)


def _seconds(value: Any, unit_s: float = 1.0) -> float:
    """A non-negative duration: a number in `unit_s` seconds, or text with its unit."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 1.25 (seconds) or '850ms'")
    match = _DURATION.fullmatch(str(value).strip())
    if match is None or not math.isfinite(float(match[1])):
        raise ValueError("expected a non-negative duration like 1.25 (seconds) or '850ms'")
    return float(match[1]) * (_UNIT_S[match[2]] if match[2] else unit_s)


def _energy(value: Any) -> float:
    text = str(value).strip()
    if isinstance(value, bool) or not _DURATION.fullmatch(text) or _DURATION.fullmatch(text)[2]:
        raise ValueError("expected a non-negative number like '0.42'")
    return float(text)


def row(values: Mapping[str, Any], parse_time: Callable[[Any], datetime]) -> dict[str, Any]:
    """One raw_requests row (without `line` and `source_path`) from the picked values, with
    `reason` saying every value that was wrong and what was expected (None when all is well)."""
    out: dict[str, Any] = {}
    reasons: list[str] = []

    def take(target: str, parse: Callable[[Any], Any]) -> Any:
        value = values.get(target)
        if value is None:
            if target in REQUIRED:
                spell = ", ".join(ALIASES[target][:4])
                reasons.append(f"{target}: expected a value (one of {spell} ...), got nothing")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            reasons.append(f"{target}: {exc}, got {json.dumps(value, default=str)[:60]}")
            return None

    out["ts_utc"] = take("ts_utc", parse_time)
    out["model"] = take("model", lambda v: str(v).strip() or None)
    out["deployment"] = take("deployment", str)
    out["request_id"] = take("request_id", str)
    out["input_tokens"] = take("input_tokens", _count)
    out["output_tokens"] = take("output_tokens", _count)
    latency = take("latency_s", _seconds)
    if latency is None and values.get("latency_ms") is not None:
        latency = take("latency_ms", lambda v: _seconds(v, 1e-3))
    end = take("end_utc", parse_time)
    if latency is None and end is not None and out["ts_utc"] is not None:
        latency = (end - out["ts_utc"]).total_seconds()
        if latency < 0:
            reasons.append("end time: expected no earlier than the start time")
    out["latency_s"] = latency
    energy = take("energy_wh", _energy)
    if energy is None and values.get("energy_j") is not None:
        joules = take("energy_j", _energy)
        energy = joules / 3600.0 if joules is not None else None
    out["energy_wh"] = energy
    out["reason"] = "; ".join(reasons) if reasons else None
    return out


def candidates(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Candidate rows (`line`, `raw`, `reason` and the table's value columns) for `assemble`."""
    schema = {"line": pl.Int64, "raw": pl.String, "reason": pl.String}
    schema |= {c: t for c, t in SCHEMA.items() if c not in ("source_path", "line")}
    return pl.DataFrame(rows, schema=schema)
