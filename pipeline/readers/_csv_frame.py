"""A format's `Column` table applied to a Parquet frame (`parse_frame`), so one table reads both
containers: typed columns convert vectorised, text columns run the same value parsers as CSV once
per distinct value, provider maps and structs become JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from pipeline.readers._csv_columns import Column, locate
from pipeline.readers._csv_values import Parser, text
from pipeline.readers._text import join_reasons
from pipeline.readers.base import UnreadableFileError


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
    where = locate(path, fmt, 0, frame.columns, columns)
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
