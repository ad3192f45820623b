"""`sacct --parsable2` (or `-p`) output → raw_slurm_jobs.

Real files are often several sacct runs pasted together with comment blocks between them, some run
with `--noheader`; a row is only read against the header of its own block, so a comment ends a
block. Rows with no header before them are read against the configured `--noheader` field list
(`scheduler.sacct_fields`, see _sacct_layout.py), a line with another field count quarantined
naming the list; with no list configured they are quarantined, and a file with no header at all is
unreadable with one line saying what to configure. Fields are never guessed.

Decisions:

- Job ids: `JobID` (else `JobIDRaw`) is split into the job and its step. Steps (`123.batch`,
  `123.extern`, `123.interactive`, numbered `123.0`) are kept as rows with `step` set, so they stay
  auditable, and are not jobs: the allocation query (sql/method/select_slurm_jobs_window.sql) reads
  only step-NULL rows, so a step's GPUs are never counted beside its job's. Array tasks (`123_4`)
  and heterogeneous-job components (`123+0`, `123+1`) are jobs of their own (each has its own nodes,
  times and AllocTRES); the id keeps its suffix so components never replace each other. A pending
  array's summary line (`123_[1-5%2]`) is kept with no start, like any pending job.
- Times: sacct prints the site's local wall-clock time without a zone; it is converted with the
  file's site zone. A time skipped by the spring change is quarantined; in the autumn repeated
  hour the earlier instant is taken, except that an End which would then fall before its Start
  takes the later one (a job from 02:45 to 02:15 ran across the change). `Unknown`, `None` or an
  empty Start (pending) or End (still running) is null; an End still before Start is quarantined.
- A finished job (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...) with End=Unknown is not running: its
  End is Start + Elapsed when the export has Elapsed (`end_from_elapsed` true), else the row is
  quarantined; it is never held open to the end of the window (_sacct_end.py).
- GPUs (`gpus`, DOUBLE) from AllocTRES: the untyped `gres/gpu=N` is the total and typed entries
  (`gres/gpu:h100=N`) only count when it is absent, so a line with both counts each GPU once. A
  MIG slice whose type ends in a `<N>g.<M>gb` profile (`gres/gpu:a100_3g.20gb=1`) counts as N/7
  of a GPU (A100 and H100 have 7 compute slices; the Kubernetes reader uses the same rule): the
  slices the untyped total counts as whole devices are replaced by their fractions (summed as
  exact fractions and rounded once, as the Kubernetes reader does). An A30 (4 slices) is
  undercounted by this rule; more slices than the total counts, or a profile outside 1-7 slices,
  quarantines the row.
- Host lists are expanded with python-hostlist (`gpu[001-004,007]`, `node[1-2],other3`);
  `None assigned` (pending) is an empty list.
"""

from __future__ import annotations

from datetime import datetime

import hostlist
import polars as pl

from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    join_reasons,
    local_to_utc,
    nonexistent_reason,
    problem,
    zone_for,
)
from pipeline.readers.base import Problem, ReadContext, ReadResult
from pipeline.readers.scheduler._sacct_end import EndError, elapsed_s, is_finished
from pipeline.readers.scheduler._sacct_layout import (
    CONFIG_KEY,
    JOB_ID,
    Header,
    configured_header,
    no_header_error,
    parse_header,
    sniff,
)
from pipeline.readers.scheduler._sacct_tres import TresError, count_gpus, mig_slices

__all__ = ["FORMAT", "NO_HEADER_REASON", "SCHEMA", "TABLE", "count_gpus", "mig_slices"]
__all__ += ["parse_header", "read", "sniff"]

FORMAT = "slurm-sacct"
TABLE = "raw_slurm_jobs"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "job_id": pl.String,
        "step": pl.String,
        "job_name": pl.String,
        "user_name": pl.String,
        "account": pl.String,
        "partition": pl.String,
        "state": pl.String,
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
        "node_list": pl.String,
        "hosts": pl.List(pl.String),
        "gpus": pl.Float64,
        "comment": pl.String,
        "end_from_elapsed": pl.Boolean,
    }
)
NOT_NULL = ("line", "job_id")

NO_HEADER_REASON = (
    "no sacct header line before this row; expected `sacct --parsable2` output with a header "
    "like JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment "
    f"(for a `--noheader` block, set {CONFIG_KEY})"
)
# Table column ← sacct field (lower-cased) for the fields copied as text.
TEXT_FIELDS = {
    "job_name": "jobname",
    "user_name": "user",
    "account": "account",
    "partition": "partition",
    "state": "state",
    "comment": "comment",
}
# Columns computed after the rows are parsed, not read from a line.
DERIVED = ("source_path", "start_utc", "end_utc", "end_from_elapsed")
NO_TIME = frozenset({"", "unknown", "none"})
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
NO_NODES = frozenset({"", "none assigned"})


class _RowError(ValueError):
    pass


def _local_time(name: str, value: str) -> datetime | None:
    if value.strip().lower() in NO_TIME:
        return None
    try:
        return datetime.strptime(value.strip(), TIME_FORMAT)
    except ValueError:
        raise _RowError(
            f"{name}: expected local time like '2024-05-01T13:45:00' (or Unknown/None), "
            f"got {value!r}"
        ) from None


