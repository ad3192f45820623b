"""The disclosure's declared usage (`declared` in disclosure.json): per declared run with days in
the period, the period's share and the run's total; the rows the config could not resolve; and
what a model's lifecycle takes from declared runs. Declared usage never enters the fleet's
period totals, phases or sites (docs/declared-usage.md)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from pydantic import Field

from pipeline.lifecycle.model import Footprint
from pipeline.method.declared import SUMMED, Declared, period_share
from pipeline.method.results import Record

TRAINING = ("training", "fine_tuning")
NOTE = (
    "Declared usage: runs no telemetry or scheduler file covers, priced from the figures a "
    "source declares (GPU-hours x power x PUE x grid factor); shown apart from the fleet's "
    "totals, phases and sites, and counted in each model's lifecycle."
)


class DeclaredFigures(Footprint):
    """A run's figures (energy_kwh: facility energy, IT energy × PUE) and requests served."""

    requests: float


class DeclaredRun(Record):
    run: str
    model: str
    phase: str
    gpu_model: str
    gpus: int
    start_utc: datetime
    end_utc: datetime
    power_w: float = Field(description="board power per GPU")
    power_basis: str = Field(description="declared, or the estimation path's power model")
    pue_basis: str = Field(description="declared, the site's, or 'PUE not declared' (1.0)")
    flops: float | None = Field(None, description="declared training compute, FLOP")
    source: str = Field(description="where the figures come from, as declared")
    source_path: str
    line: int
    basis: str = "declared"
    period: DeclaredFigures = Field(description="the run's days inside the report's period")
    total: DeclaredFigures = Field(description="the whole run, every day of its span")


class DeclaredUnresolved(Record):
    source_path: str
    line: int
    run: str
    reason: str


class DeclaredUsage(Record):
    runs: list[DeclaredRun] = Field(default_factory=list)
    unresolved: list[DeclaredUnresolved] = Field(
        default_factory=list, description="declared rows the config cannot price: not counted"
    )
    note: str = NOTE


_RUN_FIELDS = tuple(k for k in DeclaredRun.model_fields if k not in ("period", "total"))


def _figures(r: dict) -> DeclaredFigures:
    return DeclaredFigures(
        energy_kwh=r["facility_energy_kwh"],
        **{k: r[k] for k in DeclaredFigures.model_fields if k != "energy_kwh"},
    )


def declared_section(declared: Declared, start_day: date, end_day: date) -> DeclaredUsage:
    """The runs with days in [start_day, end_day], with their period share and total."""
    keys = ["source_path", "line"]
    share = period_share(declared.daily, start_day, end_day)
    pue_bases = declared.daily.group_by(keys, maintain_order=True).agg(
        pl.col("pue_basis").unique(maintain_order=True).str.join("; ")
    )
    rows = (
        declared.runs.join(share, on=keys, suffix="_period")
        .join(pue_bases, on=keys, how="left")
        .sort("start_utc", "source_path", "line")
    )
    runs = [
        DeclaredRun(
            **{k: r[k] for k in _RUN_FIELDS},
            period=_figures({k: r[f"{k}_period"] for k in SUMMED}),
            total=_figures(r),
        )
        for r in rows.iter_rows(named=True)
    ]
    unresolved = [DeclaredUnresolved(**vars(u)) for u in declared.unresolved]
    return DeclaredUsage(runs=runs, unresolved=unresolved)


def with_declared_lifecycle(life: pl.DataFrame, daily: pl.DataFrame, end_day: date) -> pl.DataFrame:
    """A model's daily lifecycle energy (model, day, training_kwh, inference_kwh: facility
    energy) with its declared days up to `end_day` added, whichever month they ran in."""
    phase = pl.col("phase")
    kwh = pl.col("facility_energy_kwh")
    mine = daily.filter(pl.col("day") <= end_day).select(
        "model",
        "day",
        training_kwh=pl.when(phase.is_in(TRAINING)).then(kwh).otherwise(0.0),
        inference_kwh=pl.when(phase == "inference").then(kwh).otherwise(0.0),
    )
    both = pl.concat([life.select(mine.columns), mine], how="vertical_relaxed")
    return both.group_by("model", "day").agg(pl.all().sum()).sort("model", "day")


def declared_models(daily: pl.DataFrame, start_day: date, end_day: date) -> set[str]:
    """The models with declared days in the period."""
    inside = daily.filter(pl.col("day").is_between(start_day, end_day))
    return set(inside.get_column("model").to_list())
