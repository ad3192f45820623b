"""The raw_k8s_pods table that both pod inventory formats fill (`k8s-pods-json`, `k8s-pods-csv`):
its columns, and the values derived from a pod's labels (see k8s_pods.py for their meaning).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import polars as pl

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
