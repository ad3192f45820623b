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

This module holds the CSV record loop. The column table (`Column`, `Prefixed`, `normalise`) is in
`_csv_columns`, the value parsers (`number`, `utc_time`, ...) in `_csv_values` and the Parquet
side in `_csv_frame`; all are named here too, so a format module needs only `_csv`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.readers._csv_columns import Column, Prefixed, locate, normalise, prefixed_fields
from pipeline.readers._csv_frame import parse_frame
from pipeline.readers._csv_values import (
    CURRENCY_EXPECTED,
    CURRENCY_MISSING,
    Parser,
    boolean,
    count,
    currency,
    json_object,
    local_time,
    number,
    text,
    utc_hour,
    utc_time,
)
from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    first_content_line,
    problem,
)
from pipeline.readers.base import Problem, ReadResult, UnreadableFileError

__all__ = ["CURRENCY_EXPECTED", "CURRENCY_MISSING", "Column", "Parser", "Prefixed", "Record"]
__all__ += ["boolean", "count", "currency", "header_fields", "has_columns", "json_object"]
__all__ += ["local_time", "normalise", "number", "parse_frame", "parse_table", "read_table"]
__all__ += ["records", "text", "utc_hour", "utc_time"]


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


# --- the shared read loop --------------------------------------------------------------------


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
    where = locate(path, fmt, header.first, header.fields, columns)
    gathered = [(spec.target, prefixed_fields(header.fields, spec)) for spec in prefixed]

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
