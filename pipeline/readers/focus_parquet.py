"""FOCUS 1.x billing export (Parquet) → raw_billing, with the FOCUS CSV reader's column table.

Cloud FOCUS exports (AWS Data Exports, Microsoft Cost Management, ...) are often Parquet. The
columns and rules are `focus.COLUMNS` and `focus.finish` (currency, finite costs); the typed values
Parquet carries are used as they are:
- costs and quantities: any numeric type (float, integer, decimal) → float; NaN or ±inf
  quarantines the row, as a non-number does in CSV; text values are parsed as in CSV;
- ChargePeriodStart/End: a timestamp with a zone is converted to UTC, a zone-less one is taken as
  UTC (FOCUS dates are UTC), a date is its midnight; ISO-8601 text is parsed as in CSV;
- Tags: JSON text (checked to be an object), a map<string,string> or a struct → JSON object text;
- empty strings and the literal text `NULL` are null, as in the CSV exports.

A row's `line` is its 1-based row number in the file; a quarantined row's raw text is its values
as JSON. Only the columns the table needs are read.

Reading: `_load` reads through pyarrow with full validation, then hands the table to polars,
instead of `_parquet.load` (polars' native reader). Reason: on a file with corrupt data pages,
polars 2.1's Parquet decoder panics in a worker thread and ABORTS the whole process (SIGABRT,
exit 134, uncatchable), which a landing file must never do; pyarrow raises OSError/ArrowInvalid,
and the rare polars panic on conversion (invalid UTF-8) is a catchable PanicException. Once
`_parquet.load` reads this way, `_load` can be replaced by it (same ParquetFile result).
`_parquet.columns` can also raise polars' PanicException (a BaseException) on a corrupt footer;
`read` turns it into UnreadableFileError (registry detection, outside this module, does not yet).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from polars.exceptions import PanicException

from pipeline.readers import _csv, _parquet, focus
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError

FORMAT = "focus-parquet"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL
CONTAINER = "parquet"


def sniff(names: list[str]) -> bool:
    found = {_csv.normalise(n) for n in names}
    return {"billedcost", "chargeperiodstart"} <= found


def _load(path: Path, wanted: list[str]) -> _parquet.ParquetFile:
    """`_parquet.load`'s result (frame + 1-based `line`), read so that corruption raises."""
    try:
        table = pq.read_table(path, columns=wanted)
        table.validate(full=True)
        frame = pl.from_arrow(table)
    except (Exception, PanicException) as exc:  # noqa: BLE001 - any failure: file unreadable
        raise UnreadableFileError(
            f"{path}: Parquet data cannot be read ({type(exc).__name__}: {str(exc)[:300]}); "
            "expected a complete Parquet file"
        ) from exc
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_row_index("line", offset=1)
    return _parquet.ParquetFile(Path(path), frame.with_columns(pl.col("line").cast(pl.Int64)))


def read(path: Path, ctx: ReadContext) -> ReadResult:
    try:
        names = _parquet.columns(path)
    except PanicException as exc:  # a corrupt footer can make polars panic (catchably) too
        raise UnreadableFileError(
            f"{path}: starts like Parquet but its footer cannot be read ({str(exc)[:300]}); "
            "expected a complete Parquet file"
        ) from exc
    accepted = {_csv.normalise(h) for c in focus.COLUMNS for h in c.headers}
    wanted = [n for n in names if _csv.normalise(n) in accepted]
    source = _load(path, wanted)
    candidates = _csv.parse_frame(
        source.path,
        source.frame,
        FORMAT,
        SCHEMA,
        NOT_NULL,
        focus.COLUMNS,
        focus.NULL_TOKENS,
    )
    return focus.finish(source, FORMAT, candidates, [])
