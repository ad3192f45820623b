"""The GPUs a pod holds, as the scheduler counts them: whole `nvidia.com/gpu` devices and MIG
slices (N/7 of a GPU) per container, limits before requests, with init containers and sidecars
combined into the pod's effective request (the rule is spelled out in k8s_pods.py).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from pipeline.readers.scheduler._gpus import MIG_SLICES_PER_GPU, mig_share
from pipeline.readers.scheduler._k8s_fields import PodFields, key_path

GPU_RESOURCE = "nvidia.com/gpu"
# `nvidia.com/mig-3g.20gb`, `nvidia.com/mig-1g.10gb.me` (media extensions; '+' is not allowed in
# a resource name, so the device plugin writes `.me`).
_MIG_RESOURCE = re.compile(r"nvidia\.com/mig-([0-9]+)g\.[0-9]+(?:\.[0-9]+)?gb(?:[.+]me)?")
_WHOLE = re.compile(r"[0-9]{1,9}")


def _devices(pod: PodFields, value: Any, path: str) -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int) and 0 <= value < 10**9:
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    pod.fail(path, "a whole number of devices like '1'", value)
    return None


def _gpu_weight(pod: PodFields, resource: str, path: str) -> Fraction | None:
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


def _container_gpus(pod: PodFields, container: Any, path: str) -> Fraction:
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


def pod_gpus(pod: PodFields, spec: dict, base: str) -> Fraction:
    """The pod's effective request: max(app containers + sidecars, each init container + the
    sidecars started before it)."""
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
