"""Slurm sacct, serving-statistics and Electricity Maps files for the demo fleet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import hostlist
import numpy as np
import polars as pl

from pipeline.demo.inventory import STOCKHOLM, VIRGINIA, SiteSpec
from pipeline.demo.workloads import HOUR, Job

SACCT_FIELDS = "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment"


def utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _mem(gib: int) -> str:
    # Slurm prints a TRES memory count in the largest unit that divides it exactly
    return f"{gib // 1024}T" if gib % 1024 == 0 else f"{gib}G"


def _tres(job: Job, nodes: int, *, billing: bool, gres: bool = True) -> str:
    g = job.site.gpu
    gpus = job.gpus_per_node * nodes
    cpus = g.cpus_per_gpu * gpus
    parts = [f"billing={cpus}"] if billing else []
    parts.append(f"cpu={cpus}")
    if gres:
        parts += [f"gres/gpu:{g.gres_type}={gpus}", f"gres/gpu={gpus}"]
    parts += [f"mem={_mem(g.mem_g_per_gpu * gpus)}", f"node={nodes}"]
    return ",".join(parts)


def write_sacct(landing: Path, site: SiteSpec, jobs: list[Job], t0: int, days: int) -> Path:
    """`sacct --parsable2 --format=<SACCT_FIELDS>` for one cluster, as run at the period's end."""
    tz = ZoneInfo(site.timezone)

    def local(s: int | None) -> str:
        return "Unknown" if s is None else utc(s).astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")

    lines = [SACCT_FIELDS]
    for job in sorted((j for j in jobs if j.site.name == site.name), key=lambda j: j.job_id):
        nodes = len(job.hosts)
        nodelist = hostlist.collect_hostlist(list(job.hosts))
        start, end = local(job.start_s), local(job.end_s)
        lines.append(
            f"{job.job_id}|{job.name}|{job.user}|{job.account}|{job.partition}|{job.state}|"
            f"{start}|{end}|{nodelist}|{_tres(job, nodes, billing=True)}|{job.comment}"
        )
        step_state = job.state.split(" ")[0]  # "CANCELLED by <uid>" is only on the job line
        for step in job.steps:
            if step == "batch":
                # the batch script runs on the first node only
                lines.append(
                    f"{job.job_id}.batch|batch||{job.account}||{step_state}|{start}|{end}|"
                    f"{job.hosts[0]}|{_tres(job, 1, billing=False)}|"
                )
            elif step == "extern":
                ext_state = "RUNNING" if job.end_s is None else "COMPLETED"
                lines.append(
                    f"{job.job_id}.extern|extern||{job.account}||{ext_state}|{start}|{end}|"
                    f"{nodelist}|{_tres(job, nodes, billing=True)}|"
                )
            else:
                # the srun launcher starts a little after the allocation
                lines.append(
                    f"{job.job_id}.{step}|torchrun||{job.account}||{step_state}|"
                    f"{local(job.start_s + 41)}|{end}|{nodelist}|"
                    f"{_tres(job, nodes, billing=False)}|"
                )
    first = utc(t0).date()
    last = first + dt.timedelta(days=days)
    path = landing / "slurm" / site.name / f"sacct-{first.isoformat()}-{last.isoformat()}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path


def write_serving(
    landing: Path, jobs: list[Job], t0: int, days: int, rng: np.random.Generator
) -> list[Path]:
    """Hourly gateway statistics of every metered serve job, one file per UTC month."""
    period_end = t0 + days * 86400
    hour_start = t0 + HOUR * np.arange(days * 24, dtype=np.int64)
    frames = []
    for job in sorted(jobs, key=lambda j: j.job_id):
        if job.serve is None or job.hourly_load is None:
            continue
        # a job that started or stopped inside an hour served only part of it
        overlap = np.minimum(hour_start + HOUR, job.end_or(period_end)) - np.maximum(
            hour_start, job.start_s
        )
        frac = np.clip(overlap / HOUR, 0.0, 1.0)
        on = frac > 0
        requests = np.rint(job.serve.peak_requests_per_h * job.hourly_load * frac)[on]
        n = int(on.sum())
        tin = np.rint(requests * job.serve.input_tokens_per_request * rng.normal(1, 0.04, n))
        tout = np.rint(requests * job.serve.output_tokens_per_request * rng.normal(1, 0.05, n))
        frames.append(
            pl.DataFrame(
                {
                    "ts": hour_start[on],
                    "model": [job.serve.model] * n,
                    "deployment": [job.site.deployment] * n,
                    "requests": requests.astype(np.int64),
                    "input_tokens": tin.astype(np.int64),
                    "output_tokens": tout.astype(np.int64),
                }
            )
        )
    df = (
        pl.concat(frames)
        .with_columns(pl.from_epoch("ts", time_unit="s").alias("hour_dt"))
        .sort(["ts", "model", "deployment"])
    )
    out = df.select(
        pl.col("hour_dt").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("hour"),
        "model",
        "deployment",
        "requests",
        "input_tokens",
        "output_tokens",
        pl.col("hour_dt").dt.strftime("%Y-%m").alias("month"),
    )
    paths = []
    folder = landing / "serving"
    folder.mkdir(parents=True, exist_ok=True)
    for (month,), part in out.group_by(["month"], maintain_order=True):
        path = folder / f"requests-{month}.csv"
        part.drop("month").write_csv(path, line_terminator="\n")
        paths.append(path)
    return paths


