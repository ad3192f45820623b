"""`sacct --parsable2` (or `-p`) output → raw_slurm_jobs.

Real files are often several sacct runs pasted together with comment blocks between them, some run
with `--noheader`; a row is only read against the header of its own block, so a comment ends a
block and rows with no header before them are quarantined rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
        "gpus": pl.Int32,
        "comment": pl.String,
    }
)
NOT_NULL = ("line", "job_id")

# `sacct --helpformat` (Slurm 23.x/24.x), lower-cased. A header line must start with one of these,
# which is what tells a header from a data row.
SACCT_FIELDS = frozenset(
    f.lower()
    for f in """
    Account AdminComment AllocCPUS AllocGRES AllocNodes AllocTRES AssocID AveCPU AveCPUFreq
    AveDiskRead AveDiskWrite AvePages AveRSS AveVMSize BlockID Cluster Comment Constraints
    ConsumedEnergy ConsumedEnergyRaw Container CPUTime CPUTimeRAW DBIndex DerivedExitCode Elapsed
    ElapsedRaw Eligible End ExitCode Extra FailedNode Flags GID Group JobID JobIDRaw JobName Layout
    Licenses MaxDiskRead MaxDiskReadNode MaxDiskReadTask MaxDiskWrite MaxDiskWriteNode
    MaxDiskWriteTask MaxPages MaxPagesNode MaxPagesTask MaxRSS MaxRSSNode MaxRSSTask MaxVMSize
    MaxVMSizeNode MaxVMSizeTask McsLabel MinCPU MinCPUNode MinCPUTask NCPUS NNodes NodeList NTasks
    Partition Planned PlannedCPU PlannedCPURAW Priority QOS QOSRAW QOSREQ Reason ReqCPUFreq
    ReqCPUFreqGov ReqCPUFreqMax ReqCPUFreqMin ReqCPUS ReqGRES ReqMem ReqNodes ReqTRES Reservation
    ReservationId Reserved ResvCPU ResvCPURAW Start State StdErr StdIn StdOut Submit SubmitLine
    Suspended SystemComment SystemCPU Timelimit TimelimitRaw TotalCPU TRESUsageInAve
    TRESUsageInMax TRESUsageInMaxNode TRESUsageInMaxTask TRESUsageInMin TRESUsageInMinNode
    TRESUsageInMinTask TRESUsageInTot TRESUsageOutAve TRESUsageOutMax TRESUsageOutMaxNode
    TRESUsageOutMaxTask TRESUsageOutMin TRESUsageOutMinNode TRESUsageOutMinTask TRESUsageOutTot
    UID User UserCPU WCKey WCKeyID WorkDir
    """.split()
)
NO_HEADER_REASON = (
    "no sacct header line before this row; expected `sacct --parsable2` output with a header "
    "like JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment"
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
NO_TIME = frozenset({"", "unknown", "none"})
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
NO_NODES = frozenset({"", "none assigned"})

_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Plain ids, array tasks (123_4, 123_[1-9%2]) and het components (123+1), then an optional step.
_JOB_ID = re.compile(r"(\d+(?:_(?:\d+|\[[^\]]*\]))?(?:\+\d+)?)(?:\.([A-Za-z0-9_+-]+))?")
_GPU_KEY = re.compile(r"gres/gpu(?::(.+))?")
_GPU_COUNT = re.compile(r"[0-9]{1,9}")  # fits the INTEGER column


@dataclass(frozen=True)
class Header:
    line: int
    fields: list[str]  # lower-cased, for lookup
    trailing_bar: bool  # `sacct -p` ends every line, header included, with '|'
    text: str  # as written, for messages

    def describe(self) -> str:
        return self.text


def parse_header(line: str, line_no: int = 0) -> Header | None:
    parts = line.strip().split("|")
    trailing = len(parts) > 1 and parts[-1] == ""
    if trailing:
        parts = parts[:-1]
    if not parts or parts[0].lower() not in SACCT_FIELDS:
        return None
    if not all(_FIELD_NAME.fullmatch(p) for p in parts):
        return None
    return Header(line_no, [p.lower() for p in parts], trailing, "|".join(parts))


def sniff(head: list[str]) -> bool:
    # Stricter than a header line while reading: a lone word like "State" in some text file must
    # not make it a sacct file, and rows cannot be read without a job id anyway.
    for line in head:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = parse_header(line)
        if found is not None and {"jobid", "jobidraw"} & set(found.fields):
            return True
    return False


class _RowError(ValueError):
    pass


def count_gpus(tres: str) -> int:
    """GPUs in an AllocTRES string.

    Slurm may list the untyped total and the per-type counts on one line
    (`gres/gpu:h100=4,gres/gpu=4`): the untyped entry is the total, so typed entries are summed
    only when it is absent.
    """
    untyped: int | None = None
    typed = 0
    for entry in filter(None, (e.strip() for e in tres.split(","))):
        key, eq, value = entry.partition("=")
        if not eq or not key:
            raise _RowError(f"AllocTRES: expected name=value entries, got {entry!r} in {tres!r}")
        match = _GPU_KEY.fullmatch(key)
        if match is None:
            continue
        if not _GPU_COUNT.fullmatch(value):
            raise _RowError(f"AllocTRES: expected a whole GPU count in {entry!r}, got {value!r}")
        if match.group(1) is None:
            if untyped is not None and untyped != int(value):
                raise _RowError(f"AllocTRES: two different untyped gres/gpu counts in {tres!r}")
            untyped = int(value)
        else:
            typed += int(value)
    return untyped if untyped is not None else typed


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
    match = _JOB_ID.fullmatch(raw_id.strip())
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


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    tz = zone_for(source.path, ctx)
    header: Header | None = None
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
            header = found
            continue
        if i in source.bad:
            problems.append(problem(line_no, NOT_TEXT_REASON, line))
            continue
        if header is None:
            problems.append(problem(line_no, NO_HEADER_REASON, line))
            continue
        values = line.split("|")
        if header.trailing_bar:
            if values[-1] != "":
                problems.append(
                    problem(
                        line_no,
                        f"expected the line to end with '|' like the `sacct -p` header on line "
                        f"{header.line}; the line looks truncated",
                        line,
                    )
                )
                continue
            values.pop()
        if len(values) != len(header.fields):
            problems.append(
                problem(
                    line_no,
                    f"expected {len(header.fields)} '|'-separated fields as in the header on line "
                    f"{header.line} ({header.describe()}), got {len(values)}",
                    line,
                )
            )
            continue
        try:
            row = _row(header, values)
        except _RowError as exc:
            problems.append(problem(line_no, str(exc), line))
            continue
        row["line"], row["raw"] = line_no, line
        rows.append(row)

    candidates = pl.DataFrame(
        rows,
        schema={
            **{c: t for c, t in SCHEMA.items() if c not in ("source_path", "start_utc", "end_utc")},
            "start_local": pl.Datetime("us"),
            "end_local": pl.Datetime("us"),
            "start_raw": pl.String,
            "end_raw": pl.String,
            "raw": pl.String,
        },
    )
    start_utc = local_to_utc(pl.col("start_local"), tz)
    end_utc = local_to_utc(pl.col("end_local"), tz)
    candidates = candidates.with_columns(start_utc=start_utc, end_utc=end_utc).with_columns(
        reason=join_reasons(
            [
                pl.when(pl.col("start_local").is_not_null() & pl.col("start_utc").is_null()).then(
                    nonexistent_reason("Start", pl.col("start_raw"), tz)
                ),
                pl.when(pl.col("end_local").is_not_null() & pl.col("end_utc").is_null()).then(
                    nonexistent_reason("End", pl.col("end_raw"), tz)
                ),
            ]
        )
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, problems)
