"""Which sacct field is which: header lines, the configured list of `--noheader` exports, and
recognising a sacct export by its first lines.

`sacct --parsable2` (`-P`) separates fields with '|'; `sacct -p` also ends every line with one.
A header line names the fields. `sacct --noheader` (`-n`) prints none, so its field list must come
from the config (`scheduler.sacct_fields`, `ReadContext.sacct_fields`): the fields are never
guessed, since reading an End as a Start or a step's NodeList as the job's would pass silently.

Sniffing a headerless export: a run of content lines whose first '|'-separated field is a Slurm
job id (`123`, `123_4`, `123+1`, `123.batch`, ...) and one of which holds a Slurm local time
(`2024-05-01T13:45:00`, no zone) as a whole field. No other landing format separates fields with
'|', and the time rules out a line that only happens to start with a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.readers.base import ReadContext, UnreadableFileError

CONFIG_KEY = "scheduler.sacct_fields"

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
JOB_ID_FIELDS = ("jobid", "jobidraw")
EXAMPLE_FIELDS = "JobID, JobName, User, Account, Partition, State, Start, End, Elapsed, NodeList, "
EXAMPLE_FIELDS += "AllocTRES, Comment"

_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# A `--format` entry may carry a column width (`JobName%30`); parsable output ignores it.
_FORMAT_ENTRY = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*)(?:%-?[0-9]*)?\s*")
# Plain ids, array tasks (123_4, 123_[1-9%2]) and het components (123+1), then an optional step.
JOB_ID = re.compile(r"(\d+(?:_(?:\d+|\[[^\]]*\]))?(?:\+\d+)?)(?:\.([A-Za-z0-9_+-]+))?")
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
# How many content lines a headerless sniff looks at for a time (pending jobs have none).
_SNIFF_ROWS = 20


@dataclass(frozen=True)
class Header:
    line: int  # 0 for the configured list
    fields: list[str]  # lower-cased, for lookup
    trailing_bar: bool | None  # `sacct -p` ends every line with '|'; None: either (configured)
    text: str  # as written, for messages

    def describe(self) -> str:
        return self.text

    def origin(self) -> str:
        """Where the field list came from, for a reason: `as in the header on line 3 (...)`."""
        if self.line == 0:
            return f"as configured in {CONFIG_KEY} ({self.text})"
        return f"as in the header on line {self.line} ({self.text})"


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


def field_names(fields: tuple[str, ...] | list[str]) -> list[str]:
    """A configured `--format` field list as sacct names it (widths dropped); ValueError naming
    the key when an entry is not a sacct field or there is no JobID."""
    names = []
    for raw in fields:
        match = _FORMAT_ENTRY.fullmatch(str(raw))
        if match is None or match.group(1).lower() not in SACCT_FIELDS:
            raise ValueError(
                f"{CONFIG_KEY} entry {raw!r} is not a sacct field (expected names from "
                "`sacct --helpformat`, e.g. JobID, State, Start, End, Elapsed)"
            )
        names.append(match.group(1))
    if not {n.lower() for n in names} & set(JOB_ID_FIELDS):
        raise ValueError(
            f"{CONFIG_KEY} ({'|'.join(names)}) has no JobID; a --noheader export can only be "
            "read when its field list includes JobID (or JobIDRaw)"
        )
    return names


def configured_header(ctx: ReadContext, path: object) -> Header | None:
    """The `--noheader` field list from the config, checked; None when not configured."""
    if not ctx.sacct_fields:
        return None
    try:
        names = field_names(ctx.sacct_fields)
    except ValueError as exc:
        raise UnreadableFileError(f"{path}: {exc}") from None
    return Header(0, [n.lower() for n in names], None, "|".join(names))


def no_header_error(path: object, line_no: int, line: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{path}: no sacct header line (line {line_no} starts {line[:80]!r}); a `sacct "
        f"--noheader` export can only be read with its field list: set {CONFIG_KEY} to the "
        f"--format fields it was written with, in order (e.g. [{EXAMPLE_FIELDS}])"
    )


def _headerless(head: list[str]) -> bool:
    seen = 0
    for line in head:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split("|")
        if len(parts) < 3 or JOB_ID.fullmatch(parts[0]) is None:
            return False
        if any(_LOCAL_TIME.fullmatch(p) for p in parts[1:]):
            return True
        seen += 1
        if seen >= _SNIFF_ROWS:
            return False
    return False


def sniff(head: list[str]) -> bool:
    # A header is stricter than while reading: a lone word like "State" in some text file must
    # not make it a sacct file, and rows cannot be read without a job id anyway.
    for line in head:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = parse_header(line)
        if found is not None and set(JOB_ID_FIELDS) & set(found.fields):
            return True
    return _headerless(head)
