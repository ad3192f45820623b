"""Kubernetes pod inventory as JSON (`kubectl get pods -A -o json`) → raw_k8s_pods.

Accepted documents: a `List`/`PodList` with `items` (what `kubectl get pods -A -o json` and the API
server's `/api/v1/pods` return), a single Pod (`kubectl get pod NAME -o json`), a JSON array of
pods (`... | jq .items`) and several such documents one after another (`... | jq -c '.items[]'`,
one pod per line). Detection: the file starts with a JSON object or array, and the `kind` of the
records where pods sit says `Pod` (the object itself, the first `items` entry, or the first array
entry; kubectl sorts keys, so the first item's `kind` comes within its first lines) or the object
is a `PodList`; an Event list, whose entries name pods one level deeper, is not a pod list. An
empty `"kind": "List"` with `"items": []` (a cluster with no pods) is read as zero pods.

One row per pod, columns (sql/raw/create_raw_k8s_pods.sql):

- `namespace`, `pod`, `uid`: `metadata.namespace`, `metadata.name` (both required), `metadata.uid`;
- `node`: `spec.nodeName` (NULL while the pod is unscheduled);
- `gpus`: the GPUs the pod holds, as the scheduler counts them. Per container, each GPU resource is
  taken from `resources.limits`, else `resources.requests`: `nvidia.com/gpu` counts 1 per device,
  and a MIG slice `nvidia.com/mig-<N>g.<M>gb` (mixed strategy) counts N/7 of a GPU (A100 and H100
  have 7 compute slices; the sacct reader uses the same rule for `gres/gpu:..._<N>g.<M>gb`). On an
  A30 (4 slices) this undercounts; with the single MIG strategy slices are advertised as
  `nvidia.com/gpu` and count as whole GPUs. Time-sliced (`nvidia.com/gpu.shared`) and other
  vendors' resources are not counted. App containers add up; init containers run one at a time
  before them, so the pod holds max(sum of app containers, largest init container), where a
  sidecar (an init container with `restartPolicy: Always`) keeps running and adds to everything
  started after it — the scheduler's effective request. 0 when the pod asks for no GPUs;
- `start_utc`: `status.startTime` (RFC 3339; NULL while unscheduled);
- `end_utc`: for a pod whose `status.phase` is `Succeeded` or `Failed`, the latest
  `state.terminated.finishedAt` of `status.containerStatuses` and `status.initContainerStatuses`
  (init containers finish before the app containers start, except sidecars, which stop last; a pod
  that failed during init has only those); NULL when no status says. NULL for any other phase:
  the pod was still running (or pending) when the inventory was taken;
- `pod_phase`: `status.phase`;
- `labels`: `metadata.labels` as a JSON object (keys sorted), NULL when the pod has none;
- `phase`, `model`, `team`: the workload's phase, model and team as the pod's labels name them:
  `wattprint.io/phase` (else a plain `phase` label), `wattprint.io/model` (else `model`),
  `wattprint.io/team` (else `team`). They work as a sacct job's `Comment` tags do
  (pipeline/method/phases.py): an explicit phase wins over the config's rules.

`line` is the physical line where the pod's JSON object starts (every pod of a one-line document
is on line 1); each problem names the pod's JSON path
(`items[3].spec.containers[0].resources.limits["nvidia.com/gpu"]`). If the document is cut off or
malformed inside `items[k]`, that pod and anything after it cannot be read: one quarantine row at
its line says so (inside a list JSON cannot be resynchronised reliably). With pods one per line,
reading resumes at the next line that is a whole pod. A file from which not one pod can be read
because its JSON is malformed is unreadable.

This module recognises the file and assembles the rows. `_k8s_scan` finds the pods in the text,
`_k8s_pod_row` turns one pod into a row (reading fields through `_k8s_fields`, counting GPUs in
`_k8s_gpus`), and `_k8s_table` holds the table's columns and the label rules the CSV form shares.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import polars as pl

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble, problem
from pipeline.readers.base import Problem, ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.scheduler._k8s_pod_row import pod_row
from pipeline.readers.scheduler._k8s_scan import Damage, scan
from pipeline.readers.scheduler._k8s_table import (
    NOT_NULL,
    SCHEMA,
    TABLE,
    labels_text,
    workload_labels,
)

__all__ = ["FORMAT", "NOT_NULL", "SCHEMA", "TABLE", "labels_text", "read", "sniff"]
__all__ += ["workload_labels"]

FORMAT = "k8s-pods-json"

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\]:]')
_HEAD_EMPTY_ITEMS = re.compile(r'"items"\s*:\s*\[\s*\]')
POD_KINDS = frozenset({"Pod", "PodList"})


def _kinds(text: str) -> list[tuple[int, str]]:
    """(nesting depth, value) of every `"kind": "..."` in a JSON text, which may be cut short."""
    depth, found = 0, []
    last, colon_end = "", None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
        elif token == ":":
            colon_end = match.end() if last == '"kind"' else None
        else:
            if colon_end is not None and not text[colon_end : match.start()].strip():
                found.append((depth, token[1:-1]))
            colon_end = None
        last = token
    return found


def sniff(head: list[str]) -> bool:
    """A pod list, a pod, an array of pods, or pods one after another, judged by the `kind` of the
    records where they sit (so an Event list, whose entries name pods deeper down, is not one)."""
    text = "\n".join(head).lstrip()
    if not text.startswith(("{", "[")):
        return False
    kinds = _kinds(text)
    if text.startswith("["):
        return next((k for d, k in kinds if d == 2), None) == "Pod"
    top = [k for d, k in kinds if d == 1]
    if any(k in POD_KINDS for k in top):
        return True
    if any(k != "List" for k in top):
        return False
    item = next((k for d, k in kinds if d == 3), None)
    if item is not None:
        return item == "Pod"
    return "List" in top and bool(_HEAD_EMPTY_ITEMS.search(text))


# --- the reader ---------------------------------------------------------------------------------


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    text = "\n".join(source.lines)
    starts = [0]
    for line in source.lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    bad = sorted(source.bad)

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    def touches_bad(first: int, last: int) -> bool:  # 1-based lines
        i = bisect.bisect_left(bad, first - 1)
        return i < len(bad) and bad[i] <= last - 1

    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    damaged: list[Damage] = []
    for found in scan(text):
        if isinstance(found, Damage):
            damaged.append(found)
            line = line_of(found.start)
            if found.resumed is None:
                rest = "nothing from here to the end of the file could be read"
            else:
                rest = f"reading went on at line {line_of(found.resumed)}"
            problems.append(
                problem(line, f"{found.reason}; {rest}", text[found.start : found.start + 500])
            )
            continue
        first, last = line_of(found.start), line_of(max(found.end - 1, found.start))
        raw = text[found.start : found.end]
        if touches_bad(first, last):
            where = found.path or "the pod"
            problems.append(problem(first, f"{where}: {NOT_TEXT_REASON}", raw))
            continue
        row, reasons = pod_row(found.path, found.value)
        row |= {"line": first, "raw": raw[:500], "reason": "; ".join(reasons) or None}
        rows.append(row)

    if not rows and damaged and len(damaged) == len(problems) and not damaged[0].in_item:
        # not one pod could be read: the file is not a pod list that was damaged, it is no list
        raise UnreadableFileError(
            f"{source.path}: line {line_of(damaged[0].start)}: {damaged[0].reason}; expected a "
            "Kubernetes pod list (`kubectl get pods -A -o json`)"
        )
    candidates = pl.DataFrame(
        rows,
        schema={
            "line": pl.Int64,
            "raw": pl.String,
            "reason": pl.String,
            **{c: t for c, t in SCHEMA.items() if c not in ("source_path", "line")},
        },
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, problems)
