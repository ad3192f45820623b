"""Kubernetes pod inventory as JSON (`kubectl get pods -A -o json`) → raw_k8s_pods.

Accepted documents: a `List`/`PodList` with `items` (what `kubectl get pods -A -o json` and the API
server's `/api/v1/pods` return), a single Pod (`kubectl get pod NAME -o json`), a JSON array of
pods (`... | jq .items`) and several such documents one after another (`... | jq -c '.items[]'`,
one pod per line). Detection: the file starts with a JSON object or array, and the `kind` of the
records where pods sit says `Pod` (the object itself, the first `items` entry, or the first array
entry; kubectl sorts keys, so the first item's `kind` comes within its first lines) or the object
is a `PodList`; an Event list, whose entries name pods one level deeper, is not a pod list. An
empty `"kind": "List"` with `"items": []` (a cluster with no pods) is read as zero pods.

One row per pod, columns (sql/create_raw_k8s_pods.sql):

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
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import polars as pl

from pipeline.readers._gpus import MIG_SLICES_PER_GPU, mig_share
from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble, problem
from pipeline.readers.base import Problem, ReadContext, ReadResult, UnreadableFileError

FORMAT = "k8s-pods-json"
TABLE = "raw_k8s_pods"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "namespace": pl.String,
        "pod": pl.String,
        "uid": pl.String,
        "node": pl.String,
        "gpus": pl.Float64,
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
        "pod_phase": pl.String,
        "labels": pl.String,
        "phase": pl.String,
        "model": pl.String,
        "team": pl.String,
    }
)
NOT_NULL = ("line", "namespace", "pod", "gpus")

# Workload labels, in order of preference for each value.
LABEL_KEYS: dict[str, tuple[str, ...]] = {
    "phase": ("wattprint.io/phase", "phase"),
    "model": ("wattprint.io/model", "model"),
    "team": ("wattprint.io/team", "team"),
}
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})

GPU_RESOURCE = "nvidia.com/gpu"
# `nvidia.com/mig-3g.20gb`, `nvidia.com/mig-1g.10gb.me` (media extensions; '+' is not allowed in
# a resource name, so the device plugin writes `.me`).
_MIG_RESOURCE = re.compile(r"nvidia\.com/mig-([0-9]+)g\.[0-9]+(?:\.[0-9]+)?gb(?:[.+]me)?")
_WHOLE = re.compile(r"[0-9]{1,9}")
_RFC3339 = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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


# --- shared with the CSV form -------------------------------------------------------------------


def workload_labels(labels: Mapping[str, str] | None) -> dict[str, str | None]:
    """phase, model and team named by a pod's labels (see LABEL_KEYS); None where none does."""
    out: dict[str, str | None] = {}
    for field, keys in LABEL_KEYS.items():
        out[field] = next(
            (labels[k].strip() for k in keys if labels and (labels.get(k) or "").strip()), None
        )
    return out


def labels_text(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(labels), sort_keys=True, ensure_ascii=False)


def key_path(base: str, key: str) -> str:
    """`base.key`, or `base["nvidia.com/gpu"]` where the key is not a plain name."""
    if _SAFE_KEY.fullmatch(key):
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key, ensure_ascii=False)}]"


def shown(value: Any) -> str:
    """A JSON value as a problem message quotes it, cut short."""
    if value is None:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def rfc3339(value: str) -> datetime:
    """RFC 3339 time (`2026-01-01T10:00:00Z`, offsets honoured) → naive UTC; ValueError if not."""
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("expected an RFC 3339 time like '2026-01-01T10:00:00Z'")
    fraction = (match.group(2) or "")[:6]
    zone = "+00:00" if match.group(3) in ("Z", "z") else match.group(3)
    text = match.group(1).replace("t", "T").replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(
            f"{text}{'.' + fraction.ljust(6, '0') if fraction else ''}{zone}"
        )
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ValueError("expected an RFC 3339 time like '2026-01-01T10:00:00Z'") from None