EM_HEADER = [
    "Datetime (UTC)",
    "Country",
    "Zone Name",
    "Zone Id",
    "Carbon Intensity gCO₂eq/kWh (direct)",
    "Carbon Intensity gCO₂eq/kWh (LCA)",
    "Low Carbon Percentage",
    "Renewable Percentage",
    "Data Source",
    "Data Estimated",
    "Data Estimation Method",
]


@dataclass(frozen=True)
class _Zone:
    country: str
    name: str
    source: str
    mean: float  # gCO2e/kWh, direct
    swing: float  # amplitude of the daily cycle
    sigma: float  # hour-to-hour noise
    peak_local_h: int  # evening peak, when gas/coal units follow the load
    low: float
    high: float
    lca_factor: float  # life-cycle intensity = direct x factor + adder
    lca_adder: float
    low_carbon_pct: float
    renewable_pct: float
    estimated_at: float  # where in the period a run of hours is flagged as estimated
    estimated_hours: int
    hole_hours: int = 0  # hours missing from the middle of the period


_ZONES: dict[str, tuple[_Zone, str]] = {
    STOCKHOLM.grid_zone: (
        _Zone(
            country="Sweden",
            name="Central Sweden",
            source="entsoe.eu",
            mean=27.0,
            swing=9.0,
            sigma=3.0,
            peak_local_h=18,
            low=12.0,
            high=55.0,
            lca_factor=1.0,
            lca_adder=18.0,
            low_carbon_pct=97.5,
            renewable_pct=66.0,
            estimated_at=0.25,
            estimated_hours=3,
        ),
        STOCKHOLM.timezone,
    ),
    VIRGINIA.grid_zone: (
        _Zone(
            country="USA",
            name="PJM Interconnection, LLC",
            source="eia.gov",
            mean=372.0,
            swing=45.0,
            sigma=11.0,
            peak_local_h=19,
            low=280.0,
            high=480.0,
            lca_factor=1.12,
            lca_adder=25.0,
            low_carbon_pct=47.0,
            renewable_pct=9.0,
            estimated_at=0.62,
            estimated_hours=2,
            hole_hours=3,
        ),
        VIRGINIA.timezone,
    ),
}


def write_grid(landing: Path, t0: int, days: int, rng: np.random.Generator) -> list[Path]:
    """Electricity Maps hourly exports for both zones, covering the period plus a day each side.

    Some hours are flagged as estimated, and one zone misses 3 hours inside the period, so that
    the fallback path has something to do."""
    period = days * 86400
    hours = np.arange(t0 - 86400, t0 + period + 86400, HOUR, dtype=np.int64)
    paths = []
    for zone, (z, tz) in _ZONES.items():
        frame = pl.DataFrame({"ts": hours}).with_columns(
            pl.from_epoch("ts", time_unit="s").alias("dt")
        )
        local_h = (
            frame.select(
                pl.col("dt").dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.hour()
            )
            .to_series()
            .to_numpy()
        )
        # AR(1) noise: weather moves the mix for hours, not for one sample
        eps = rng.normal(0, z.sigma, hours.size)
        ar = np.zeros(hours.size)
        for i in range(1, hours.size):  # a few hundred hours: cheap
            ar[i] = 0.8 * ar[i - 1] + eps[i]
        cycle = np.cos(2 * np.pi * (local_h - z.peak_local_h) / 24)
        direct = np.clip(z.mean + z.swing * cycle + ar, z.low, z.high)
        lca = direct * z.lca_factor + z.lca_adder + rng.normal(0, z.sigma / 3, hours.size)
        # more fossil on the margin means a smaller low-carbon share
        low_carbon = np.clip(z.low_carbon_pct - (direct - z.mean) * 0.09, 0, 100)
        renewable = np.clip(z.renewable_pct + rng.normal(0, 2.0, hours.size), 0, 100)

        estimated = np.zeros(hours.size, dtype=bool)
        first_in = 24  # index of the period's first hour
        n_in = days * 24
        est_at = first_in + int(n_in * z.estimated_at)
        estimated[est_at : est_at + z.estimated_hours] = True
        keep = np.ones(hours.size, dtype=bool)
        hole = first_in + n_in // 2
        keep[hole : hole + z.hole_hours] = False

        def r2(a: np.ndarray) -> pl.Series:
            return pl.Series(np.round(a, 2)).cast(pl.String)

        out = pl.DataFrame(
            {
                EM_HEADER[0]: frame["dt"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                EM_HEADER[1]: [z.country] * hours.size,
                EM_HEADER[2]: [z.name] * hours.size,
                EM_HEADER[3]: [zone] * hours.size,
                EM_HEADER[4]: r2(direct),
                EM_HEADER[5]: r2(lca),
                EM_HEADER[6]: r2(low_carbon),
                EM_HEADER[7]: r2(renewable),
                EM_HEADER[8]: np.where(estimated, "Electricity Maps Estimation", z.source),
                EM_HEADER[9]: np.where(estimated, "true", "false"),
                EM_HEADER[10]: pl.Series(
                    ["ESTIMATED_TIME_SLICER_AVERAGE" if e else None for e in estimated],
                    dtype=pl.String,
                ),
                "year": frame["dt"].dt.year(),
            }
        ).filter(pl.Series(keep))
        folder = landing / "grid"
        folder.mkdir(parents=True, exist_ok=True)
        for (year,), part in out.group_by(["year"], maintain_order=True):
            path = folder / f"electricitymaps-{zone}-{year}.csv"
            part.drop("year").write_csv(path, line_terminator="\n")
            paths.append(path)
    return paths
