"""A format's column table: which header spellings fill which table column (`Column`), which
header prefixes gather into one JSON column (`Prefixed`), and finding them in a header row.

The same table serves a CSV file (`_csv.parse_table`) and a Parquet file (`_csv_frame`); headers
are compared after `normalise`, since spelling varies between export vintages and meaning does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.readers._csv_values import Parser
from pipeline.readers.base import UnreadableFileError


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


def locate(
    path: Path, fmt: str, first: int, fields: list[str], columns: Sequence[Column]
) -> dict[str, int | None]:
    """Index in `fields` of each column's header (None where absent); a missing required header
    makes the file unreadable."""
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


def prefixed_fields(fields: list[str], spec: Prefixed) -> list[tuple[int, str]]:
    """(index, key) of the header fields a Prefixed spec gathers."""
    found = []
    for i, field in enumerate(fields):
        written = field.replace("\ufeff", "").strip()
        for prefix in spec.prefixes:
            if normalise(written).startswith(normalise(prefix)) and len(written) > len(prefix):
                found.append((i, spec.key(written[len(prefix) :])))
                break
    return found
