"""Comma-separated files with a header row (serving stats, FOCUS bills, grid data, node power).

These formats differ only in which header spellings map to which table column and how each value
is parsed, so the record loop, physical line tracking and quarantine live here once. The csv
module is used (not a vectorised reader) because quoted fields may span lines and a problem must
name the physical line where its record starts; these files are small (thousands of rows).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble, first_content_line, problem
from pipeline.readers.base import Problem, ReadResult, UnreadableFileError

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    target: str  # table column
    headers: tuple[str, ...]  # accepted header spellings, compared with normalise()
    parse: Parser  # raises ValueError("expected ...") for a bad value
    required: bool = False  # the file is unreadable without this header


def normalise(header: str) -> str:
    """Case, spacing and subscript digits vary between export vintages; meaning does not."""
    text = header.replace("\ufeff", "").replace("₂", "2").strip().lower()
    return re.sub(r"\s+", " ", text)


def header_fields(head: list[str]) -> list[str] | None:
    """Normalised fields of the first non-blank line, read as one CSV record."""
    found = first_content_line(head)
    if found is None:
        return None
    try:
        record = next(csv.reader([found[1]]), None)
    except csv.Error:
        return None
    return [normalise(h) for h in record] if record else None


def has_columns(head: list[str], *names: str) -> bool:
    fields = header_fields(head)
    return fields is not None and all(normalise(n) in fields for n in names)


@dataclass(frozen=True)
class Record:
    first: int  # 1-based physical line where the record starts
    last: int  # ... and ends (quoted newlines make these differ)
    fields: list[str]
    raw: str
    error: str | None = None  # what the csv module could not parse


def records(lines: list[str]) -> Iterator[Record]:
    reader = csv.reader(line + "\n" for line in lines)
    done = 0
    while True:
        error = None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader has consumed the offending line(s); report them and carry on after them.
            fields, error = [], str(exc)
        first, done = done + 1, reader.line_num
        yield Record(first, done, fields, "\n".join(lines[first - 1 : done]), error)


def _blank(rec: Record) -> bool:
    return rec.error is None and (
        not rec.fields or (len(rec.fields) == 1 and not rec.fields[0].strip())
    )


# --- value parsers: each returns the value or raises ValueError("expected ...") -----------------

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


def json_object(value: str) -> str:
    """Kept as the text the provider wrote; only checked to be a JSON object."""
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError('expected a JSON object like \'{"team": "ml"}\'') from None
    if not isinstance(parsed, dict):
        raise ValueError('expected a JSON object like \'{"team": "ml"}\'')
    return value


# --- the shared read loop --------------------------------------------------------------------


def read_table(
    source: TextFile,
    fmt: str,
    table: str,
    schema: pl.Schema,
    not_null: tuple[str, ...],
    columns: list[Column],
    null_tokens: frozenset[str] = frozenset({""}),
) -> ReadResult:
    path = source.path
    all_records = records(source.lines)
    header = next((r for r in all_records if not _blank(r)), None)
    if header is not None and header.error:
        raise UnreadableFileError(
            f"{path}: header on line {header.first} is not CSV: {header.error}"
        )
    if header is None:
        raise UnreadableFileError(f"{path}: no header line; expected a {fmt} header")
    names = [normalise(h) for h in header.fields]
    where: dict[str, int | None] = {}
    for column in columns:
        index = next((names.index(h) for h in map(normalise, column.headers) if h in names), None)
        if index is None and column.required:
            raise UnreadableFileError(
                f"{path}: header on line {header.first} has no {column.headers[0]!r} column "
                f"(accepted spellings: {', '.join(column.headers)}); it is required for {fmt}"
            )
        where[column.target] = index

    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    bad_lines = {i + 1 for i in source.bad}
    for rec in all_records:
        span = f" (record spans lines {rec.first}-{rec.last})" if rec.last > rec.first else ""
        if rec.error:
            problems.append(problem(rec.first, f"not valid CSV: {rec.error}{span}", rec.raw))
            continue
        if _blank(rec):
            continue  # a blank line is not a row
        if any(n in bad_lines for n in range(rec.first, rec.last + 1)):
            problems.append(problem(rec.first, NOT_TEXT_REASON, rec.raw))
            continue
        if len(rec.fields) != len(names):
            problems.append(
                problem(
                    rec.first,
                    f"expected {len(names)} comma-separated fields as in the header on line "
                    f"{header.first}, got {len(rec.fields)}{span}",
                    rec.raw,
                )
            )
            continue
        row: dict[str, Any] = {"line": rec.first, "raw": rec.raw}
        reasons: list[str] = []
        for column in columns:
            index = where[column.target]
            value = None if index is None else rec.fields[index]
            label = column.headers[0] if index is None else header.fields[index]
            if value is None or value in null_tokens:
                row[column.target] = None
                if column.target in not_null:
                    reasons.append(f"{label}: expected a value, got nothing")
                continue
            try:
                row[column.target] = column.parse(value)
            except ValueError as exc:
                row[column.target] = None
                reasons.append(f"{label}: {exc}, got {value!r}")
        row["reason"] = "; ".join(reasons) + span if reasons else None
        rows.append(row)

    candidates = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "raw": pl.String,
            "reason": pl.String,
            **{c.target: schema[c.target] for c in columns},
        },
    )
    return assemble(source, fmt, table, schema, not_null, candidates, problems)
