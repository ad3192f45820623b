"""How the method reads and judges the fleet's files: phase rules, telemetry and scheduler
settings, the estimation path, uncertainty bands, billing hosts and check thresholds."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import PHASES, Strict
from pipeline.readers.scheduler._sacct_layout import field_names

PhaseName = Literal["training", "fine_tuning", "inference", "evaluation", "development"]


class PhaseRule(Strict):
    """A regex on one job field; `model` and `team` may use the pattern's named groups.

    A Kubernetes pod is matched with its name as `job_name` and its namespace as both `account`
    and `namespace` (sacct jobs have no namespace)."""

    name: str
    field: Literal["job_name", "account", "partition", "user_name", "comment", "namespace"] = (
        "job_name"
    )
    pattern: str
    phase: PhaseName
    model: str | None = None
    team: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"pattern {v!r} is not a valid regex: {e}") from e
        return v


class Telemetry(Strict):
    max_gap_s: float = Field(
        900.0, gt=0, description="longer gaps between samples are missing and filled by estimate"
    )
    max_fill_s: float = Field(
        21600.0,
        gt=0,
        description="gaps longer than this are not filled from the bounding samples; the "
        "host-hours they leave without telemetry take the allocation estimate instead",
    )
    nvidia_smi_fields: list[str] | None = Field(
        None,
        description="the --query-gpu field list of nvidia-smi logs written with "
        "--format=csv,noheader, in order (e.g. [timestamp, index, uuid, name, power.draw]); "
        "such logs carry no header line to say which column is which",
    )

    @model_validator(mode="after")
    def _fill_above_gap(self) -> Telemetry:
        if self.max_fill_s < self.max_gap_s:
            raise ValueError(f"max_fill_s {self.max_fill_s} is below max_gap_s {self.max_gap_s}")
        return self


class Scheduler(Strict):
    sacct_fields: list[str] | None = Field(
        None,
        description="the --format field list of sacct exports written with --noheader, in "
        "order (e.g. [JobID, JobName, User, Account, Partition, State, Start, End, Elapsed, "
        "NodeList, AllocTRES, Comment]); such exports carry no header line to say which field "
        "is which",
    )

    @field_validator("sacct_fields")
    @classmethod
    def _sacct_fields(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else field_names(v)


ESTIMATION_SOURCE = (
    "wattprint default: training and fine-tuning at full TDP, as the Llama 2 model card method "
    "(Touvron et al. 2023, GPU-hours x peak power); other phases are assumptions to replace with "
    "your fleet's measured averages"
)


class Estimation(Strict):
    """Power of allocated GPUs that report no telemetry (scheduler records only)."""

    utilisation_by_phase: dict[str, float] = Field(
        default_factory=lambda: {
            "training": 1.0,
            "fine_tuning": 1.0,
            "inference": 0.6,
            "evaluation": 0.6,
            "development": 0.3,
            "unclassified": 1.0,
        }
    )
    source: str = ESTIMATION_SOURCE

    @field_validator("utilisation_by_phase")
    @classmethod
    def _phases(cls, v: dict[str, float]) -> dict[str, float]:
        for phase, u in v.items():
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase!r}; phases are {', '.join(PHASES)}")
            if not 0.0 <= u <= 1.0:
                raise ValueError(f"utilisation {u} for {phase} is outside 0-1")
        missing = [p for p in PHASES if p not in v]
        if missing:
            raise ValueError(f"no utilisation for {', '.join(missing)}")
        return v


class UncertaintyBand(Strict):
    rel_sd: float = Field(..., ge=0, le=1, description="relative standard deviation, 0-1")
    source: str


class Uncertainty(Strict):
    """Seeded Monte Carlo over the uncertain inputs; every spread states where it comes from."""

    seed: int = 20261123
    samples: int = Field(2000, ge=100, le=100_000)
    measured_power: UncertaintyBand = UncertaintyBand(
        rel_sd=0.025,
        source="nvidia-smi --help-query-gpu: power.draw accurate to +/-5 W; taken as +/-5 % "
        "(2 sd) to cover sensor bias at low load; applied to energy-counter readings too (same "
        "on-board sensor)",
    )
    estimated_power: UncertaintyBand = UncertaintyBand(
        rel_sd=0.2,
        source="wattprint assumption: power-model and average-power estimates +/-40 % (2 sd)",
    )
    host_power_configured: UncertaintyBand = UncertaintyBand(
        rel_sd=0.25, source="wattprint assumption: configured non-GPU server watts +/-50 % (2 sd)"
    )
    host_power_measured: UncertaintyBand = UncertaintyBand(
        rel_sd=0.03, source="wattprint assumption: BMC node power meters +/-6 % (2 sd)"
    )
    pue: UncertaintyBand = UncertaintyBand(
        rel_sd=0.05, source="wattprint assumption: published PUE +/-10 % (2 sd)"
    )
    grid_hourly: UncertaintyBand = UncertaintyBand(
        rel_sd=0.1, source="wattprint assumption: hourly grid intensity +/-20 % (2 sd)"
    )
    grid_fallback: UncertaintyBand = UncertaintyBand(
        rel_sd=0.3, source="wattprint assumption: monthly-mean or annual fallback +/-60 % (2 sd)"
    )
    embodied: UncertaintyBand = UncertaintyBand(
        rel_sd=0.5, source="wattprint assumption: embodied-carbon estimates +/-100 % (2 sd)"
    )


class Billing(Strict):
    """How billing lines map to hosts: ResourceName or ResourceId equal to a host name, a `host`
    tag, else this map of ResourceId → host."""

    resource_hosts: dict[str, str] = Field(default_factory=dict)


class Prompts(Strict):
    """Per-prompt figures from per-request serving logs (docs/per-prompt.md)."""

    # docs/per-prompt.md: a forward pass costs ≈ 2N FLOP per token, prompt or generated alike
    # (Kaplan et al. 2020, §2.1); prefill batches prompt tokens, so a lower weight is defensible
    input_token_weight: float = Field(
        1.0,
        ge=0,
        description="w_in: a request's share of its model-hour is input_tokens × w_in + "
        "output_tokens over the hour's total; 1.0 counts a prompt token as much work as a "
        "generated one (≈ 2N FLOP each, Kaplan et al. 2020); lower it to weigh generation more",
    )


class Checks(Strict):
    """Thresholds of the warning checks (conservation and reconciliation always block)."""

    min_measured_share: float = Field(0.8, ge=0, le=1)
    min_grid_hourly_share: float = Field(0.9, ge=0, le=1)
    # docs/checks-coverage.md: 1 % of a month is 7 hours of the whole fleet
    min_inventory_coverage: float = Field(
        0.99, ge=0, le=1, description="measured GPU-hours / GPU-hours the inventory expects"
    )
    # docs/checks-coverage.md: the 5 % materiality level of EU ETS verification (2018/2067 Art. 23)
    rebound_min_change: float = Field(
        0.05, ge=0, description="the fall in Wh/request and the rise in energy a rebound needs"
    )
