"""Per-request serving log, one JSON object per line (JSON Lines) → raw_requests.

The shapes gateways and servers write: an OpenAI-compatible response saved per request
(`{"id": ..., "created": 1791439200, "model": ..., "usage": {"prompt_tokens": ...,
"completion_tokens": ...}}`), a LiteLLM spend log row (`startTime`, `endTime`, `model`,
`prompt_tokens`, `completion_tokens`), or a vLLM / TGI request log with its token counts; the
accepted spellings are in `_request_fields`. Nested objects are read by their dotted path.

A blank line is not a record. A line that is not one JSON object (a truncated last line, a
stray message) and a record missing its time, model or token counts are quarantined with what
was expected; `line` is the physical line of the record.
"""

from __future__ import annotations

import json

from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    first_content_line,
    problem,
    zone_for,
)
from pipeline.readers.base import Problem, ReadContext, ReadResult
from pipeline.readers.serving import _request_fields as fields

FORMAT = "request-log-jsonl"
TABLE = fields.TABLE
SCHEMA = fields.SCHEMA
NOT_NULL = fields.NOT_NULL
EXPECTED = "expected one JSON object per line (a request record)"


def sniff(head: list[str]) -> bool:
    """The first non-blank line is a JSON object with a time, a model and both token counts at
    its top level or in nested objects (a Kubernetes object, which has a `kind`, is never one)."""
    found = first_content_line(head)
    if found is None or not found[1].lstrip().startswith("{"):
        return False
    try:
        obj = json.loads(found[1])
    except ValueError:
        return False
    return (
        isinstance(obj, dict) and "kind" not in obj and fields.recognised(set(fields.flatten(obj)))
    )


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    parse_time = fields.time_parser(zone_for(source.path, ctx))
    rows, problems = [], []
    bad = source.bad
    for index, text in enumerate(source.lines):
        if not text.strip():
            continue  # a blank line is not a record
        line = index + 1
        found = _record(line, text, index in bad)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        values = fields.pick(fields.flatten(found))
        rows.append(fields.row(values, parse_time) | {"line": line, "raw": text})
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, fields.candidates(rows), problems)


def _record(line: int, text: str, undecodable: bool) -> dict | Problem:
    if undecodable:
        return problem(line, NOT_TEXT_REASON, text)
    try:
        obj = json.loads(text)
    except ValueError as exc:
        why = getattr(exc, "msg", str(exc))
        return problem(line, f"not valid JSON ({why}; a truncated line?): {EXPECTED}", text)
    if not isinstance(obj, dict):
        return problem(line, f"a JSON {type(obj).__name__}, not an object: {EXPECTED}", text)
    return obj