# --- the document scanner -----------------------------------------------------------------------

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class _Item:
    path: str  # JSON path of the pod, "" for a bare Pod document
    start: int  # offset of its first character in the text
    end: int  # offset just after it
    value: Any


@dataclass(frozen=True)
class _Damage:
    path: str  # where reading stopped, for the message
    start: int  # offset the problem is reported at
    reason: str
    in_item: bool  # inside a pod (a row lost) rather than the surrounding document
    resumed: int | None = None  # offset where reading went on after it, if it did


class _Broken(Exception):
    def __init__(self, damage: _Damage) -> None:
        super().__init__(damage.reason)
        self.damage = damage


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]


def _decode(text: str, pos: int, path: str, in_item: bool) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        what = (
            "cut off"
            if exc.pos >= len(text)
            else f"not valid JSON: {exc.msg.removesuffix(' at')} {where}"
        )
        raise _Broken(
            _Damage(path, pos if in_item else exc.pos, f"{path or 'the document'}: {what}", in_item)
        ) from None
    except RecursionError:
        raise _Broken(
            _Damage(path, pos, f"{path or 'the document'}: nested too deeply to read", in_item)
        ) from None


def _expect(text: str, pos: int, chars: str, path: str) -> int:
    pos = _skip(text, pos)
    if pos < len(text) and text[pos] in chars:
        return pos
    found = repr(text[pos : pos + 20]) if pos < len(text) else "the end of the file"
    wanted = " or ".join(repr(c) for c in chars)
    raise _Broken(
        _Damage(
            path,
            min(pos, max(len(text) - 1, 0)),
            f"{path or 'the document'}: expected {wanted}, got {found}",
            False,
        )
    )


def _array(text: str, pos: int, base: str) -> Iterator[_Item]:
    """The elements of the array at `pos` (its '['), as pods; returns the offset after ']'."""
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "]":
        return pos + 1
    index = 0
    while True:
        path = f"{base}[{index}]"
        pos = _skip(text, pos)
        if pos >= len(text):
            raise _Broken(_Damage(path, max(len(text) - 1, 0), f"{path}: cut off", True))
        value, end = _decode(text, pos, path, True)
        yield _Item(path, pos, end, value)
        index += 1
        pos = _expect(text, end, ",]", f"after {path}")
        if text[pos] == "]":
            return pos + 1
        pos += 1


def _object(text: str, pos: int) -> Iterator[_Item]:
    """A top-level object at `pos`: its `items` as pods, or itself if it is a Pod."""
    start = pos
    fields: dict[str, Any] = {}
    had_items = False
    pos = _skip(text, pos + 1)
    if pos < len(text) and text[pos] == "}":
        pos += 1
    else:
        while True:
            pos = _expect(text, pos, '"', "the document")
            key, pos = _decode(text, pos, "the document", False)
            pos = _expect(text, pos, ":", key_path("", key)) + 1
            pos = _skip(text, pos)
            if key == "items" and pos < len(text) and text[pos] == "[":
                had_items = True
                pos = yield from _array(text, pos, "items")
            else:
                fields[key], pos = _decode(text, pos, key_path("", key), False)
            pos = _expect(text, pos, ",}", "the document")
            pos += 1
            if text[pos - 1] == "}":
                break
    if not had_items:
        kind = fields.get("kind")
        if kind != "Pod":
            raise _Broken(
                _Damage(
                    "",
                    start,
                    f"expected a Pod or a List of pods (with items), got an object with kind "
                    f"{shown(kind)}",
                    True,
                )
            )
        yield _Item("", start, pos, fields)
    return pos


_NEXT_DOCUMENT = re.compile(r"\n(?=\{)")


