"""What Parquet readers share: recognising the container, opening it with a clear error, and
turning a typed frame into candidate rows for `_text.assemble`.

Parquet files are recognised by their magic bytes (`PAR1` at both ends), never by name; which
Parquet format a file holds is then judged from its column names. A Parquet row's `line` is its
1-based row number in the file; `_text.assemble` gives a quarantined row's raw text as its values
in JSON, computed for the bad rows only (a telemetry lake file may hold tens of millions of rows).

Everything is read through pyarrow, validated in full, then handed to polars. polars' own Parquet
reader is not used on landing files: on corrupt data pages it has killed the process (SIGABRT
seen by the FOCUS Parquet work; one SIGBUS in 200 zstd files with 1-4 flipped bytes here, not
reproducible on re-run; both uncatchable), its footer reader can raise PanicException (a
BaseException), and a frame built from unvalidated Arrow data can hold invalid UTF-8 that only
fails later (polars' from_arrow does not check it). pyarrow raised ArrowInvalid/OSError on every
corrupted file tried (2,400 truncated/flipped telemetry files, no crash), and
`validate(full=True)` catches invalid UTF-8 and bad offsets before polars sees the data.

`read_frame` is the lean path for large files: string columns are read dictionary-encoded (a
string stored once per distinct value, validated once) and decoded in polars by gathering from
the dictionary, so no per-row string is copied or re-validated; numbers and timestamps pass to
polars without a copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from polars.exceptions import PanicException

from pipeline.readers.base import UnreadableFileError

MAGIC = b"PAR1"


def is_parquet(path: Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False  # the text path reports the open error with its own message


def schema(path: Path) -> pa.Schema:
    """The Arrow schema from the footer, without reading any data."""
    try:
        return pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - any footer failure means the file is unreadable
        raise UnreadableFileError(
            f"{path}: starts like Parquet but its footer cannot be read "
            f"({type(exc).__name__}: {str(exc)[:300]}); expected a complete Parquet file"
        ) from exc


def columns(path: Path) -> list[str]:
    """Column names from the footer, without reading any data."""
    return list(schema(path).names)


@dataclass(frozen=True)
class ParquetFile:
    path: Path
    frame: pl.DataFrame  # the columns as stored, plus `line` (1-based row number)


def _unreadable(path: Path, exc: BaseException) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: Parquet data cannot be read ({type(exc).__name__}: {str(exc)[:300]}); "
        "expected a complete Parquet file"
    )


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype)


def _is_bytes(dtype: pa.DataType) -> bool:
    return pa.types.is_binary(dtype) or pa.types.is_large_binary(dtype)


def _decode(column: pa.ChunkedArray, empty_as_null: bool) -> pl.Series:
    """A dictionary-encoded text column → polars String, by gathering from its dictionary."""
    column = column.unify_dictionaries()
    if column.num_chunks:
        dictionary = column.chunk(0).dictionary
        indices = pa.chunked_array([c.indices for c in column.chunks], type=column.type.index_type)
    else:
        dictionary = pa.array([], pa.string())
        indices = pa.chunked_array([], pa.int32())
    if not _is_text(dictionary.type):
        # Binary stored without the UTF8 annotation: cast checks it is UTF-8 (small: distinct
        # values only); invalid text makes the file unreadable, as in a string column.
        dictionary = dictionary.cast(pa.large_string())
    values = pl.Series(values=dictionary, dtype=pl.String)
    if empty_as_null:
        values = values.replace("", None)
    position = pl.Series(values=indices).cast(pl.UInt32)
    return values.gather(position)


def read_frame(
    path: Path,
    wanted: list[str],
    text: Iterable[str] = (),
    *,
    empty_as_null: bool = False,
) -> pl.DataFrame:
    """Columns `wanted` (in that order) of the file as a polars frame, validated in full.

    Columns named in `text` (string or binary in the file) come back as polars String, decoded
    through a dictionary (see the module docstring); with `empty_as_null`, '' becomes null.
    Raises UnreadableFileError for any corruption the reader or the validation finds.
    """
    text = [name for name in text if name in wanted]
    try:
        table = pq.ParquetFile(path, read_dictionary=text).read(columns=wanted)
        table.validate(full=True)
        series: list[pl.Series] = []
        for name in wanted:
            column = table.column(name)
            if name in text and pa.types.is_dictionary(column.type):
                series.append(_decode(column, empty_as_null).rename(name))
            else:
                converted = pl.from_arrow(column)
                assert isinstance(converted, pl.Series)
                series.append(converted.rename(name))
        return pl.DataFrame(series)
    except UnreadableFileError:
        raise
    except (Exception, PanicException) as exc:  # noqa: BLE001 - any failure: file unreadable
        raise _unreadable(path, exc) from exc


def load(path: Path, wanted: list[str] | None = None) -> ParquetFile:
    """Read the file (only `wanted` columns when given) with a 1-based `line`.

    Text columns are read as by `read_frame`; every other column as Arrow gives it.
    """
    found = schema(path)
    names = list(found.names) if wanted is None else list(wanted)
    text = [f.name for f in found if f.name in names and _is_text(f.type)]
    frame = read_frame(path, names, text)
    frame = frame.with_row_index("line", offset=1)
    return ParquetFile(Path(path), frame.with_columns(pl.col("line").cast(pl.Int64)))
