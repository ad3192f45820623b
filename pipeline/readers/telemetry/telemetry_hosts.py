"""Per host, what a set of GPU-sample files shows: GPUs seen against the inventory, time span and
cadence. `wattprint validate` prints it, so a log whose GPUs or cadence are not what the host has
is seen before it is ingested."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

SCHEMA = {
    "host": pl.String,
    "gpus_seen": pl.UInt32,
    "gpus_configured": pl.Int32,
    "first_utc": pl.Datetime("us"),
    "last_utc": pl.Datetime("us"),
    "cadence_s": pl.Float64,
    "samples": pl.UInt32,
}


def telemetry_hosts(
    frames: list[pl.DataFrame], gpus_per_host: Mapping[str, int] | None
) -> pl.DataFrame:
    """One row per host of the accepted GPU samples in `frames` (`host`, `gpu_index`, `ts_utc`):
    distinct GPUs, the inventory's GPU count (null when the host is not in it), first and last
    sample (UTC), the median time between a GPU's consecutive samples (s) and the sample count."""
    frames = [f.select("host", "gpu_index", "ts_utc") for f in frames if f.height]
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    samples = pl.concat(frames).sort("host", "gpu_index", "ts_utc")
    step = pl.col("ts_utc").diff().over("host", "gpu_index").dt.total_microseconds() / 1e6
    inventory = pl.DataFrame(
        {
            "host": list(gpus_per_host or {}),
            "gpus_configured": list((gpus_per_host or {}).values()),
        },
        schema={"host": pl.String, "gpus_configured": pl.Int32},
    )
    return (
        samples.with_columns(step_s=step)
        .group_by("host")
        .agg(
            gpus_seen=pl.col("gpu_index").n_unique().cast(pl.UInt32),
            first_utc=pl.col("ts_utc").min(),
            last_utc=pl.col("ts_utc").max(),
            cadence_s=pl.col("step_s").filter(pl.col("step_s") > 0).median(),
            samples=pl.len().cast(pl.UInt32),
        )
        .join(inventory, on="host", how="left")
        .select(list(SCHEMA))
        .sort("host")
    )
