"""A fleet of any size for the scale benchmarks: GPUs × days × cadence, with jobs, serving,
billing and grid data, written as landing files in the formats wattprint reads.

    .venv/bin/python -m benchmarks.fleet OUT --gpus 10000 --days 1 --cadence-s 15

Two sites, as in the demo (pipeline/demo), scaled: seven eighths of the hosts are on-premises
H100 nodes in Stockholm, one eighth are AWS p4d instances in Virginia (billed hourly in a FOCUS
export). Hosts are grouped in blocks of 16 (128 GPUs); by block, a block runs

- pre-training: one 16-node job per model, restarted every 3 days from a checkpoint;
- serving: one always-on serve job per host (metered: hourly requests and tokens);
- fine-tuning then evaluation, back to back with idle gaps between them;
- development: 1-4 GPU notebook sessions with idle hours between them.

Telemetry is the canonical telemetry Parquet (docs/telemetry-parquet.md), as a telemetry lake
holds it: `telemetry/lake/<UTC day>/part-<block>.parquet`, one file per day and 128 hosts, rows
sorted by host, GPU and time, zstd, row groups of about a million rows. With `--smi` the same
samples are written as nvidia-smi CSV logs instead, one per host and local day, as the demo
writes them. Slurm accounting is one sacct file per site and UTC day (the jobs that started that
day, as run after they finished or at the end of the period); serving, billing and grid files are
one per month for the whole period. The same arguments give the same files.

Everything per sample is numpy; Python loops run per file, block, host and job.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import typer
import yaml

from pipeline.demo.billing import write_billing
from pipeline.demo.fleet import CONFIG_NAME, write_hydro_profile
from pipeline.demo.hardware import GPUS_PER_NODE
from pipeline.demo.inventory import (
    HYDRO_PROFILE,
    STOCKHOLM,
    VIRGINIA,
    SiteSpec,
    config_dict,
)
from pipeline.demo.telemetry import smi_files
from pipeline.demo.workloads import HOUR, Job, Profile, ServeSpec, owned_job, utilisation
from pipeline.demo.writers import write_grid, write_sacct, write_serving

BLOCK_HOSTS = 16
DAY = 86400
ROW_GROUP = 1 << 20
# what a block does, by block number modulo 10: 4 pre-training, 2 serving, 3 fine-tuning, 1 dev
ROLES = (
    "pretrain", "serve", "finetune", "dev", "pretrain", "serve", "finetune", "pretrain",
    "finetune", "pretrain",
)  # fmt: skip


@dataclass(frozen=True)
class FleetSpec:
    gpus: int
    days: int = 1
    cadence_s: int = 15
    start: date = date(2026, 10, 1)
    seed: int = 7
    smi: bool = False  # nvidia-smi CSV instead of telemetry Parquet

    @property
    def t0(self) -> int:
        return int(dt.datetime(*self.start.timetuple()[:3], tzinfo=dt.UTC).timestamp())

    @property
    def samples(self) -> int:
        return self.gpus // GPUS_PER_NODE * GPUS_PER_NODE * self.days * (DAY // self.cadence_s)


@dataclass(frozen=True)
class Fleet:
    spec: FleetSpec
    config_path: Path
    sites: tuple[SiteSpec, ...]
    jobs: list[Job]
    telemetry_files: list[Path]
    samples: int


def sites_for(gpus: int) -> tuple[SiteSpec, SiteSpec]:
    """The demo's two sites with `gpus` GPUs between them (8 per host, at least one host each)."""
    hosts = gpus // GPUS_PER_NODE
    if hosts < 2:
        raise ValueError(f"a fleet needs at least 16 GPUs (2 hosts), got {gpus}")
    cloud = max(1, hosts // 8)
    return (
        replace(STOCKHOLM, hosts=f"sto-h100-[00001-{hosts - cloud:05d}]", has_bmc=False),
        replace(VIRGINIA, hosts=f"use1-a100-[00001-{cloud:05d}]"),
    )


def _models(n_blocks: int) -> list[str]:
    return [f"m{k:02d}-{size}b" for k, size in enumerate((7, 13, 34, 70) * 13)][
        : max(1, min(50, n_blocks))
    ]


class _Jobs:
    """Builds the job list; ids are per site, in the order jobs are added."""

    def __init__(self, t0: int, days: int, rng: np.random.Generator) -> None:
        self.t0, self.end, self.rng = t0, t0 + days * DAY, rng
        self.jobs: list[Job] = []
        self.next_id: dict[str, int] = {STOCKHOLM.name: 5_100_000, VIRGINIA.name: 31_000}

    def add(
        self,
        name: str,
        site: SiteSpec,
        hosts: list[str],
        gpus: int,
        start: int,
        end: int | None,
        profile: Profile,
        **kw: object,
    ) -> Job:
        state = "RUNNING" if end is None else "COMPLETED"
        job = owned_job(name, site, hosts, gpus, start, end, state, profile, **kw)
        job.job_id = self.next_id[site.name]
        self.next_id[site.name] += 1
        job.gpu_indices = {h: tuple(range(gpus)) for h in hosts}
        self.jobs.append(job)
        return job

    def back_to_back(
        self, site: SiteSpec, host: str, profiles: tuple[Profile, ...], model: str
    ) -> None:
        """One host's day: jobs of 0.5-6 h with idle gaps of up to 2 h, until the period ends."""
        t = self.t0 + int(self.rng.integers(0, 3600))
        while True:
            profile = profiles[int(self.rng.integers(0, len(profiles)))]
            hours = {"finetune": (2, 6), "eval": (0.5, 2), "dev": (1, 4)}[profile]
            end = t + int(self.rng.uniform(*hours) * HOUR)
            if end > self.end:
                return
            if profile == "dev":
                self.add(
                    f"jupyter-{host}", site, [host], int(self.rng.integers(1, 5)), t, end, "dev"
                )
            elif profile == "eval":
                self.add(f"eval-mmlu-{model}", site, [host], 4, t, end, "eval")
            else:
                self.add(f"ft-{model}", site, [host], 8, t, end, "finetune")
            t = end + int(self.rng.uniform(0, 2) * HOUR)


def build_jobs(spec: FleetSpec, sites: tuple[SiteSpec, ...], rng: np.random.Generator) -> list[Job]:
    """Every job of the period, by block role (see the module doc)."""
    jobs = _Jobs(spec.t0, spec.days, rng)
    blocks = [(b.site, b.hosts) for b in _blocks(sites)]
    models = _models(len(blocks))
    seen: dict[str, int] = {}
    for b, (site, hosts) in enumerate(blocks):
        role = ROLES[b % len(ROLES)]
        # the k-th block of each role works on model k: trained, fine-tuned and served
        seen[role] = seen.get(role, -1) + 1
        model = models[seen[role] % len(models)]
        if role == "pretrain":
            t = spec.t0 - int(rng.integers(0, DAY))  # the run began before the period
            while t < jobs.end:
                end = t + 3 * DAY
                jobs.add(f"pretrain-{model}", site, hosts, 8, t, None if end > jobs.end else end,
                         "pretrain")  # fmt: skip
                t = end + int(rng.integers(600, 3600))
        elif role == "serve":
            load = _load(spec, rng)
            for host in hosts:
                job = jobs.add(
                    f"serve-{model}", site, [host], 8, spec.t0 - HOUR, None, "serve",
                    serve=ServeSpec(model, 60_000, 900, 300),
                )  # fmt: skip
                job.hourly_load = load
        else:
            profiles: tuple[Profile, ...] = (
                ("finetune", "eval", "eval") if role == "finetune" else ("dev",)
            )
            for host in hosts:
                jobs.back_to_back(site, host, profiles, model)
    return jobs.jobs


def _load(spec: FleetSpec, rng: np.random.Generator) -> np.ndarray:
    """Requests relative to the peak per period hour: a daily cycle with noise."""
    hours = np.arange(spec.days * 24)
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 2.0) / 24)
    return np.clip((0.15 + 0.85 * day) * rng.normal(1.0, 0.05, hours.size), 0.05, 1.0)


