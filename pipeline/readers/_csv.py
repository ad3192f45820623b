"""Comma-separated files with a header row (serving stats, FOCUS bills, grid data, node power).

These formats differ only in which header spellings map to which table column and how each value
is parsed, so the record loop, physical line tracking and quarantine live here once. The csv
module is used (not a vectorised reader) because quoted fields may span lines and a problem must
name the physical line where its record starts; these files are small (thousands of rows).

The same `Column` list also reads Parquet (`parse_frame`): typed columns convert vectorised, text
columns run the same parsers once per distinct value, so a format has one column table for both
containers. `Prefixed` gathers provider tag columns (`resourceTags/user:team`, `tags/...`) into one
JSON object. `parse_table`/`parse_frame` return candidate rows for readers that derive columns
(billing converters) before `_text.assemble`; `read_table` is parse + assemble.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    first_content_line,
    join_reasons,
    problem,
)
from pipeline.readers.base import Problem, ReadResult, UnreadableFileError

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Column:
    target: str  # table column
    headers: tuple[str, ...]  # accepted header spellings, compared with normalise()
    parse: Parser  # raises ValueError("expected ...") for a bad value
    required: bool = False  # the file is unreadable without this header
    # Reason (after "<header>: ") when a row has no value; None: an empty value is allowed
    # unless the target is NOT NULL.
    missing: str | None = None


def _same(key: str) -> str:
    return key


@dataclass(frozen=True)
class Prefixed:
    """Every column whose header starts with one of `prefixes` (compared as `normalise` does), as
    one JSON object text: key = the header as written minus its prefix, passed through `key`;
    empty values are left out; a row with none gets null. For provider tag columns."""

    target: str
    prefixes: tuple[str, ...]
    key: Callable[[str], str] = _same


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


# --- the shared read loop --------------------------------------------------------------------


def _locate(
    path: Path, fmt: str, first: int, fields: list[str], columns: Sequence[Column]
) -> dict[str, int | None]:
    names = [normalise(h) for h in fields]
    where: dict[str, int | None] = {}
    for column in columns:
        index = next((names.index(h) for h in map(normalise, column.headers) if h in names), None)
        if index is None and column.required:
            raise UnreadableFileError(
                f"{path}: header on line {first} has no {column.headers[0]!r} column "
                f"(accepted spellings: {', '.join(column.headers)}); it is required for {fmt}"
            )
        where[column.target] = index
    return where


def _prefixed(fields: list[str], spec: Prefixed) -> list[tuple[int, str]]:
    """(index, key) of the header fields a Prefixed spec gathers."""
    found = []
    for i, field in enumerate(fields):
        written = field.replace("\ufeff", "").strip()
        for prefix in spec.prefixes:
            if normalise(written).startswith(normalise(prefix)) and len(written) > len(prefix):
                found.append((i, spec.key(written[len(prefix) :])))
                break
    return found


def _gather(pairs: list[tuple[str, str]]) -> str | None:
    return json.dumps(dict(pairs), ensure_ascii=False) if pairs else None


def parse_table(
    source: TextFile,
    fmt: str,
    dtypes: Mapping[str, pl.DataType],
    not_null: tuple[str, ...],
    columns: Sequence[Column],
    null_tokens: frozenset[str] = frozenset({""}),
    prefixed: Sequence[Prefixed] = (),
) -> tuple[pl.DataFrame, list[Problem]]:
    """Candidate rows (`line`, `raw`, `reason`, one column per target typed from `dtypes`) and the
    records rejected before they could become rows (bad CSV, undecodable text, wrong field count).

    Raises UnreadableFileError when there is no header or a required column is missing.
    """
    path = source.path
    all_records = records(source.lines)
    header = next((r for r in all_records if not _blank(r)), None)
    if header is not None and header.error:
        raise UnreadableFileError(
            f"{path}: header on line {header.first} is not CSV: {header.error}"
        )
    if header is None:
        raise UnreadableFileError(f"{path}: no header line; expected a {fmt} header")
    width = len(header.fields)
    where = _locate(path, fmt, header.first, header.fields, columns)
    gathered = [(spec.target, _prefixed(header.fields, spec)) for spec in prefixed]

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
        if len(rec.fields) != width:
            problems.append(
                problem(
                    rec.first,
                    f"expected {width} comma-separated fields as in the header on line "
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
                if column.missing is not None:
                    reasons.append(f"{label}: {column.missing}")
                elif column.target in not_null:
                    reasons.append(f"{label}: expected a value, got nothing")
                continue
            try:
                row[column.target] = column.parse(value)
            except ValueError as exc:
                row[column.target] = None
                reasons.append(f"{label}: {exc}, got {value!r}")
        for target, found in gathered:
            row[target] = _gather(
                [(key, rec.fields[i]) for i, key in found if rec.fields[i] not in null_tokens]
            )
        row["reason"] = "; ".join(reasons) + span if reasons else None
        rows.append(row)

    candidates = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "raw": pl.String,
            "reason": pl.String,
            **{c.target: dtypes[c.target] for c in columns},
            **{spec.target: pl.String for spec in prefixed},
        },
    )
    return candidates, problems


def read_table(
    source: TextFile,
    fmt: str,
    table: str,
    schema: pl.Schema,
    not_null: tuple[str, ...],
    columns: list[Column],
    null_tokens: frozenset[str] = frozenset({""}),
) -> ReadResult:
    candidates, problems = parse_table(source, fmt, schema, not_null, columns, null_tokens)
    return assemble(source, fmt, table, schema, not_null, candidates, problems)


# --- the same columns over a Parquet frame -----------------------------------------------------


def _is_map(dtype: pl.DataType) -> bool:
    """Arrow map<string, string>: polars' Map type, or (older readers) a list of {key, value}."""
    if isinstance(dtype, pl.Map):
        return True
    return (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and [f.name for f in dtype.inner.fields] == ["key", "value"]
    )


