"""The DCGM metrics and labels both Prometheus readers take, and how labels become columns.

Shared by the text reader (dcgm_prometheus.py) and the HTTP API JSON reader (prometheus_json.py),
whose docstrings describe the label mapping: host from `Hostname`/`hostname`/the file's folder,
`gpu`, `UUID`, `modelName`, workload from `namespace`/`pod` else `hpc_job`, MIG instances from
`GPU_I_ID`/`GPU_I_PROFILE`; an empty label counts as absent.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

POWER = "DCGM_FI_DEV_POWER_USAGE"
UTIL = "DCGM_FI_DEV_GPU_UTIL"
ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
METRICS = {POWER: "power_w", UTIL: "util_pct", ENERGY: "energy_mj"}
# The labels we read; every other label (pci_bus_id, device, driver version...) is ignored.
LABELS = (
    "Hostname",
    "hostname",
    "gpu",
    "UUID",
    "modelName",
    "pod",
    "namespace",
    "hpc_job",
    "GPU_I_ID",
    "GPU_I_PROFILE",
)
LABEL_SCHEMA = {name: pl.String for name in LABELS}


def _present(name: str) -> pl.Expr:
    """A label's value, with the empty string (how the exporter writes 'no pod') as absent."""
    value = pl.col(name)
    return pl.when(value != "").then(value)


def label_columns(samples: pl.DataFrame, fallback_host: str | None) -> pl.DataFrame:
    """host, gpu, gpu_uuid, gpu_name, workload and mig from the LABELS columns."""
    pod, namespace = _present("pod"), _present("namespace")
    return samples.with_columns(
        host=pl.coalesce(
            _present("Hostname"), _present("hostname"), pl.lit(fallback_host, dtype=pl.String)
        ),
        gpu=_present("gpu"),
        gpu_uuid=_present("UUID"),
        gpu_name=_present("modelName"),
        workload=pl.when(pod.is_not_null() & namespace.is_not_null())
        .then(pl.concat_str(namespace, pl.lit("/"), pod))
        .otherwise(_present("hpc_job")),
        mig=(_present("GPU_I_ID").is_not_null() | _present("GPU_I_PROFILE").is_not_null()),
    )


def folder_host(path: Path) -> str | None:
    """The host a file's folder names (`telemetry/<host>/scrape.prom`), as for nvidia-smi."""
    return Path(path).resolve().parent.name or None
