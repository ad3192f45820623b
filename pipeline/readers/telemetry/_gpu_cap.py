"""The inventory's cap on GPU indices, for every reader of GPU samples.

A host never gets more GPU indices than `host_groups` lists for it: an accepted sample whose
`gpu_index` is `G` or more on a host with `G` GPUs is moved to the quarantine with the reason, so
`rows read = accepted + quarantined` still holds. The nvidia-smi reader applies the same cap itself
(with reasons that say how it numbered GPUs without an index column); this catches the other
formats (DCGM scrapes, Prometheus exports, telemetry Parquet). Hosts missing from the inventory
are left as they are; the coverage report lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import polars as pl

from pipeline.readers._text import problem
from pipeline.readers.base import ReadResult

GPU_TABLE = "raw_gpu_samples"


def cap_gpus(result: ReadResult, gpus_per_host: Mapping[str, int] | None) -> ReadResult:
    """`result` with samples beyond their host's inventory GPU count quarantined."""
    if result.table != GPU_TABLE or not gpus_per_host or result.frame.height == 0:
        return result
    cap = pl.DataFrame(
        {"host": list(gpus_per_host), "inventory_gpus": list(gpus_per_host.values())},
        schema={"host": pl.String, "inventory_gpus": pl.Int32},
    )
    frame = result.frame.join(cap, on="host", how="left", maintain_order="left")
    over = pl.col("inventory_gpus").is_not_null() & (
        pl.col("gpu_index") >= pl.col("inventory_gpus")
    )
    beyond = frame.filter(over)
    if beyond.height == 0:
        return result
    shown = [c for c in result.frame.columns if c not in ("source_path", "line")]
    beyond = beyond.select(
        "line",
        reason=pl.format(
            "gpu_index: GPU index {} is beyond the GPUs the inventory has (host_groups lists {} "
            "for host {}, indices 0-{})",
            pl.col("gpu_index"),
            pl.col("inventory_gpus"),
            pl.col("host"),
            pl.col("inventory_gpus") - 1,
        ),
        raw=pl.struct(shown).struct.json_encode(),
    )
    problems = result.problems + [problem(*row) for row in beyond.iter_rows()]
    problems.sort(key=lambda p: p.line)
    kept = frame.filter(~over).drop("inventory_gpus")
    return replace(result, frame=kept, problems=problems)
