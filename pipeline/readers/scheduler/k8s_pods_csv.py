"""Kubernetes pod inventory as flat CSV → raw_k8s_pods (the same table as `k8s-pods-json`).

For clusters whose pod history is exported by a tool of their own (a kube-state-metrics query, an
audit-log job, a spreadsheet). One row per pod, with a header:

    namespace,pod,node,gpus,start_utc,end_utc,labels
    training,llama-train-0,gpu-01,8,2026-01-01T10:00:00Z,,"{""wattprint.io/phase"": ""training""}"

- `namespace`, `pod` (required): the pod's namespace and name; its job id is `<namespace>/<pod>`;
- `node`: the node it ran on; empty while it was not scheduled;
- `gpus` (required): the GPUs it held, a non-negative number; a MIG slice `<N>g.<M>gb` is N/7 of a
  GPU (so `0.428571` for one 3g slice), as the JSON reader counts them;
- `start_utc`, `end_utc`: ISO-8601 times, UTC unless they carry an offset; empty start = not
  started (pending), empty end = still running when exported;
- `labels`: the pod's labels as a JSON object of strings, or empty. Its workload labels
  (`wattprint.io/phase`/`phase`, `.../model`/`model`, `.../team`/`team`, see k8s_pods.py) fill
  `phase`, `model` and `team`.

Optional columns: `uid` (the pod's metadata.uid) and `pod_phase` (Pending, Running, Succeeded,
Failed, Unknown). The header must name namespace, pod, node, gpus and start_utc (detection keys on
them); end_utc and labels may be left out. A row whose end is before its start is quarantined.
"""

from __future__ import annotations

import json
import math

import polars as pl

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile, problem
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.scheduler.k8s_pods import SCHEMA, labels_text, workload_labels

FORMAT = "k8s-pods-csv"
TABLE = "raw_k8s_pods"
NOT_NULL = ("line", "namespace", "pod", "gpus")
DERIVED = ("phase", "model", "team")
REQUIRED_HEADERS = ("namespace", "pod", "node", "gpus", "start_utc")


def name(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("expected a name like 'training'")
    return text


def optional_name(value: str) -> str | None:
    return value.strip() or None


def gpu_count(value: str) -> float:
    gpus = _csv.number(value)
    if not math.isfinite(gpus) or gpus < 0:
        raise ValueError("expected a non-negative number of GPUs like '2' or '0.428571'")
    return gpus + 0.0


def labels(value: str) -> str:
    expected = 'expected a JSON object of string labels like \'{"wattprint.io/phase": "training"}\''
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError(expected) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise ValueError(expected)
    return labels_text(parsed)


COLUMNS = [
    Column("namespace", ("namespace",), name, required=True),
    Column("pod", ("pod",), name, required=True),
    Column("uid", ("uid",), optional_name),
    Column("node", ("node",), optional_name, required=True),
    Column("gpus", ("gpus",), gpu_count, required=True),
    Column("start_utc", ("start_utc",), _csv.utc_time, required=True),
    Column("end_utc", ("end_utc",), _csv.utc_time),
    Column("pod_phase", ("pod_phase",), optional_name),
    Column("labels", ("labels",), labels),
]
READ_SCHEMA = pl.Schema({c: t for c, t in SCHEMA.items() if c not in DERIVED})


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, *REQUIRED_HEADERS)


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    result = _csv.read_table(source, FORMAT, TABLE, READ_SCHEMA, NOT_NULL, COLUMNS)
    frame = result.frame
    derived = [workload_labels(json.loads(t) if t else None) for t in frame["labels"].to_list()]
    frame = frame.with_columns(
        **{c: pl.Series(c, [d[c] for d in derived], dtype=pl.String) for c in DERIVED}
    ).select(SCHEMA.names())
    backwards = pl.col("end_utc") < pl.col("start_utc")
    problems = list(result.problems)
    for line, start, end in frame.filter(backwards).select("line", "start_utc", "end_utc").rows():
        problems.append(
            problem(
                line,
                f"end_utc: expected a time at or after start_utc ({start.isoformat()}), "
                f"got {end.isoformat()}",
                source.lines[line - 1],
            )
        )
    problems.sort(key=lambda p: p.line)
    return ReadResult(
        path=result.path,
        format=FORMAT,
        table=TABLE,
        frame=frame.filter(~backwards.fill_null(False)),
        problems=problems,
        rows_read=result.rows_read,
    )
