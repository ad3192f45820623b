"""dcgm-exporter Prometheus text scrapes (`curl <node>:9400/metrics > file`) → raw_gpu_samples.

What a row is. A scrape holds one line per metric family × GPU (× MIG instance); only three
families are our data:

- `DCGM_FI_DEV_POWER_USAGE` (W) → `power_w`,
- `DCGM_FI_DEV_GPU_UTIL` (%) → `util_pct`,
- `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION` (mJ since boot, a counter) → `energy_mj`, kept raw:
  counter resets and wrap are the method's business, not the reader's.

A row ("reading") is one GPU at one time: the lines of those three metrics for one host × GPU ×
timestamp, merged into one raw_gpu_samples row whose `line` is the first of them. Every other
family (clocks, temperatures, memory, `DCGM_FI_PROF_*`, `DCGM_FI_DEV_POWER_USAGE_INSTANT`, the
exporter's own metrics) is not a row. `rows_read` counts readings, plus every line that cannot
be parsed at all, each its own quarantined row (we cannot tell what it held).

Labels. host = `Hostname` (older exporters) else `hostname` (newer) else the name of the folder
the file sits in (`telemetry/<host>/`, as for nvidia-smi); `gpu` → gpu_index, `UUID` → gpu_uuid,
`modelName` → gpu_name. workload = "<namespace>/<pod>" when both `pod` and `namespace` are set
(the `container` label is not part of it), else the `hpc_job` label, else NULL. An empty label
(`pod=""`, as the exporter writes for GPUs no pod holds) counts as absent.

MIG. With MIG enabled the exporter writes one series per GPU instance (labels `GPU_I_ID`,
`GPU_I_PROFILE`), each repeating its parent GPU's device-level power and energy counter. The GPU
is counted once: its instances' lines merge into the parent's reading (key host × `gpu` × time),
and the repeated values must agree (repeats that disagree quarantine the reading, because nothing
says which one is right). `DCGM_FI_DEV_GPU_UTIL` is not supported for MIG instances (the
exporter writes 0 or nothing; dcgm-exporter issues #105, #216), so instance series give no
util_pct: a MIG GPU's util_pct is NULL rather than a false 0. workload is kept only when every
series of the reading names the same one; instances running different workloads, or a busy
instance beside an idle one, give NULL, so the whole GPU is never charged to one of its tenants
(the method then splits the GPU by scheduler allocations). The same rule covers several pods
sharing one GPU by time-slicing.

Time. A sample line may end with a timestamp (ms since 1970, UTC); it is used. A line without
one (what the exporter serves, and what all four real scrapes in shared/data hold) was read at
scrape time, which is the file's modification time (UTC): `curl ... > file` leaves exactly that.
Copy such files with their times kept (`cp -p`, `rsync -t`), or the copy time becomes the reading
time. Many scrapes appended into one file need timestamps: without them every scrape gets the same
time, their repeated series disagree and those readings are quarantined (identical repeats
merge). Times must fall in 1970-2099; a line whose time cannot be read belongs to no reading
that could be named and is quarantined as a row of its own.

Values: NaN, ±Inf or negative power or energy, and utilisation outside 0-100, quarantine the
reading with a reason naming the metric and the line.

Parsing. Lines are parsed by prometheus_client's text parser, never by hand, and every problem
names its physical line (_dcgm_text.py, which says how large files stay fast). The label mapping
(_dcgm_labels.py) and the merge of samples into checked readings (_dcgm_readings.py) are shared
with the Prometheus JSON reader (prometheus_json.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipeline.readers._text import TextFile, assemble
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.telemetry._dcgm_labels import folder_host, label_columns
from pipeline.readers.telemetry._dcgm_readings import merge
from pipeline.readers.telemetry._dcgm_text import NAME, NUMBER, read_samples

# raw_gpu_samples, the same table (and so the same columns) as the nvidia-smi reader.
from pipeline.readers.telemetry.nvidia_smi import NOT_NULL, SCHEMA

FORMAT = "dcgm-prometheus-text"
TABLE = "raw_gpu_samples"
__all__ = ["FORMAT", "NOT_NULL", "SCHEMA", "TABLE", "read", "sniff"]

_SNIFF_META = re.compile(r"#\s+(?:HELP|TYPE)\s+DCGM_FI_")
_SNIFF_SAMPLE = re.compile(rf"({NAME})?\s*(\{{.*\}})?\s+(?:{NUMBER})(?:\s+[+-]?[0-9]+)?", re.DOTALL)
_SNIFF_NAME_LABEL = re.compile(r'__name__\s*=\s*"(DCGM_FI_)')


def sniff(head: list[str]) -> bool:
    """A DCGM `# HELP`/`# TYPE` line, or a `DCGM_FI_` sample line, before any line that is not
    Prometheus text (so a Markdown page quoting a scrape is not taken for one)."""
    for line in head:
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            if _SNIFF_META.match(text):
                return True
            continue  # another family's metadata, or a comment
        match = _SNIFF_SAMPLE.fullmatch(text)
        if match is None or not (match.group(1) or match.group(2)):
            return False
        if (match.group(1) or "").startswith("DCGM_FI_") or (
            match.group(1) is None and _SNIFF_NAME_LABEL.search(match.group(2))
        ):
            return True
    return False


def _mtime_us(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns // 1000
    except OSError as exc:
        raise UnreadableFileError(
            f"{path}: cannot read the file's modification time, which dates samples written "
            f"without a timestamp: {exc.strerror or exc}"
        ) from exc


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    samples, problems = read_samples(source)
    if samples.filter(pl.col("ts_text").is_null()).height:
        # No timestamp on the line: read at scrape time, i.e. when the file was written.
        samples = samples.with_columns(
            ts_us=pl.when(pl.col("ts_text").is_null())
            .then(pl.lit(_mtime_us(path), dtype=pl.Int64))
            .otherwise(pl.col("ts_us"))
        )
    samples = label_columns(samples, folder_host(path)).with_columns(
        where=pl.format("line {}", pl.col("pos")),
        sample_reason=pl.lit(None, dtype=pl.String),
    )
    readings = merge(samples, "a sample timestamp in ms since 1970-01-01 UTC").rename(
        {"pos": "line"}
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, readings, problems)