def _row(header: Header, values: list[str]) -> dict[str, object]:
    rec = dict(zip(header.fields, values, strict=True))
    raw_id = rec.get("jobid", rec.get("jobidraw"))
    if raw_id is None:
        raise _RowError(
            f"the header on line {header.line} ({header.describe()}) has no JobID field; "
            "expected JobID (or JobIDRaw) to name the job"
        )
    match = JOB_ID.fullmatch(raw_id.strip())
    if match is None:
        raise _RowError(
            f"JobID: expected a Slurm job id like '123', '123_4' or '123.batch', got {raw_id!r}"
        )
    row: dict[str, object] = {"job_id": match.group(1), "step": match.group(2)}
    for column, name in TEXT_FIELDS.items():
        value = rec.get(name)
        row[column] = value if value else None
    row["start_local"] = _local_time("Start", rec["start"]) if "start" in rec else None
    row["end_local"] = _local_time("End", rec["end"]) if "end" in rec else None
    row["start_raw"], row["end_raw"] = rec.get("start"), rec.get("end")
    row["elapsed_s"] = None
    state = rec.get("state")
    if row["start_local"] is not None and row["end_local"] is None and is_finished(state):
        row["elapsed_s"] = elapsed_s(rec, str(state))
    nodes = rec.get("nodelist")
    row["node_list"] = nodes if nodes else None
    if nodes is None:
        row["hosts"] = None
    elif nodes.strip().lower() in NO_NODES:
        row["hosts"] = []
    else:
        try:
            row["hosts"] = hostlist.expand_hostlist(nodes.strip())
        except hostlist.BadHostlist as exc:
            raise _RowError(
                f"NodeList: expected a Slurm host list like 'gpu[001-004,007]', got {nodes!r} "
                f"({exc})"
            ) from None
    tres = rec.get("alloctres")
    row["gpus"] = count_gpus(tres) if tres is not None else None
    return row


def _fields(header: Header, line: str) -> list[str] | str:
    """The line's values against its field list, or the reason it does not fit."""
    values = line.split("|")
    n = len(header.fields)
    if header.trailing_bar:
        if values[-1] != "":
            return (
                f"expected the line to end with '|' like the `sacct -p` header on line "
                f"{header.line}; the line looks truncated"
            )
        values.pop()
    elif header.trailing_bar is None and len(values) == n + 1 and values[-1] == "":
        values.pop()  # a configured list read with `sacct -p --noheader`
    if len(values) != n:
        return f"expected {n} '|'-separated fields {header.origin()}, got {len(values)}"
    return values


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    tz = zone_for(source.path, ctx)
    configured = configured_header(ctx, source.path)
    header: Header | None = None
    seen_header = False
    first_row: tuple[int, str] | None = None
    rows: list[dict[str, object]] = []
    problems: list[Problem] = []
    for i, line in enumerate(source.lines):
        line_no = i + 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            header = None
            continue
        found = parse_header(line, line_no)
        if found is not None:
            header, seen_header = found, True
            continue
        first_row = first_row or (line_no, line)
        if i in source.bad:
            problems.append(problem(line_no, NOT_TEXT_REASON, line))
            continue
        # Rows with no header of their own (`sacct --noheader`) take the configured list.
        layout = header or configured
        if layout is None:
            problems.append(problem(line_no, NO_HEADER_REASON, line))
            continue
        values = _fields(layout, line)
        if isinstance(values, str):
            problems.append(problem(line_no, values, line))
            continue
        try:
            row = _row(layout, values)
        except (_RowError, EndError, TresError) as exc:
            problems.append(problem(line_no, str(exc), line))
            continue
        row["line"], row["raw"] = line_no, line
        rows.append(row)
    if not seen_header and configured is None and first_row is not None:
        raise no_header_error(source.path, *first_row)

    candidates = pl.DataFrame(
        rows,
        schema={
            **{c: t for c, t in SCHEMA.items() if c not in DERIVED},
            "elapsed_s": pl.Int64,
            "start_local": pl.Datetime("us"),
            "end_local": pl.Datetime("us"),
            "start_raw": pl.String,
            "end_raw": pl.String,
            "raw": pl.String,
        },
    )
    start_utc = local_to_utc(pl.col("start_local"), tz)
    end_utc = local_to_utc(pl.col("end_local"), tz)
    # In the autumn repeated hour an End read as its earlier instant may fall before the Start:
    # the job ran across the change, so the End was the later pass through that hour.
    end_later = (
        pl.col("end_local")
        .dt.replace_time_zone(tz, ambiguous="latest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    candidates = (
        candidates.with_columns(start_utc=start_utc, end_utc=end_utc, end_later=end_later)
        .with_columns(
            end_utc=pl.when(
                (pl.col("end_utc") < pl.col("start_utc"))
                & (pl.col("end_later") >= pl.col("start_utc"))
            )
            .then(pl.col("end_later"))
            .otherwise(pl.col("end_utc"))
        )
        # A finished job with End=Unknown: Start + Elapsed, in real (UTC) time.
        .with_columns(
            end_utc=pl.when(pl.col("elapsed_s").is_not_null())
            .then(pl.col("start_utc") + pl.duration(seconds=pl.col("elapsed_s")))
            .otherwise(pl.col("end_utc")),
            end_from_elapsed=pl.col("elapsed_s").is_not_null(),
        )
        .with_columns(
            reason=join_reasons(
                [
                    pl.when(
                        pl.col("start_local").is_not_null() & pl.col("start_utc").is_null()
                    ).then(nonexistent_reason("Start", pl.col("start_raw"), tz)),
                    pl.when(pl.col("end_local").is_not_null() & pl.col("end_utc").is_null()).then(
                        nonexistent_reason("End", pl.col("end_raw"), tz)
                    ),
                    pl.when(pl.col("end_utc") < pl.col("start_utc")).then(
                        pl.concat_str(
                            pl.lit("End: '"),
                            pl.col("end_raw"),
                            pl.lit("' is before Start '"),
                            pl.col("start_raw"),
                            pl.lit("'; expected a job to end at or after its start"),
                        )
                    ),
                ]
            )
        )
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, problems)