def _scan(text: str) -> Iterator[_Item | _Damage]:
    """Every pod in the text, in order, with a _Damage where a document is broken.

    After a broken document, reading resumes at the next line that starts with '{' if that line is
    one whole pod (pods one per line, as `jq -c '.items[]'` writes them); otherwise, and always
    inside a pod list's `items`, it cannot tell where the next pod starts, so it stops there."""
    pos = _skip(text, 0)
    while pos < len(text):
        try:
            if text[pos] == "{":
                pos = yield from _object(text, pos)
            elif text[pos] == "[":
                pos = yield from _array(text, pos, "")
            else:
                raise _Broken(
                    _Damage(
                        "",
                        pos,
                        "expected a JSON object or array (a pod list), got "
                        f"{text[pos : pos + 20]!r}",
                        False,
                    )
                )
        except _Broken as broken:
            damage = broken.damage
            after = _NEXT_DOCUMENT.search(text, max(damage.start, pos))
            if "[" in damage.path or after is None or not _pod_line(text, after.end()):
                yield damage
                return
            yield _Damage(damage.path, damage.start, damage.reason, damage.in_item, after.end())
            pos = after.end()
            continue
        pos = _skip(text, pos)


def _pod_line(text: str, start: int) -> bool:
    """Whether the line from `start` is one whole pod object and nothing else (a JSON-lines pod)."""
    end = text.find("\n", start)
    try:
        value = json.loads(text[start : len(text) if end < 0 else end])
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and (
        value.get("kind") == "Pod" or ("kind" not in value and "metadata" in value)
    )


# --- one pod → one row --------------------------------------------------------------------------


class _Pod:
    """Reads fields of one pod object, collecting a reason for every field that is wrong."""

    def __init__(self, path: str, value: Any) -> None:
        self.path = path
        self.reasons: list[str] = []
        self.value = value

    def fail(self, path: str, expected: str, got: Any) -> None:
        self.reasons.append(f"{path}: expected {expected}, got {shown(got)}")

    def obj(self, parent: Any, key: str, base: str, required: bool = False) -> dict | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.fail(key_path(base, key), "an object", None)
            return None
        if not isinstance(value, dict):
            self.fail(key_path(base, key), "an object", value)
            return None
        return value

    def string(
        self, parent: dict | None, key: str, base: str, required: bool = False
    ) -> str | None:
        value = parent.get(key) if parent is not None else None
        if value is None or (required and value == ""):
            if required:
                self.fail(key_path(base, key), "a non-empty string", value)
            return None
        if not isinstance(value, str):
            self.fail(key_path(base, key), "a string", value)
            return None
        return value or None

    def time(self, parent: dict | None, key: str, base: str) -> datetime | None:
        value = parent.get(key) if parent is not None else None
        if value is None:
            return None
        try:
            return rfc3339(value)
        except ValueError as exc:
            self.fail(key_path(base, key), str(exc).removeprefix("expected "), value)
            return None

    def array(self, parent: dict | None, key: str, base: str) -> list:
        value = parent.get(key) if parent is not None else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key_path(base, key), "a list", value)
            return []
        return value


def _devices(pod: _Pod, value: Any, path: str) -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int) and 0 <= value < 10**9:
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    pod.fail(path, "a whole number of devices like '1'", value)
    return None


def _gpu_weight(pod: _Pod, resource: str, path: str) -> Fraction | None:
    """GPUs one unit of a resource stands for; None for resources that are not GPUs."""
    if resource == GPU_RESOURCE:
        return Fraction(1)
    match = _MIG_RESOURCE.fullmatch(resource)
    if match is None:
        return None
    share = mig_share(int(match.group(1)))
    if share is None:
        pod.fail(path, f"a MIG profile of 1-{MIG_SLICES_PER_GPU} compute slices", resource)
    return share


def _container_gpus(pod: _Pod, container: Any, path: str) -> Fraction:
    if not isinstance(container, dict):
        pod.fail(path, "a container object", container)
        return Fraction(0)
    resources = pod.obj(container, "resources", path)
    if resources is None:
        return Fraction(0)
    base = key_path(path, "resources")
    limits = pod.obj(resources, "limits", base) or {}
    requests = pod.obj(resources, "requests", base) or {}
    total = Fraction(0)
    for resource in sorted(set(limits) | set(requests)):
        where = "limits" if resource in limits else "requests"
        value_path = key_path(key_path(base, where), resource)
        weight = _gpu_weight(pod, resource, value_path)
        if weight is None:
            continue
        count = _devices(pod, (limits if where == "limits" else requests)[resource], value_path)
        if count is not None:
            total += weight * count
    return total


