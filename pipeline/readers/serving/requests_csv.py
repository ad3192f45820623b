"""Per-request serving log as CSV, one row per request (a LiteLLM spend-log export, a gateway's
access log) → raw_requests.

The header names a time, a model and both token counts in any of the spellings listed in
`_request_fields` (e.g. LiteLLM's `startTime,endTime,model,prompt_tokens,completion_tokens`);
the values are read as in the JSON Lines reader. Blank lines are not rows; a row with the wrong
field count, bad CSV or a bad value is quarantined with its line and what was expected.
"""

from __future__ import annotations

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile, assemble, zone_for
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.serving import _request_fields as fields

FORMAT = "request-log-csv"
TABLE = fields.TABLE
SCHEMA = fields.SCHEMA
NOT_NULL = fields.NOT_NULL
# every spelling group as text; `_request_fields.row` parses the values as the JSON reader does
COLUMNS = [
    Column(target, names, _csv.text, required=target in fields.REQUIRED)
    for target, names in fields.ALIASES.items()
]
TEXT = dict.fromkeys(fields.ALIASES, pl.String)


def sniff(head: list[str]) -> bool:
    names = _csv.header_fields(head)
    return names is not None and fields.recognised(set(names))


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    parse_time = fields.time_parser(zone_for(source.path, ctx))
    found, problems = _csv.parse_table(source, FORMAT, TEXT, (), COLUMNS)
    rows = [
        fields.row({t: r[t] for t in fields.ALIASES}, parse_time)
        | {"line": r["line"], "raw": r["raw"]}
        for r in found.iter_rows(named=True)
    ]
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, fields.candidates(rows), problems)