def _map_to_json(series: pl.Series) -> pl.Series:
    out = []
    for entries in series.to_list():
        if entries is None:
            out.append(None)
            continue
        pairs = (
            entries.items()
            if isinstance(entries, dict)
            else ((e["key"], e["value"]) for e in entries)
        )
        out.append(json.dumps({str(k): v for k, v in pairs if v is not None}, ensure_ascii=False))
    return pl.Series(series.name, out, dtype=pl.String)


def _raw_json(frame: pl.DataFrame) -> pl.Series:
    """Each row's values as one JSON object (quarantine raw text for Parquet rows)."""
    shown = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Map):
            shown.append(
                pl.col(name).cast(pl.List(pl.Struct({"key": dtype.key, "value": dtype.value})))
            )
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            shown.append(pl.col(name))
        else:
            shown.append(pl.col(name).cast(pl.String))
    try:
        return frame.select(pl.struct(shown).struct.json_encode()).to_series()
    except Exception:  # noqa: BLE001 - a type polars cannot encode: fall back to Python's repr
        return pl.Series(
            [
                json.dumps(row, default=str, ensure_ascii=False)
                for row in frame.iter_rows(named=True)
            ],
            dtype=pl.String,
        )


def _parse_distinct(
    values: pl.Series, parse: Parser, label: str, dtype: pl.DataType
) -> tuple[pl.Series, pl.Series]:
    """Run a text parser once per distinct value: (parsed values, reasons)."""
    distinct = values.drop_nulls().unique().to_list()
    parsed, reasons = [], []
    for value in distinct:
        try:
            parsed.append(parse(value))
            reasons.append(None)
        except ValueError as exc:
            parsed.append(None)
            reasons.append(f"{label}: {exc}, got {value!r}")
    out = values.replace_strict(
        distinct, pl.Series(parsed, dtype=dtype), default=None, return_dtype=dtype
    )
    why = values.replace_strict(
        distinct, pl.Series(reasons, dtype=pl.String), default=None, return_dtype=pl.String
    )
    return out, why