def _pod_gpus(pod: _Pod, spec: dict, base: str) -> Fraction:
    app = sum(
        (
            _container_gpus(pod, c, f"{key_path(base, 'containers')}[{i}]")
            for i, c in enumerate(pod.array(spec, "containers", base))
        ),
        Fraction(0),
    )
    sidecars = Fraction(0)
    peak = Fraction(0)
    for i, container in enumerate(pod.array(spec, "initContainers", base)):
        gpus = _container_gpus(pod, container, f"{key_path(base, 'initContainers')}[{i}]")
        if isinstance(container, dict) and container.get("restartPolicy") == "Always":
            sidecars += gpus  # a sidecar keeps running beside everything started after it
            peak = max(peak, sidecars)
        else:
            peak = max(peak, gpus + sidecars)
    return max(peak, app + sidecars)


def _finished_at(pod: _Pod, status: dict, base: str) -> datetime | None:
    times = []
    for key in ("containerStatuses", "initContainerStatuses"):
        for i, entry in enumerate(pod.array(status, key, base)):
            path = f"{key_path(base, key)}[{i}]"
            if not isinstance(entry, dict):
                pod.fail(path, "a container status object", entry)
                continue
            state = pod.obj(entry, "state", path)
            terminated = pod.obj(state, "terminated", key_path(path, "state"))
            at = pod.time(terminated, "finishedAt", key_path(key_path(path, "state"), "terminated"))
            if at is not None:
                times.append(at)
    return max(times, default=None)


def pod_row(path: str, value: Any) -> tuple[dict[str, Any], list[str]]:
    """The table row of one pod object, and what is wrong with it (empty when nothing)."""
    pod = _Pod(path, value)
    row: dict[str, Any] = dict.fromkeys(
        c for c in SCHEMA.names() if c not in ("source_path", "line")
    )
    if not isinstance(value, dict):
        pod.fail(path or "the document", "a Pod object", value)
        return row, pod.reasons
    kind = value.get("kind")
    if kind is not None and kind != "Pod":
        pod.fail(key_path(path, "kind"), "'Pod'", kind)
        return row, pod.reasons
    metadata = pod.obj(value, "metadata", path, required=True)
    meta_path = key_path(path, "metadata")
    row["namespace"] = pod.string(metadata, "namespace", meta_path, required=True)
    row["pod"] = pod.string(metadata, "name", meta_path, required=True)
    row["uid"] = pod.string(metadata, "uid", meta_path)
    labels = pod.obj(metadata, "labels", meta_path)
    if labels is not None:
        labels_path = key_path(meta_path, "labels")
        bad = [k for k, v in labels.items() if not isinstance(v, str)]
        for k in bad:
            pod.fail(key_path(labels_path, k), "a string label value", labels[k])
        if not bad:
            row["labels"] = labels_text(labels)
            row |= workload_labels(labels)

    spec = pod.obj(value, "spec", path, required=True)
    spec_path = key_path(path, "spec")
    if spec is not None:
        row["node"] = pod.string(spec, "nodeName", spec_path)
        if "containers" not in spec:
            pod.fail(key_path(spec_path, "containers"), "the list of the pod's containers", None)
        row["gpus"] = float(_pod_gpus(pod, spec, spec_path))

    status = pod.obj(value, "status", path)
    status_path = key_path(path, "status")
    if status is not None:
        row["pod_phase"] = pod.string(status, "phase", status_path)
        row["start_utc"] = pod.time(status, "startTime", status_path)
        if row["pod_phase"] in FINISHED_PHASES:
            row["end_utc"] = _finished_at(pod, status, status_path)
    start, end = row["start_utc"], row["end_utc"]
    if start is not None and end is not None and end < start:
        pod.reasons.append(
            f"{status_path}: expected the containers' finishedAt ({end.isoformat()}Z) at or after "
            f"startTime ({start.isoformat()}Z)"
        )
    return row, pod.reasons


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
    damaged: list[_Damage] = []
    for found in _scan(text):
        if isinstance(found, _Damage):
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
