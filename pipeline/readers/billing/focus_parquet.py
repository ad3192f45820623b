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

Reading goes through `_parquet.load` (pyarrow with full validation), so a corrupt file is
UnreadableFileError and never a crash of the process.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.readers import _csv, _parquet
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.billing import focus

FORMAT = "focus-parquet"
TABLE = focus.TABLE
SCHEMA = focus.SCHEMA
NOT_NULL = focus.NOT_NULL
CONTAINER = "parquet"


def sniff(names: list[str]) -> bool:
    found = {_csv.normalise(n) for n in names}
    return {"billedcost", "chargeperiodstart"} <= found


def read(path: Path, ctx: ReadContext) -> ReadResult:
    names = _parquet.columns(path)
    accepted = {_csv.normalise(h) for c in focus.COLUMNS for h in c.headers}
    wanted = [n for n in names if _csv.normalise(n) in accepted]
    source = _parquet.load(path, wanted)
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
