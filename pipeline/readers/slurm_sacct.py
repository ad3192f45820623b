"""`sacct --parsable2` (or `-p`) output → raw_slurm_jobs.

Real files are often several sacct runs pasted together with comment blocks between them, some run
with `--noheader`; a row is only read against the header of its own block, so a comment ends a
block and rows with no header before them are quarantined rather than guessed.

Decisions:

- Job ids: `JobID` (else `JobIDRaw`) is split into the job and its step. Steps (`123.batch`,
  `123.extern`, `123.interactive`, numbered `123.0`) are kept as rows with `step` set, so they
  stay auditable, and are not jobs: the allocation query (sql/select_slurm_jobs_window.sql) reads
  only step-NULL rows, so a step's GPUs are never counted beside its job's. Array tasks (`123_4`)
  and heterogeneous-job components (`123+0`, `123+1`) are jobs of their own (each has its own
  nodes, times and AllocTRES); the id keeps its suffix so components never replace each other. A
  pending array's summary line (`123_[1-5%2]`) is kept with no start, like any pending job.
- Times: sacct prints the site's local wall-clock time without a zone; it is converted with the
  file's site zone. A time skipped by the spring change is quarantined; in the autumn repeated
  hour the earlier instant is taken, except that an End which would then fall before its Start
  takes the later one (a job from 02:45 to 02:15 ran across the change). `Unknown`, `None` or an
  empty Start (pending) or End (still running) is null; an End still before Start is quarantined.
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

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import hostlist
import polars as pl

from pipeline.readers._gpus import MIG_SLICES_PER_GPU, mig_share
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
        "gpus": pl.Float64,
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
_GPU_COUNT = re.compile(r"[0-9]{1,9}")
# A MIG profile at the end of a GPU type: `3g.20gb`, `a100_3g.20gb`, `nvidia_h100_1g.10gb+me`.
_MIG_PROFILE = re.compile(
    r"(?:.*[_:.-])?([0-9]+)g\.[0-9]+(?:\.[0-9]+)?gb(?:\+[a-z.]+)?", re.IGNORECASE
)


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


def mig_slices(gpu_type: str) -> int | None:
    """Compute slices of a MIG profile named at the end of a GPU type (`a100_3g.20gb` → 3)."""
    match = _MIG_PROFILE.fullmatch(gpu_type)
    return None if match is None else int(match.group(1))


def count_gpus(tres: str) -> float:
    """GPUs in an AllocTRES string, a MIG slice counting as its share of a GPU.

    Slurm may list the untyped total and the per-type counts on one line
    (`gres/gpu:h100=4,gres/gpu=4`): the untyped entry is the total, so typed entries are summed
    only when it is absent. The total counts a MIG slice as one device; each slice the typed
    entries name is replaced by its N/7 share (`gres/gpu:a100_3g.20gb=1,gres/gpu=1` → 3/7).
    """
    untyped: int | None = None
    whole = 0  # typed entries that are whole GPUs
    slices = 0  # MIG slices, counted as devices
    share = Fraction(0)  # ... and as GPU shares (exact, rounded once at the end)
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
            continue
        n = mig_slices(match.group(1))
        if n is None:
            whole += int(value)
            continue
        one = mig_share(n)
        if one is None:
            raise _RowError(
                f"AllocTRES: expected a MIG profile of 1 to {MIG_SLICES_PER_GPU} compute slices "
                f"in {entry!r}, got {n}"
            )
        slices += int(value)
        share += int(value) * one
    if untyped is None:
        return float(whole + share)
    if slices > untyped:
        raise _RowError(
            f"AllocTRES: {slices} MIG slices but a gres/gpu total of {untyped} in {tres!r}; "
            "expected the total to count every slice"
        )
    return float(untyped - slices + share)


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
