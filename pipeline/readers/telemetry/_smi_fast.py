"""The nvidia-smi reader's fast path: a well-formed log's bytes split into fields by polars' CSV
reader (native, multi-threaded, no Python string per line).

`split_fields(data, n)` gives one row per physical line, in file order (row i is line i + 1), and
`n` String columns holding each field exactly as written (spaces kept, quotes not special), which
is what `str.split(",")` of each of `TextFile.lines` gives. It returns None, and the reader takes
its line-by-line path, for any file where that cannot be promised:

- a NUL byte or invalid UTF-8 (those lines are quarantined one by one as not text);
- a carriage return other than in a '\\r\\n' line end;
- a line with another field count (a logger killed mid-line, a header with other fields), a blank
  line, or a last field left empty (polars cannot tell it from a missing field);
- a row count that differs from the file's physical line count (a last safety net).

`raw_lines` rebuilds the text of chosen lines from their fields, for quarantine rows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

BOM = b"\xef\xbb\xbf"


def _count(data: bytes, byte: bytes) -> int:
    """How often `byte` occurs, counted a few MiB at a time (one comparison of the whole file
    would allocate its size)."""
    step, view, value = 1 << 22, np.frombuffer(data, dtype=np.uint8), ord(byte)
    chunks = (view[i : i + step] for i in range(0, len(view), step))
    return sum(int(np.count_nonzero(chunk == value)) for chunk in chunks)


def split_fields(data: bytes, n: int) -> pl.DataFrame | None:
    """Columns f0..f{n-1} of every physical line of `data`, or None (see the module docstring)."""
    if n < 2 or data in (b"", BOM) or b"\x00" in data:
        return None
    if b"\r" in data and _count(data, b"\r") != data.count(b"\r\n"):
        return None
    names = [f"f{i}" for i in range(n)]
    try:
        fields = pl.read_csv(
            data,
            has_header=False,
            new_columns=names,
            separator=",",
            quote_char=None,
            comment_prefix=None,
            infer_schema=False,
            empty_string_is_null=False,
            encoding="utf8",
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.PolarsError, ValueError):
        return None  # a line with more fields, invalid UTF-8, ...
    lines = _count(data, b"\n") + (0 if data.endswith(b"\n") else 1)
    if fields.columns != names or fields.height != lines:
        return None
    if any(column.null_count() for column in fields.iter_columns()):
        return None
    # A line with fewer fields reads as one whose last fields are empty; send both the long way.
    if fields.select((pl.col(names[-1]) == "").any()).item():
        return None
    return fields


def raw_lines(fields: pl.DataFrame, lines: pl.Series) -> pl.Series:
    """The text of the 1-based `lines`, as `TextFile.lines` holds it."""
    rows = fields.select(pl.all().gather((lines - 1).cast(pl.Int64)))
    return rows.select(raw=pl.concat_str(pl.all(), separator=",")).to_series()
