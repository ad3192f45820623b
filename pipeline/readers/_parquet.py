"""What Parquet readers share: recognising the container, opening it with a clear error, and
turning a typed frame into candidate rows for `_text.assemble`.

Parquet files are recognised by their magic bytes (`PAR1` at both ends), never by name; which
Parquet format a file holds is then judged from its column names. A Parquet row's `line` is its
1-based row number in the file; `_text.assemble` gives a quarantined row's raw text as its values
in JSON, computed for the bad rows only (a telemetry lake file may hold tens of millions of rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.readers.base import UnreadableFileError

MAGIC = b"PAR1"


def is_parquet(path: Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False  # the text path reports the open error with its own message


def columns(path: Path) -> list[str]:
    """Column names from the footer, without reading any data."""
    try:
        return list(pl.read_parquet_schema(path))
    except Exception as exc:  # noqa: BLE001 - any footer failure means the file is unreadable
        raise UnreadableFileError(
            f"{path}: starts like Parquet but its footer cannot be read ({exc}); "
            "expected a complete Parquet file"
        ) from exc


@dataclass(frozen=True)
class ParquetFile:
    path: Path
    frame: pl.DataFrame  # the columns as stored, plus `line` (1-based row number)


def load(path: Path, wanted: list[str] | None = None) -> ParquetFile:
    """Read the file (only `wanted` columns when given) with a 1-based `line`."""
    try:
        frame = pl.read_parquet(path, columns=wanted)
    except Exception as exc:  # noqa: BLE001 - a corrupt page or footer makes the file unreadable
        raise UnreadableFileError(
            f"{path}: Parquet data cannot be read ({exc}); expected a complete Parquet file"
        ) from exc
    frame = frame.with_row_index("line", offset=1)
    return ParquetFile(Path(path), frame.with_columns(pl.col("line").cast(pl.Int64)))
