"""A deterministic demo fleet: two sites, 128 GPUs, two weeks of landing files in real formats.

`generate_fleet` writes GPU telemetry (nvidia-smi CSV), Slurm accounting (sacct --parsable2),
serving statistics, a FOCUS cost export and Electricity Maps grid data under `out_dir/landing`,
and a `wattprint.yaml` whose paths are relative to `out_dir`. The same seed gives byte-identical
files.

Layout under out_dir/landing:
    telemetry/<host>/nvidia-smi-<local YYYY-MM-DD>.csv
    slurm/<site>/sacct-<first day>-<day after the last>.txt
    serving/requests-<YYYY-MM>.csv
    requests/request-log-<YYYY-MM>.csv   (one model's per-request log, its audit hour each day)
    billing/focus-<YYYY-MM>.csv
    grid/electricitymaps-<zone>-<YYYY>.csv
    declared/lynx-13b-base.csv   (declared usage: the base model's pre-training elsewhere)
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from pipeline.demo.billing import write_billing
from pipeline.demo.declared import write_declared
from pipeline.demo.inventory import (
    HYDRO_MWH_PER_HOUR,
    HYDRO_PROFILE,
    SITES,
    STOCKHOLM,
    VIRGINIA,
    config_dict,
)
from pipeline.demo.requests import write_request_log
from pipeline.demo.telemetry import Imperfections, write_telemetry
from pipeline.demo.workloads import HOUR, Job, build_jobs
from pipeline.demo.writers import write_grid, write_sacct, write_serving

CONFIG_NAME = "wattprint.yaml"


@dataclass(frozen=True)
class FleetSummary:
    config_path: Path
    jobs: list[Job]
    telemetry_rows: int


def _flaws(jobs: list[Job], t0: int, days: int) -> Imperfections:
    # the logger on the second Virginia node dies for an hour in the middle of a fine-tune, so
    # the pipeline has to estimate that job's energy for the gap
    ft = next(j for j in jobs if j.name == "ft-lynx-13b" and j.state == "COMPLETED")
    assert ft.end_s is not None
    gap_start = (ft.start_s + ft.end_s) // 2
    return Imperfections(
        gap_host=VIRGINIA.host_names[1],
        gap_start_s=gap_start,
        gap_end_s=gap_start + HOUR,
        na_host=STOCKHOLM.host_names[9],
        na_time_s=t0 + days * 86400 // 2,
        na_gpu=3,
    )


def write_hydro_profile(path: Path) -> None:
    """The Stockholm PPA's delivery for every UTC hour of 2026 (`hour_utc,mwh`): run-of-river
    output is steady, so a flat profile with a small night-time dip from the plant's pondage."""
    hours = np.arange(0, 365 * 24)
    mwh = HYDRO_MWH_PER_HOUR * np.where(hours % 24 < 6, 0.8, 1.0)
    first = dt.datetime(2026, 1, 1)
    lines = ["hour_utc,mwh"] + [
        f"{(first + dt.timedelta(hours=int(h))).isoformat()}Z,{m:.4f}"
        for h, m in zip(hours, mwh, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def build_fleet(
    out_dir: Path,
    *,
    seed: int = 7,
    days: int = 14,
    start: date = date(2026, 10, 1),
    sample_interval_s: int = 300,
    overwrite: bool = False,
) -> FleetSummary:
    """`generate_fleet`, also returning the job list and the telemetry row count."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if not 1 <= sample_interval_s <= 900:
        # longer than the config's max_gap_s and every sample would count as a gap
        raise ValueError(f"sample_interval_s must be 1-900 s, got {sample_interval_s}")
    out_dir = Path(out_dir)
    landing = out_dir / "landing"
    if landing.exists() and any(landing.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{landing} is not empty; pass overwrite=True to replace the demo files"
            )
        shutil.rmtree(landing)
    landing.mkdir(parents=True, exist_ok=True)

    # one independent stream per output, so changing one writer leaves the others' bytes alone
    # (a stream added later goes last: spawn(n)'s first streams do not depend on n)
    r_jobs, r_tel, r_serve, r_bill, r_grid, r_log = np.random.default_rng(seed).spawn(6)
    t0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    period_end = t0 + days * 86400

    jobs = build_jobs(t0, days, r_jobs)
    rows = write_telemetry(
        landing, jobs, t0, period_end, sample_interval_s, _flaws(jobs, t0, days), r_tel
    )
    for site in SITES:
        write_sacct(landing, site, jobs, t0, days)
    write_request_log(landing, write_serving(landing, jobs, t0, days, r_serve), r_log)
    write_billing(landing, t0, days, r_bill)
    write_grid(landing, t0, days, r_grid)
    write_declared(landing, start)

    write_hydro_profile(out_dir / HYDRO_PROFILE)
    config_path = out_dir / CONFIG_NAME
    header = (
        f"# wattprint demo fleet (pipeline.demo.fleet, seed={seed}, {days} days from "
        f"{start.isoformat()}).\n# Paths are relative to this file. See wattprint.example.yaml "
        "for what each key means.\n"
    )
    body = yaml.safe_dump(config_dict(start), sort_keys=False, allow_unicode=True, width=100)
    config_path.write_text(header + body, encoding="utf-8", newline="\n")
    return FleetSummary(config_path=config_path, jobs=jobs, telemetry_rows=rows)


def generate_fleet(
    out_dir: Path,
    *,
    seed: int = 7,
    days: int = 14,
    start: date = date(2026, 10, 1),
    sample_interval_s: int = 300,
    overwrite: bool = False,
) -> Path:
    """Write the demo fleet's landing files and config under `out_dir`; return the config path.

    Refuses a non-empty `out_dir/landing` unless `overwrite`, which deletes that folder first
    (stale files from a longer run would otherwise be read as part of this one)."""
    return build_fleet(
        out_dir,
        seed=seed,
        days=days,
        start=start,
        sample_interval_s=sample_interval_s,
        overwrite=overwrite,
    ).config_path