@dataclass(frozen=True)
class _Block:
    site: SiteSpec
    hosts: list[str]
    number: int


def _blocks(sites: tuple[SiteSpec, ...]) -> list[_Block]:
    """Each site's hosts in blocks of 16 (of 2 in a fleet under 128 hosts, so that a small fleet
    has every role)."""
    total = sum(len(s.host_names) for s in sites)
    size = BLOCK_HOSTS if total >= 128 else 2
    out = []
    for site in sites:
        names = site.host_names
        for i in range(0, len(names), size):
            out.append(_Block(site, names[i : i + size], len(out)))
    return out


def block_day(
    block: _Block, jobs: list[Job], day_t0: int, spec: FleetSpec, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One block's samples for one UTC day, host-major: ts (s), host number in the block, GPU
    index, power (W), utilisation (%)."""
    gpu = block.site.gpu
    t = np.arange(day_t0, day_t0 + DAY, spec.cadence_s, dtype=np.int64)
    n = len(block.hosts) * GPUS_PER_NODE
    util = np.zeros((t.size, n), dtype=np.float64)
    col = {h: i * GPUS_PER_NODE for i, h in enumerate(block.hosts)}
    for job in jobs:
        hosts = [h for h in job.hosts if h in col]
        if not hosts or job.start_s >= day_t0 + DAY or job.end_or(day_t0 + DAY) <= day_t0:
            continue
        k0, k1 = np.searchsorted(t, [job.start_s, job.end_or(day_t0 + DAY)])
        cols = [col[h] + g for h in hosts for g in job.gpu_indices[h]]
        util[k0:k1, cols] = utilisation(job, t[k0:k1], len(cols), spec.t0, rng)
    idle_w = gpu.idle_w * rng.uniform(0.96, 1.06, n)
    dyn_w = (gpu.tdp_w - gpu.idle_w) * rng.uniform(0.97, 1.03, n)
    noise = rng.normal(0.0, 1.0, util.shape) * (0.002 * gpu.tdp_w + 0.012 * dyn_w * util)
    power = np.clip(idle_w + dyn_w * util + noise, gpu.idle_w * 0.9, gpu.tdp_w * 1.02)
    # host-major, then GPU, then time: the order a lake file is sorted in
    return {
        "ts": np.tile(t, n),
        "host": np.repeat(np.arange(len(block.hosts), dtype=np.int32), GPUS_PER_NODE * t.size),
        "gpu_index": np.repeat(
            np.tile(np.arange(GPUS_PER_NODE, dtype=np.int32), len(block.hosts)), t.size
        ),
        "power_w": np.round(power.T.ravel(), 2),
        "util_pct": np.rint(util.T.ravel() * 100),
    }


def write_lake_file(path: Path, block: _Block, s: dict[str, np.ndarray]) -> None:
    hosts = pa.DictionaryArray.from_arrays(pa.array(s["host"]), pa.array(block.hosts))
    table = pa.table(
        {
            "ts_utc": pa.array(s["ts"] * 1_000_000, pa.timestamp("us")),
            "host": hosts,
            "gpu_index": pa.array(s["gpu_index"]),
            "power_w": pa.array(s["power_w"]),
            "util_pct": pa.array(s["util_pct"]),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP)


def write_smi_files(landing: Path, block: _Block, s: dict[str, np.ndarray]) -> list[Path]:
    frame = pl.DataFrame(
        {
            "ts_ms": s["ts"] * 1000,
            "host": np.asarray(block.hosts)[s["host"]],
            "index": s["gpu_index"],
            "power_cw": np.rint(s["power_w"] * 100).astype(np.int64),
            "power_na": np.zeros(s["ts"].size, dtype=bool),
            "util": s["util_pct"].astype(np.int64),
            "mem": np.zeros(s["ts"].size, dtype=np.int64),
        }
    ).with_columns(
        # a made-up but well-formed UUID per GPU
        uuid=pl.format(
            "GPU-{}-0000-4000-8000-{}",
            pl.col("host").str.slice(-5).str.zfill(8),
            pl.col("index").cast(pl.String).str.zfill(12),
        )
    )
    return smi_files(landing, block.site, frame.sort("host", "ts_ms", "index"), append=True)


def _days(spec: FleetSpec) -> Iterator[tuple[date, int]]:
    for d in range(spec.days):
        yield spec.start + dt.timedelta(days=d), spec.t0 + d * DAY


def generate(out_dir: Path, spec: FleetSpec, progress=lambda msg: None) -> Fleet:
    """Write the fleet's landing files and config under `out_dir`, replacing what an earlier
    fleet left there (landing files, warehouse, reports)."""
    out_dir = Path(out_dir)
    config = config_dict(spec.start)
    paths = config["paths"]
    for rel in (paths["landing"], Path(paths["warehouse"]).parent, paths["reports"]):
        shutil.rmtree(out_dir / rel, ignore_errors=True)
    landing = out_dir / paths["landing"]
    landing.mkdir(parents=True)
    r_jobs, r_tel, r_serve, r_bill, r_grid = np.random.default_rng(spec.seed).spawn(5)
    sites = sites_for(spec.gpus)
    jobs = build_jobs(spec, sites, r_jobs)
    blocks = _blocks(sites)
    files: list[Path] = []
    for day, day_t0 in _days(spec):
        for block in blocks:
            mine = [j for j in jobs if j.site.name == block.site.name and j.hosts[0] in block.hosts]
            s = block_day(block, mine, day_t0, spec, r_tel)
            if spec.smi:
                files += write_smi_files(landing, block, s)
            else:
                path = (
                    landing
                    / "telemetry"
                    / "lake"
                    / day.isoformat()
                    / f"part-{block.number:04d}.parquet"
                )
                write_lake_file(path, block, s)
                files.append(path)
        for site in sites:
            started = [
                j
                for j in jobs
                if j.site.name == site.name and day_t0 <= max(j.start_s, spec.t0) < day_t0 + DAY
            ]
            write_sacct(landing, site, started, day_t0, 1)
        progress(f"{day}: {len(blocks)} blocks of telemetry, sacct")
    write_serving(landing, jobs, spec.t0, spec.days, r_serve)
    write_billing(landing, spec.t0, spec.days, r_bill, hosts=sites[1].host_names)
    write_grid(landing, spec.t0, spec.days, r_grid)
    write_hydro_profile(out_dir / HYDRO_PROFILE)
    config["host_groups"] = [
        {
            "hosts": s.hosts,
            "site": s.name,
            "gpu_model": s.gpu.key,
            "gpus": GPUS_PER_NODE,
            "server_model": s.server.key,
        }
        for s in sites
    ]
    config["reporting"]["title"] = (
        f"AI energy and carbon disclosure (benchmark fleet, {spec.gpus:,} GPUs)"
    )
    config_path = out_dir / CONFIG_NAME
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, width=100), encoding="utf-8")
    return Fleet(spec, config_path, sites, jobs, sorted(set(files)), spec.samples)


def main(
    out: Path,
    gpus: int = typer.Option(1024, help="GPUs (8 per host)"),
    days: int = typer.Option(1, help="UTC days from --start"),
    cadence_s: int = typer.Option(15, help="seconds between samples"),
    start: str = typer.Option("2026-10-01", help="first UTC day"),
    smi: bool = typer.Option(False, help="nvidia-smi CSV logs instead of telemetry Parquet"),
) -> None:
    spec = FleetSpec(gpus, days, cadence_s, date.fromisoformat(start), smi=smi)
    fleet = generate(out, spec, progress=print)
    print(
        f"{fleet.samples:,} samples in {len(fleet.telemetry_files)} files, "
        f"{len(fleet.jobs):,} jobs; config {fleet.config_path}"
    )


if __name__ == "__main__":
    typer.run(main)
