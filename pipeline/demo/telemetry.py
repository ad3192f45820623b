"""nvidia-smi CSV logs for the demo fleet, one file per host and local day.

The files look like `nvidia-smi --query-gpu=timestamp,index,uuid,name,power.draw,utilization.gpu,
memory.used --format=csv -l <interval>` output: local time without a zone, units inside the values,
", " between fields. Everything is built as numpy arrays and polars string expressions; a Python
loop runs per host and per job, never per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.demo.hardware import GPUS_PER_NODE
from pipeline.demo.inventory import SITES, SiteSpec
from pipeline.demo.workloads import MEMORY_SHARE, Job, utilisation

HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


@dataclass(frozen=True)
class Imperfections:
    """Realistic flaws: a host whose logger stopped for a while, and a poll where the driver
    could not read one GPU's power."""

    gap_host: str
    gap_start_s: int
    gap_end_s: int
    na_host: str
    na_time_s: int
    na_gpu: int


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    digits = rng.integers(0, 16, size=(n, 32))
    out = []
    for row in digits:
        h = "".join(f"{d:x}" for d in row)
        out.append(f"GPU-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _host_samples(
    site: SiteSpec,
    host: str,
    jobs: list[Job],
    t0: int,
    period_end: int,
    interval_s: int,
    flaws: Imperfections,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    gpu = site.gpu
    t = np.arange(t0, period_end, interval_s, dtype=np.int64)
    util = np.zeros((t.size, GPUS_PER_NODE))
    mem_share = np.zeros((t.size, GPUS_PER_NODE))
    for job in jobs:
        if host not in job.gpu_indices:
            continue
        k0, k1 = np.searchsorted(t, [job.start_s, job.end_or(period_end)], side="left")
        if k1 <= k0:
            continue
        idx = list(job.gpu_indices[host])
        util[k0:k1, idx] = utilisation(job, t[k0:k1], len(idx), t0, rng)
        mem_share[k0:k1, idx] = MEMORY_SHARE[job.profile]

    # boards differ a little in leakage and efficiency; the clip keeps every value in the
    # physical envelope [0.9 idle, 1.02 TDP] that the tests assert
    idle_w = gpu.idle_w * rng.uniform(0.96, 1.06, GPUS_PER_NODE)
    dyn_w = (gpu.tdp_w - gpu.idle_w) * rng.uniform(0.97, 1.03, GPUS_PER_NODE)
    noise = rng.normal(0.0, 1.0, util.shape) * (0.002 * gpu.tdp_w + 0.012 * dyn_w * util)
    power = np.clip(idle_w + dyn_w * util + noise, gpu.idle_w * 0.9, gpu.tdp_w * 1.02)
    centiwatts = np.rint(power * 100).astype(np.int64)
    busy = mem_share > 0
    mem = np.where(
        busy, mem_share * gpu.memory_mib * rng.uniform(0.985, 1.0, util.shape), 0.0
    ).astype(np.int64)
    util_pct = np.rint(util * 100).astype(np.int64)

    # nvidia-smi -l prints the wall clock with milliseconds; the poll lands a little after the tick
    ms = rng.integers(0, 300) + rng.integers(0, 150, t.size)
    ts_ms = t * 1000 + ms

    keep = np.ones(t.size, dtype=bool)
    na = np.zeros(util.shape, dtype=bool)
    if host == flaws.gap_host:
        keep &= ~((t >= flaws.gap_start_s) & (t < flaws.gap_end_s))
    if host == flaws.na_host:
        k = int(np.searchsorted(t, flaws.na_time_s))
        na[min(k, t.size - 1), flaws.na_gpu] = True

    n = int(keep.sum())
    return {
        "ts_ms": np.repeat(ts_ms[keep], GPUS_PER_NODE),
        "index": np.tile(np.arange(GPUS_PER_NODE), n),
        "power_cw": centiwatts[keep].ravel(),
        "power_na": na[keep].ravel(),
        "util": util_pct[keep].ravel(),
        "mem": mem[keep].ravel(),
    }


def write_node_power(landing: Path, site: SiteSpec, samples: pl.DataFrame) -> None:
    """BMC node power for an on-premises site, one CSV per host under landing/power/<site>/: the
    GPUs' draw at each poll plus the server's non-GPU power, which rises a little with GPU load
    (CPUs feeding the GPUs). Polls where any GPU read [N/A] are left out, as a BMC export would
    simply have no reading then."""
    base = site.server.overhead_w
    node = (
        samples.group_by("host", "ts_ms", maintain_order=True)
        .agg(
            gpu_w=pl.col("power_cw").sum() / 100.0,
            util=pl.col("util").mean(),
            na=pl.col("power_na").any(),
        )
        .filter(~pl.col("na"))
        .with_columns(
            node_w=(pl.col("gpu_w") + base * (0.8 + 0.3 * pl.col("util") / 100.0)).round(1),
            ts=pl.from_epoch("ts_ms", time_unit="ms").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    )
    folder = landing / "power" / site.name
    folder.mkdir(parents=True, exist_ok=True)
    for (host,), part in node.group_by("host", maintain_order=True):
        text = "\n".join(
            part.select(
                pl.concat_str(
                    pl.col("ts"), pl.col("host"), pl.col("node_w").cast(pl.String), separator=","
                )
            ).to_series()
        )
        (folder / f"bmc-{host}.csv").write_text(
            f"timestamp,host,node_power_w\n{text}\n", encoding="utf-8", newline="\n"
        )


def write_telemetry(
    landing: Path,
    jobs: list[Job],
    t0: int,
    period_end: int,
    interval_s: int,
    flaws: Imperfections,
    rng: np.random.Generator,
) -> int:
    """Write every host's logs under landing/telemetry/<host>/; return the number of sample rows."""
    rows = 0
    for site in SITES:
        hosts = site.host_names
        uuids = _uuids(rng, len(hosts) * GPUS_PER_NODE)
        parts = []
        for h, host in enumerate(hosts):
            s = _host_samples(site, host, jobs, t0, period_end, interval_s, flaws, rng)
            frame = pl.DataFrame(s).with_columns(
                pl.lit(host).alias("host"),
                pl.Series("uuid", uuids[h * GPUS_PER_NODE : (h + 1) * GPUS_PER_NODE])
                .gather(s["index"])
                .alias("uuid"),
            )
            parts.append(frame)
        df = pl.concat(parts)
        rows += df.height
        if site.has_bmc:
            write_node_power(landing, site, df)
        smi_files(landing, site, df)
    return rows


def smi_files(landing: Path, site: SiteSpec, df: pl.DataFrame, append: bool = False) -> list[Path]:
    """Write samples (columns ts_ms, host, index, uuid, power_cw, power_na, util, mem) as
    nvidia-smi logs, landing/telemetry/<host>/nvidia-smi-<local day>.csv; with `append`, a file
    that exists is extended (the fleet benchmark writes one UTC day at a time)."""
    local = (
        pl.from_epoch("ts_ms", time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(site.timezone)
    )
    cw = pl.col("power_cw")
    power = (
        pl.when(pl.col("power_na"))
        .then(pl.lit("[N/A]"))
        .otherwise(
            pl.concat_str(
                (cw // 100).cast(pl.String),
                pl.lit("."),
                (cw % 100).cast(pl.String).str.zfill(2),
                pl.lit(" W"),
            )
        )
    )
    lines = df.select(
        pl.col("host"),
        local.dt.strftime("%Y-%m-%d").alias("day"),
        pl.concat_str(
            local.dt.strftime("%Y/%m/%d %H:%M:%S%.3f"),
            pl.col("index").cast(pl.String),
            pl.col("uuid"),
            pl.lit(site.gpu.smi_name),
            power,
            pl.col("util").cast(pl.String) + " %",
            pl.col("mem").cast(pl.String) + " MiB",
            separator=", ",
        ).alias("line"),
    )
    files = lines.group_by(["host", "day"], maintain_order=True).agg(pl.col("line").str.join("\n"))
    paths = []
    for host, day, text in files.iter_rows():
        path = landing / "telemetry" / host / f"nvidia-smi-{day}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        if append and path.exists():
            with path.open("a", encoding="utf-8", newline="\n") as fh:
                fh.write(f"{text}\n")
        else:
            path.write_text(f"{HEADER}\n{text}\n", encoding="utf-8", newline="\n")
        paths.append(path)
    return paths
