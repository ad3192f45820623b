"""One pod's JSON object → one raw_k8s_pods row and the reasons it is wrong: names, node, GPUs,
start and (for a finished pod) end, labels and the workload they name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.readers.scheduler._k8s_fields import PodFields, key_path
from pipeline.readers.scheduler._k8s_gpus import pod_gpus
from pipeline.readers.scheduler._k8s_table import SCHEMA, labels_text, workload_labels

FINISHED_PHASES = frozenset({"Succeeded", "Failed"})


def _finished_at(pod: PodFields, status: dict, base: str) -> datetime | None:
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
    pod = PodFields(path, value)
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
        row["gpus"] = float(pod_gpus(pod, spec, spec_path))

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