def _convert(
    path: Path, series: pl.Series, column: Column, dtype: pl.DataType, null_tokens: frozenset[str]
) -> tuple[pl.Series, pl.Series]:
    """One Parquet column → (values of `dtype`, reasons), named after the header in the file."""
    label = series.name
    none = pl.Series(label, [None] * series.len(), dtype=pl.String)
    source = series.dtype
    if dtype == pl.Float64 and source.is_numeric():
        values = series.cast(pl.Float64)
        bad = ~values.is_finite().fill_null(True)
        if not bad.any():
            return values, none
        said = [f"{label}: expected a number like '12.5', got '{v}'" for v in values.filter(bad)]
        return values.set(bad, None), none.scatter(bad.arg_true(), said)
    if dtype == pl.Int64 and source.is_integer():
        return series.cast(pl.Int64, strict=False), none
    if isinstance(dtype, pl.Datetime) and isinstance(source, pl.Datetime):
        if source.time_zone is not None:
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return series.cast(pl.Datetime("us")), none
    if isinstance(dtype, pl.Datetime) and source == pl.Date:
        return series.cast(pl.Datetime("us")), none
    if dtype == pl.Boolean and source == pl.Boolean:
        return series, none
    if dtype == pl.String and _is_map(source):
        series = _map_to_json(series)
    elif dtype == pl.String and isinstance(source, pl.Struct):
        series = series.struct.json_encode()
    elif source != pl.String:
        try:
            series = series.cast(pl.String)
        except Exception as exc:  # noqa: BLE001 - a nested type that has no text form
            raise UnreadableFileError(
                f"{path}: column {label!r} holds {source}, which cannot be read as "
                f"{column.target} ({exc})"
            ) from exc
    series = series.set(series.is_in(list(null_tokens)).fill_null(False), None)
    if column.parse is text:
        return series, none
    return _parse_distinct(series, column.parse, label, dtype)


def parse_frame(
    path: Path,
    frame: pl.DataFrame,
    fmt: str,
    dtypes: Mapping[str, pl.DataType],
    not_null: tuple[str, ...],
    columns: Sequence[Column],
    null_tokens: frozenset[str] = frozenset({""}),
) -> pl.DataFrame:
    """Candidate rows from a Parquet frame (`line` = 1-based row number) with the same Column
    rules as `parse_table`; `raw` is the row's values in JSON for bad rows only.

    Raises UnreadableFileError when a required column is missing.
    """
    where = _locate(path, fmt, 0, frame.columns, columns)
    out: dict[str, pl.Series] = {"line": frame["line"]}
    reasons: list[pl.Series] = []
    used: list[str] = []
    for column in columns:
        index = where[column.target]
        dtype = dtypes[column.target]
        if index is None:
            values = pl.Series(column.target, [None] * frame.height, dtype=dtype)
            label = column.headers[0]
            why = pl.Series([None] * frame.height, dtype=pl.String)
        else:
            label = frame.columns[index]
            used.append(label)
            values, why = _convert(path, frame[label], column, dtype, null_tokens)
        if column.missing is not None or column.target in not_null:
            said = column.missing or "expected a value, got nothing"
            absent = values.is_null() & why.is_null()
            why = why.set(absent, f"{label}: {said}") if absent.any() else why
        out[column.target] = values.alias(column.target)
        reasons.append(why.alias(f"reason_{len(reasons)}"))
    reason = (
        pl.DataFrame(reasons).select(join_reasons([pl.col(r.name) for r in reasons])).to_series()
        if reasons
        else pl.Series([None] * frame.height, dtype=pl.String)
    )
    candidates = pl.DataFrame(out).with_columns(reason=reason.alias("reason"))
    bad = candidates["reason"].is_not_null()
    raw = pl.Series("raw", [None] * frame.height, dtype=pl.String)
    if bad.any() and used:
        raw = raw.scatter(bad.arg_true(), _raw_json(frame.filter(bad).select(used)))
    return candidates.with_columns(raw=raw)
