"""The demo fleet's jobs and how busy they keep their GPUs.

Job times are fractions of the period (plus a few fixed durations), so a 2-day fleet used by the
tests has the same story as the 14-day default: pre-training with a failure and a restart,
fine-tunes, evaluations, always-on serving, a development session, a tagged job, an untagged
outlier, idle gaps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from pipeline.demo.hardware import GPUS_PER_NODE
from pipeline.demo.inventory import STOCKHOLM, VIRGINIA, SiteSpec

Profile = Literal["pretrain", "finetune", "eval", "serve", "dev", "bench"]

HOUR = 3600


@dataclass(frozen=True)
class ServeSpec:
    model: str
    peak_requests_per_h: float
    input_tokens_per_request: float
    output_tokens_per_request: float


@dataclass
class Job:
    name: str
    site: SiteSpec
    hosts: tuple[str, ...]
    gpus_per_node: int
    start_s: int  # UTC epoch seconds
    end_s: int | None  # None: still running when sacct was run
    state: str
    profile: Profile
    user: str
    account: str
    partition: str
    comment: str = ""
    steps: tuple[str, ...] = ()  # step suffixes sacct lists under the job, e.g. ("batch", "extern")
    serve: ServeSpec | None = None
    job_id: int = 0
    gpu_indices: dict[str, tuple[int, ...]] = field(default_factory=dict)
    hourly_load: np.ndarray | None = None  # serve jobs: demand per period hour, 0-1

    def end_or(self, period_end_s: int) -> int:
        return period_end_s if self.end_s is None else self.end_s


# who runs each kind of job, under which account and partition, and which steps sacct lists
_OWNERS: dict[Profile, tuple[str, str, str, tuple[str, ...]]] = {
    "pretrain": ("akarlsson", "foundation", "train", ("batch", "extern", "0")),
    "finetune": ("psharma", "applied", "gpu", ("batch", "extern")),
    "eval": ("lnguyen", "evals", "train", ()),
    "serve": ("svc-serve", "serving", "serve", ("batch", "extern")),
    "dev": ("mchen", "research", "dev", ()),
    "bench": ("ops-svc", "infra", "train", ()),
}


def owned_job(
    name: str,
    site: SiteSpec,
    hosts: list[str],
    gpus: int,
    start: int,
    end: int | None,
    state: str,
    profile: Profile,
    **kw: Any,
) -> Job:
    """A job with the user, account, partition and steps its kind of work has (`kw` overrides)."""
    user, account, partition, steps = _OWNERS[profile]
    fields: dict[str, Any] = dict(user=user, account=account, partition=partition, steps=steps)
    return Job(name, site, tuple(hosts), gpus, start, end, state, profile, **(fields | kw))


def build_jobs(t0: int, days: int, rng: np.random.Generator) -> list[Job]:
    """All jobs of the period [t0, t0 + days), with ids and GPU indices assigned."""
    period = days * 86400
    end_of_period = t0 + period

    def at(frac: float) -> int:
        # jobs start when the scheduler gets to them, not on the minute
        return t0 + int(round(frac * period)) + int(rng.integers(0, 600))

    def span(frac: float) -> int:
        return int(round(frac * period))

    jobs: list[Job] = []

    def add(
        name: str,
        site: SiteSpec,
        hosts: list[str],
        gpus: int,
        start: int,
        end: int | None,
        state: str,
        profile: Profile,
        **kw: Any,
    ) -> Job:
        job = owned_job(name, site, hosts, gpus, start, end, state, profile, **kw)
        if end is not None and not start < end <= end_of_period:
            raise AssertionError(f"demo job {name} has an impossible end time")
        jobs.append(job)
        return job

    sto, use = STOCKHOLM.host_names, VIRGINIA.host_names
    S, V = STOCKHOLM, VIRGINIA

    # Stockholm 001-008: pre-training; a node failure kills run 1, and the restart from the last
    # checkpoint waits ~3 h for the replacement node; then evaluations and an NCCL benchmark
    run1 = add("pretrain-atlas-7b", S, sto[:8], 8, at(0.03), t0 + span(0.31), "FAILED", "pretrain")
    assert run1.end_s is not None
    restart = run1.end_s + 3 * HOUR + int(rng.integers(0, 900))
    add("pretrain-atlas-7b", S, sto[:8], 8, restart, t0 + span(0.80), "COMPLETED", "pretrain")
    e0 = t0 + span(0.80)
    add("eval-mmlu-atlas-7b", S, sto[:1], 4, e0 + 900, e0 + 8100, "COMPLETED", "eval")
    add("eval-gsm8k-atlas-7b", S, sto[:1], 4, e0 + 1800, e0 + 7200, "COMPLETED", "eval")
    add("eval-humaneval-atlas-7b", S, sto[1:2], 8, e0 + HOUR, e0 + 2 * HOUR, "COMPLETED", "eval")
    b0 = t0 + span(0.90)
    # matches no rule and carries no tags: unclassified
    add("bench-nccl-allreduce", S, sto[2:4], 8, b0, b0 + 2700, "COMPLETED", "bench")

    # Stockholm 009-011: always-on serving, with a partial-node deployment and a canary beside it
    add(
        "serve-atlas-7b-chat", S, sto[8:10], 8, t0 + 900, None, "RUNNING", "serve",
        serve=ServeSpec("atlas-7b-chat", 90_000, 850, 320),
    )  # fmt: skip
    add(
        "serve-orca-1b", S, sto[10:11], 4, t0 + 1200, None, "RUNNING", "serve",
        serve=ServeSpec("orca-1b", 200_000, 420, 120),
    )  # fmt: skip
    # the name says inference, the tag says evaluation: the explicit tag must win
    add(
        "serve-orca-1b-canary", S, sto[10:11], 4, at(0.40), t0 + span(0.55), "COMPLETED", "serve",
        user="lnguyen", account="evals", comment="phase=evaluation,model=orca-1b,team=evals",
    )  # fmt: skip

    # Stockholm 012: a notebook session (development by partition) and a tagged sweep
    d0 = at(0.10)
    add("jupyter-mchen", S, sto[11:12], 2, d0, d0 + 6 * HOUR, "COMPLETED", "dev")
    add(
        "sweep-lr-orca-1b", S, sto[11:12], 6, d0 + HOUR, t0 + span(0.35), "COMPLETED", "finetune",
        user="mchen", account="research", partition="train", steps=(),
        comment="phase=fine_tuning,model=orca-1b,team=applied",
    )  # fmt: skip

    # Virginia 03-04: serving; 03's other four GPUs run evaluations after each fine-tune
    add(
        "serve-lynx-13b", V, use[3:4], 8, t0 + 600, None, "RUNNING", "serve",
        serve=ServeSpec("lynx-13b", 25_000, 1600, 520),
    )  # fmt: skip
    add(
        "serve-orca-1b", V, use[2:3], 4, t0 + 1800, None, "RUNNING", "serve",
        serve=ServeSpec("orca-1b", 120_000, 420, 120),
    )  # fmt: skip

    # Virginia 01-02: fine-tuning, one node each, with idle days in between
    ft1 = add("ft-atlas-7b-chat", V, use[:1], 8, at(0.05), t0 + span(0.11), "COMPLETED", "finetune")
    c0 = at(0.08)
    # submitted with a wrong config and cancelled by its owner; resubmitted an hour later
    add("ft-lynx-13b", V, use[1:2], 8, c0, c0 + 1500, "CANCELLED by 1042", "finetune")
    ft2 = add(
        "ft-lynx-13b", V, use[1:2], 8, c0 + HOUR, c0 + HOUR + span(0.09), "COMPLETED", "finetune"
    )
    add("ft-atlas-7b-chat", V, use[:1], 8, at(0.45), t0 + span(0.50), "COMPLETED", "finetune")
    add("ft-orca-1b", V, use[1:2], 8, at(0.60), t0 + span(0.66), "COMPLETED", "finetune")
    assert ft1.end_s is not None and ft2.end_s is not None
    m0, l0 = ft1.end_s + 1800, ft2.end_s + 1800
    gpu = {"partition": "gpu"}
    add("eval-mtbench-atlas-7b-chat", V, use[2:3], 4, m0, m0 + HOUR, "COMPLETED", "eval", **gpu)
    add("eval-mmlu-lynx-13b", V, use[2:3], 4, l0, l0 + 5400, "COMPLETED", "eval", **gpu)

    _assign_ids(jobs)
    _assign_gpus(jobs, t0 + period)
    for job in jobs:
        if job.serve is not None:
            job.hourly_load = _demand_curve(job.site, t0, days, rng)
    return jobs


def _assign_ids(jobs: list[Job]) -> None:
    # each cluster numbers its jobs in submission order; other users' jobs use the gaps
    base = {STOCKHOLM.name: 4_410_200, VIRGINIA.name: 18_250}
    for site, first in base.items():
        mine = sorted((j for j in jobs if j.site.name == site), key=lambda j: j.start_s)
        for i, job in enumerate(mine):
            job.job_id = first + 7 * i + (i * i) % 5


def _assign_gpus(jobs: list[Job], period_end: int) -> None:
    """Give each job the lowest free GPU indices on each host; refuse an oversubscribed node."""
    taken: dict[str, list[tuple[int, int, tuple[int, ...]]]] = {}
    for job in sorted(jobs, key=lambda j: (j.start_s, j.job_id)):
        end = job.end_or(period_end)
        for host in job.hosts:
            busy: set[int] = set()
            for s, e, idx in taken.get(host, []):
                if s < end and job.start_s < e:
                    busy.update(idx)
            free = [i for i in range(GPUS_PER_NODE) if i not in busy]
            if len(free) < job.gpus_per_node:
                raise AssertionError(f"demo schedule oversubscribes {host} with {job.name}")
            idx = tuple(free[: job.gpus_per_node])
            job.gpu_indices[host] = idx
            taken.setdefault(host, []).append((job.start_s, end, idx))


def _demand_curve(site: SiteSpec, t0: int, days: int, rng: np.random.Generator) -> np.ndarray:
    """Requests relative to the peak, per UTC hour: a daily cycle peaking mid-afternoon local
    time, quieter weekends, and hour-to-hour noise."""
    hours = np.arange(days * 24)
    start = dt.datetime.fromtimestamp(t0, dt.UTC).astimezone(ZoneInfo(site.timezone))
    # a fixed UTC offset per period is close enough for a demand curve
    offset_h = (start.utcoffset() or dt.timedelta()).total_seconds() / 3600
    local_h = (hours + offset_h) % 24
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (local_h - 2.0) / 24)  # trough 02:00, peak 14:00
    weekday = (start.weekday() + ((hours + offset_h) // 24).astype(int)) % 7
    weekend = np.where(weekday >= 5, 0.75, 1.0)
    noise = rng.normal(1.0, 0.06, hours.size)
    return np.clip((0.12 + 0.88 * day) * weekend * noise, 0.05, 1.0)


MEMORY_SHARE: dict[str, float] = {
    # vLLM preallocates 90 % of GPU memory for its KV cache; training fills almost all of it
    "pretrain": 0.93,
    "finetune": 0.85,
    "eval": 0.62,
    "serve": 0.90,
    "dev": 0.30,
    "bench": 0.25,
}


def utilisation(
    job: Job, t: np.ndarray, n_gpus: int, t0: int, rng: np.random.Generator
) -> np.ndarray:
    """GPU utilisation (0-1) of `n_gpus` GPUs at poll times `t` (UTC epoch seconds)."""
    shape = (t.size, n_gpus)
    since = (t - job.start_s)[:, None]
    if job.profile == "pretrain":
        u = np.clip(rng.normal(0.95, 0.015, shape), 0.86, 1.0)
        # every rank stalls together while the 2-hourly checkpoint is written
        u = np.where(since % (2 * HOUR) < 600, rng.uniform(0.15, 0.3, shape), u)
        u = np.where(since < 600, 0.35, u)  # data loader warm-up and NCCL init
    elif job.profile == "finetune":
        u = np.clip(rng.normal(0.80, 0.05, shape), 0.6, 0.93)
        u = np.where(since % HOUR < 300, 0.45, u)  # hourly validation pass
    elif job.profile == "eval":
        u = np.clip(rng.normal(0.62, 0.14, shape), 0.2, 0.95)
    elif job.profile == "serve":
        if job.hourly_load is None:
            # an unmetered serve job (the canary): a steady light load
            load = np.full(t.size, 0.3)
        else:
            centres = t0 + HOUR * np.arange(job.hourly_load.size) + HOUR / 2
            load = np.interp(t, centres, job.hourly_load)
        balance = rng.uniform(0.93, 1.05, n_gpus)  # the router never balances perfectly
        u = np.clip((0.2 + 0.6 * load)[:, None] * balance + rng.normal(0, 0.03, shape), 0.1, 0.9)
    elif job.profile == "dev":
        bursts = rng.random(shape) < 0.3
        u = np.where(bursts, rng.uniform(0.3, 0.6, shape), rng.uniform(0.0, 0.04, shape))
    else:  # bench: NCCL all-reduce is bound by the interconnect, not the SMs
        u = np.clip(rng.normal(0.55, 0.05, shape), 0.4, 0.7)
    return u
