"""Report rendering time: a monthly disclosure with many models, against the target "a monthly PDF
for 50 models renders in <= 5 s" (on a 2-core machine).

    .venv/bin/python -m benchmarks.report --models 50 --repeat 3

Widens the hand-made report sample (tests/report_sample.py) to a full calendar month of daily
rows and `--models` models, each with training, serving, functional units, efficiency, crossover
and a cumulative lifecycle series, plus the sections a real run fills (full-boundary phases,
uncertainty per model, checks, regulatory annex, per-site factors, and an input manifest of one
telemetry file per site and day plus one power file per host: 163 files, fewer than the 14-day
demo's 258). The figures are consistent: daily rows sum to the phase figures, phases to the
totals, the models' training and inference energy to the training and inference phases, each
model's cumulative series to its lifecycle figures.

Times each stage of `pipeline.report.render.write_report` on its own (disclosure.json, the SVG
charts, the Jinja HTML, the WeasyPrint PDF, the CSV tables), then `write_report` end to end into
a folder, and prints seconds per stage (the best of `--repeat` runs), the total, the PDF's pages
and the ratio total / 5 s target (<= 1.0 meets it). Machines are shared and noisy: read the
ratio, and compare runs on the same machine.
"""

from __future__ import annotations

import calendar
import gc
import math
import random
import tempfile
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Annotated

import typer
from pypdf import PdfReader

from pipeline.disclosure.comparison import headline_change
from pipeline.disclosure.model import (
    AiActModel,
    BoundaryFigures,
    CheckOutcome,
    Comparison,
    DailyPhaseEnergy,
    Disclosure,
    Factor,
    InputFile,
    Period,
    PhaseFigures,
    Quantiles,
    Regulatory,
    SiteFigures,
    TeamFigures,
    Totals,
    UncertaintyFigures,
)
from pipeline.disclosure.model_figures import (
    BoundaryBreakdown,
    FunctionalUnits,
    InferenceFigures,
    ModelFigures,
    TrainingFigures,
)
from pipeline.method.results import Crossover, CumulativePoint, Efficiency, UnitFigures
from pipeline.report import render, tables
from pipeline.report.phases import PHASE_ORDER
from tests.report_sample import sample_disclosure

TARGET_S = 5.0
STAGES = ("json", "charts", "html", "pdf", "csv")

# fleet-wide factors, as in the sample
PUE = 1.21
KW_PER_GPU = 0.52
LOC_KG_PER_KWH = 0.286
MKT_KG_PER_KWH = 0.118
WATER_L_PER_KWH = 1.74
EMBODIED_KG_PER_GPU_H = 0.0187
USD_PER_GPU_H = 2.31
GPU_SHARE_OF_IT = 0.86  # accelerator share of IT energy; the rest is host overhead
HOSTS_PER_SITE = 8  # one node power file each
UNCERTAINTY_BAND = (0.93, 1.001, 1.08)  # p5, p50, p95 as multiples of the central figure

_FAMILIES = (
    "atlas",
    "helix",
    "orca",
    "nimbus",
    "kestrel",
    "quill",
    "sable",
    "tern",
    "vega",
    "wren",
)
_SIZES = ("1b", "7b", "13b", "34b", "70b")
_VARIANTS = ("chat", "instruct", "embed", "code", "legal-ft", "vision", "rerank")


# ----------------------------------------------------------------------------- the disclosure


def model_names(n: int) -> list[str]:
    """`n` distinct, realistic model names: atlas-1b-chat, helix-1b-instruct, ..."""
    names = []
    for i in range(n):
        family, size = _FAMILIES[i % 10], _SIZES[(i // 10) % 5]
        name = f"{family}-{size}-{_VARIANTS[i % 7]}"
        names.append(name if i < 50 else f"{name}-v{i // 50 + 1}")
    return names


def _phase_daily_kwh(base_kwh: float, phase: str, i: int) -> float:
    """A day's facility kWh for `phase` around `base_kwh`: training runs in bursts, inference
    grows with a weekend dip, idle fills the gaps."""
    if phase == "training":
        return round(base_kwh * (1.0 if (i // 9) % 2 == 0 else 0.35) * (1 + 0.04 * math.sin(i)), 3)
    if phase == "inference":
        return round(base_kwh * (1.012**i) * (0.86 if i % 7 in (5, 6) else 1.0), 3)
    if phase == "idle":
        return round(base_kwh * (1.0 if (i // 9) % 2 == 0 else 2.4), 3)
    return round(base_kwh * (1 + 0.3 * math.sin(i * 1.7 + len(phase))), 3)


def _weights(rng: random.Random, n: int, skip: set[int]) -> list[float]:
    w = [0.0 if i in skip else rng.lognormvariate(0.0, 1.1) for i in range(n)]
    total = sum(w)
    return [x / total for x in w]


def _units(wh: float, tokens_per_request: float) -> UnitFigures:
    k = 1000 / tokens_per_request if tokens_per_request else None  # requests per 1k tokens
    return UnitFigures(
        wh_per_request=wh,
        gco2e_location_per_request=wh * LOC_KG_PER_KWH,
        gco2e_market_per_request=wh * MKT_KG_PER_KWH,
        water_ml_per_request=wh * WATER_L_PER_KWH,
        cost_usd_per_request=wh / 1000 / KW_PER_GPU * USD_PER_GPU_H / PUE,
        wh_per_1k_output_tokens=wh * k if k else None,
        gco2e_location_per_1k_output_tokens=wh * LOC_KG_PER_KWH * k if k else None,
        gco2e_market_per_1k_output_tokens=wh * MKT_KG_PER_KWH * k if k else None,
        water_ml_per_1k_output_tokens=wh * WATER_L_PER_KWH * k if k else None,
        cost_usd_per_1k_output_tokens=(
            wh / 1000 / KW_PER_GPU * USD_PER_GPU_H / PUE * k if k else None
        ),
    )


def _model(
    rng: random.Random,
    name: str,
    start: date,
    days: int,
    training_kwh: float,
    inference_kwh: float,
    embeds: bool,
) -> ModelFigures:
    """One model's figures for the period: its training and inference energy in the period are
    given; lifecycle energy before the period, requests and per-request figures are drawn."""
    t_gpu_h = round(training_kwh / PUE / KW_PER_GPU, 2)
    training = TrainingFigures(
        gpu_hours=t_gpu_h,
        energy_kwh=training_kwh,
        co2e_kg_location=round(training_kwh * LOC_KG_PER_KWH, 3),
        co2e_kg_market=round(training_kwh * MKT_KG_PER_KWH, 3),
        water_l=round(training_kwh * WATER_L_PER_KWH, 1),
        embodied_kg=round(t_gpu_h * EMBODIED_KG_PER_GPU_H, 3),
        cost_usd=round(t_gpu_h * USD_PER_GPU_H, 2),
        estimated_share=round(rng.uniform(0.0, 0.2), 4) if training_kwh else 0.0,
    )
    serving = inference_kwh > 0
    wh_per_request = rng.choice((0.05, 0.4, 1.6, 4.2, 10.7)) * rng.uniform(0.8, 1.25)
    requests = int(inference_kwh * 1000 / wh_per_request) if serving else 0
    tokens_per_request = 0.0 if embeds else rng.uniform(120.0, 480.0)
    output_tokens = int(requests * tokens_per_request)
    i_gpu_h = round(inference_kwh / PUE / KW_PER_GPU, 2)
    inference = InferenceFigures(
        requests=requests,
        output_tokens=output_tokens,
        gpu_hours=i_gpu_h,
        energy_kwh=inference_kwh,
        co2e_kg_location=round(inference_kwh * LOC_KG_PER_KWH, 3),
        co2e_kg_market=round(inference_kwh * MKT_KG_PER_KWH, 3),
        water_l=round(inference_kwh * WATER_L_PER_KWH, 1),
        cost_usd=round(i_gpu_h * USD_PER_GPU_H, 2),
        wh_per_request=inference_kwh * 1000 / requests if requests else None,
        wh_per_1k_output_tokens=inference_kwh * 1e6 / output_tokens if output_tokens else None,
    )

    units = None
    efficiency: list[Efficiency] = []
    if requests:
        full_wh = inference_kwh * 1000 / requests
        accel_wh = full_wh / PUE * GPU_SHARE_OF_IT * 0.82  # less the idle share
        host_wh = full_wh / PUE * (1 - GPU_SHARE_OF_IT) * 0.82
        overhead_wh = full_wh - full_wh / PUE
        per_token = tokens_per_request if output_tokens else 0.0
        units = FunctionalUnits(
            accelerator=_units(accel_wh, per_token),
            full_boundary=_units(full_wh, per_token),
            breakdown_per_request=BoundaryBreakdown(
                accelerator_wh=accel_wh,
                host_wh=host_wh,
                idle_wh=full_wh - accel_wh - host_wh - overhead_wh,
                facility_overhead_wh=overhead_wh,
            ),
            sci_gco2e_per_request=full_wh * LOC_KG_PER_KWH + 0.0021,
        )
        before = full_wh * rng.uniform(0.9, 1.2)
        efficiency.append(
            Efficiency(
                basis="previous month",
                previous_wh_per_request=before,
                current_wh_per_request=full_wh,
                previous_inference_kwh=inference_kwh * rng.uniform(0.7, 1.1),
                current_inference_kwh=inference_kwh,
                rebound=before > full_wh,
            )
        )
        week_kwh = inference_kwh * 7 / days
        for w in range(1, days // 7):
            a = start + timedelta(days=7 * w)
            efficiency.append(
                Efficiency(
                    basis=f"week from {a.isoformat()} vs the week before",
                    previous_wh_per_request=full_wh * (1 + 0.01 * w),
                    current_wh_per_request=full_wh * (1 + 0.01 * (w - 1)),
                    previous_inference_kwh=week_kwh * (1 - 0.012 * 7),
                    current_inference_kwh=week_kwh,
                    rebound=True,
                )
            )

    # lifecycle: energy before the period, then this period's energy spread evenly over its days
    before_training_kwh = rng.choice((0.0, 2.0, 8.0, 30.0)) * max(training_kwh, 5_000.0)
    before_inference_kwh = rng.uniform(0.1, 1.6) * before_training_kwh * (1 if serving else 0)
    t_day, i_day = training_kwh / days, inference_kwh / days
    cumulative = [
        CumulativePoint(
            day=start + timedelta(days=k),
            training_kwh=round(before_training_kwh + t_day * (k + 1), 3),
            inference_kwh=round(before_inference_kwh + i_day * (k + 1), 3),
        )
        for k in range(days)
    ]
    last = cumulative[-1]
    lifecycle_requests = int(requests * (1 + before_inference_kwh / max(inference_kwh, 1e-9)))
    crossed = [p.day for p in cumulative if p.inference_kwh >= p.training_kwh > 0]
    reached = last.inference_kwh >= last.training_kwh > 0
    if before_inference_kwh >= before_training_kwh > 0:
        cross_day: date | None = start - timedelta(days=rng.randint(20, 400))
    else:
        cross_day = crossed[0] if crossed else None
    projected = None
    if not reached and i_day > t_day and last.training_kwh > 0:
        projected = round((last.training_kwh - last.inference_kwh) / (i_day - t_day), 1)
    lifecycle_total = last.training_kwh + last.inference_kwh
    crossover = Crossover(
        reached=reached,
        date=cross_day if reached else None,
        projected_days=projected,
        lifecycle_training_kwh=last.training_kwh,
        lifecycle_inference_kwh=last.inference_kwh,
        lifecycle_requests=lifecycle_requests,
        training_wh_per_request_amortised=(
            last.training_kwh * 1000 / lifecycle_requests if lifecycle_requests else None
        ),
        inference_share_pct=100 * last.inference_kwh / lifecycle_total if lifecycle_total else None,
    )
    return ModelFigures(
        name=name,
        training=training,
        inference=inference,
        crossover=crossover,
        units=units,
        efficiency=efficiency,
        cumulative=cumulative,
    )


def _quantiles(group: str, figures: dict[str, float]) -> list[Quantiles]:
    p5, p50, p95 = UNCERTAINTY_BAND
    return [
        Quantiles(group=group, metric=m, central=v, p5=v * p5, p50=v * p50, p95=v * p95)
        for m, v in figures.items()
    ]


def _carbon(kwh: float) -> dict[str, float]:
    return {
        "energy_kwh": kwh,
        "it_energy_kwh": kwh / PUE,
        "co2e_kg_location": kwh * LOC_KG_PER_KWH,
        "co2e_kg_market": kwh * MKT_KG_PER_KWH,
        "embodied_kg": kwh / PUE / KW_PER_GPU * EMBODIED_KG_PER_GPU_H,
    }


def monthly_disclosure(models: int = 50, seed: int = 20250301) -> Disclosure:
    """The report sample widened to its whole calendar month and `models` models.

    The fleet scales with the number of models (the sample's 4 models set the size per model);
    title, organisation, factors, notes and the first sites come from the sample."""
    if models < 1:
        raise ValueError(f"models: expected at least 1, got {models}")
    sample = sample_disclosure()
    rng = random.Random(seed)
    start = sample.period.start.replace(day=1)
    days = calendar.monthrange(start.year, start.month)[1]
    end = start + timedelta(days=days - 1)
    scale = models / len(sample.models)

    base = {p: f.energy_kwh / sample.period.days * scale for p, f in sample.phases.items()}
    daily = [
        DailyPhaseEnergy(
            day=start + timedelta(days=i), phase=p, energy_kwh=_phase_daily_kwh(kwh, p, i)
        )
        for i in range(days)
        for p, kwh in base.items()
    ]
    energy = {p: round(sum(r.energy_kwh for r in daily if r.phase == p), 3) for p in base}
    total_kwh = round(sum(energy.values()), 3)
    idle_kwh = energy.get("idle", 0.0)
    busy_kwh = total_kwh - idle_kwh
    phases: dict[str, PhaseFigures] = {}
    for p, kwh in energy.items():
        gpu_h = round(kwh / PUE / KW_PER_GPU, 2)
        spread = 0.0 if p == "idle" else kwh / busy_kwh * idle_kwh * 0.9
        full = kwh * 0.1 if p == "idle" else kwh + spread
        full_gpu_h = full / PUE / KW_PER_GPU
        phases[p] = PhaseFigures(
            energy_kwh=kwh,
            it_energy_kwh=round(kwh / PUE, 3),
            gpu_hours=gpu_h,
            co2e_kg_location=round(kwh * LOC_KG_PER_KWH, 3),
            co2e_kg_market=round(kwh * MKT_KG_PER_KWH, 3),
            share_pct=round(100 * kwh / total_kwh, 4),
            water_l=round(kwh * WATER_L_PER_KWH, 1),
            embodied_kg=round(gpu_h * EMBODIED_KG_PER_GPU_H, 3),
            cost_usd=round(gpu_h * USD_PER_GPU_H, 2),
            full_boundary=BoundaryFigures(
                energy_kwh=full,
                it_energy_kwh=full / PUE,
                gpu_hours=full_gpu_h,
                co2e_kg_location=full * LOC_KG_PER_KWH,
                co2e_kg_market=full * MKT_KG_PER_KWH,
                water_l=full * WATER_L_PER_KWH,
                embodied_kg=full_gpu_h * EMBODIED_KG_PER_GPU_H,
                cost_usd=full_gpu_h * USD_PER_GPU_H,
                share_pct=100 * full / total_kwh,
            ),
        )
    gpu_hours = round(sum(f.gpu_hours for f in phases.values()), 2)
    it_kwh = round(total_kwh / PUE, 3)
    water_l = round(total_kwh * WATER_L_PER_KWH, 1)
    embodied_kg = round(gpu_hours * EMBODIED_KG_PER_GPU_H, 3)
    cost_usd = round(gpu_hours * USD_PER_GPU_H, 2)
    idle_cost = phases["idle"].cost_usd if "idle" in phases else 0.0
    totals = Totals(
        energy_kwh=total_kwh,
        it_energy_kwh=it_kwh,
        gpu_hours=gpu_hours,
        co2e_kg_location=round(total_kwh * LOC_KG_PER_KWH, 3),
        co2e_kg_market=round(total_kwh * MKT_KG_PER_KWH, 3),
        water_l=water_l,
        embodied_kg=embodied_kg,
        cost_usd=cost_usd,
        gpu_energy_kwh=round(it_kwh * GPU_SHARE_OF_IT, 3),
        host_energy_kwh=round(it_kwh * (1 - GPU_SHARE_OF_IT), 3),
        facility_overhead_kwh=round(total_kwh - it_kwh, 3),
        water_onsite_l=round(water_l * 0.12, 1),
        water_offsite_l=round(water_l * 0.88, 1),
        embodied_gpu_kg=round(embodied_kg * 0.7, 3),
        embodied_server_kg=round(embodied_kg * 0.3, 3),
        instrument_kwh=round(total_kwh * 0.35, 3),
        cfe_pct=41.7,
        cost_attributed_usd=round(cost_usd - idle_cost - 125.5, 2),
        cost_idle_usd=idle_cost,
        cost_unattributed_usd=125.5,
    )

    # models: every 7th serves nothing, every 9th trains nothing this month; 'embed' models
    # serve requests without output tokens
    names = model_names(models)
    no_serving = {i for i in range(models) if i % 7 == 3} if models > 1 else set()
    no_training = {i for i in range(models) if i % 9 == 5}
    training_kwh = energy.get("training", 0.0) + energy.get("fine_tuning", 0.0)
    t_w = _weights(rng, models, no_training if len(no_training) < models else set())
    i_w = _weights(rng, models, no_serving)
    model_figures = [
        _model(
            rng,
            name,
            start,
            days,
            round(training_kwh * t_w[i], 3),
            round(energy.get("inference", 0.0) * i_w[i], 3),
            embeds="embed" in name,
        )
        for i, name in enumerate(names)
    ]

    site_shares = (0.41, 0.27, 0.2, 0.12)
    site_rows = [
        ("fra-1", "DE", 1.18, 361.4),
        ("pdx-2", "US-NW-PACW", 1.26, 171.9),
        ("arn-1", "SE", 1.09, 28.3),
        ("iad-3", "US-MIDA-PJM", 1.31, 402.7),
    ]
    sites = [
        SiteFigures(
            site=site,
            grid_zone=zone,
            pue=pue,
            mean_gco2e_per_kwh=g,
            gpu_hours=round(gpu_hours * share, 2),
            energy_kwh=round(total_kwh * share, 3),
            co2e_kg_location=round(total_kwh * share * g / 1000, 3),
            co2e_kg_market=round(total_kwh * share * g / 1000 * 0.41, 3),
            cfe_pct=100 - g / 5,
            hourly_matched_kwh=round(total_kwh * share * 0.2, 3),
            annual_volume_kwh=round(total_kwh * share * 0.16, 3),
            annual_matched_kwh=round(total_kwh * share * 0.15, 3),
            water_l=round(water_l * share, 1),
        )
        for (site, zone, pue, g), share in zip(site_rows, site_shares, strict=True)
    ]
    team_names = [t.team for t in sample.teams] + ["vision", "speech", "safety", "platform"]
    team_w = _weights(rng, len(team_names), set())
    teams = [
        TeamFigures(
            team=team,
            gpu_hours=round(gpu_hours * w, 2),
            energy_kwh=round(busy_kwh * w, 3),
            co2e_kg_location=round(busy_kwh * w * LOC_KG_PER_KWH, 3),
        )
        for team, w in zip(team_names, team_w, strict=True)
    ]

    # one telemetry file per site and day, one power file per host, the month's scheduler,
    # serving, billing and grid files
    inputs = [
        InputFile(
            path=f"landing/telemetry/{s.site}/dcgm-{(start + timedelta(days=i)).isoformat()}.prom",
            format="dcgm-exporter prometheus text",
            rows=1_290_240 + 37 * i,
            sha256=f"{rng.getrandbits(256):064x}",
        )
        for s in sites
        for i in range(days)
    ]
    inputs += [  # node power (BMC) files, one per host
        InputFile(
            path=f"landing/power/{s.site}/bmc-{s.site}-h100-{h:03d}.csv",
            format="node power csv",
            rows=44_640,
            sha256=f"{rng.getrandbits(256):064x}",
        )
        for s in sites
        for h in range(1, HOSTS_PER_SITE + 1)
    ]
    inputs += [
        f.model_copy(update={"sha256": f"{rng.getrandbits(256):064x}"})
        for f in sample.inputs
        if "telemetry" not in f.path
    ]
    factors = list(sample.factors)
    for s in sites:  # what a real run lists per site: PUE, WUE, grid fallback, residual mix
        factors += [
            Factor(name=f"PUE {s.site}", value=f"{s.pue}", unit="ratio", source="Operator report"),
            Factor(name=f"WUE {s.site}", value="0.21", unit="L/kWh", source="Operator report"),
            Factor(
                name=f"Grid fallback {s.grid_zone}",
                value=f"{s.mean_gco2e_per_kwh}",
                unit="g CO2e/kWh",
                source="Annual average, Ember 2024",
            ),
            Factor(
                name=f"Residual mix {s.grid_zone}",
                value="0.5602",
                unit="kg CO2e/kWh",
                source="AIB European Residual Mixes 2023",
            ),
        ]
    factors = list({f.name: f for f in factors}.values())  # the sample's PUEs once

    quantiles = _quantiles("total", _carbon(total_kwh))
    for p, kwh in energy.items():
        quantiles += _quantiles(f"phase:{p}", _carbon(kwh))
    for m in model_figures:
        if m.training.energy_kwh:
            quantiles += _quantiles(f"model:{m.name}:training", _carbon(m.training.energy_kwh))
        if m.inference.energy_kwh:
            quantiles += _quantiles(f"model:{m.name}:inference", _carbon(m.inference.energy_kwh))

    prev_start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    prev_days = min(days, calendar.monthrange(prev_start.year, prev_start.month)[1])
    previous_totals = totals.model_copy(
        update={
            k: round(getattr(totals, k) * 0.87, 3)
            for k in ("energy_kwh", "it_energy_kwh", "gpu_hours", "co2e_kg_location", "water_l")
        }
        | {"co2e_kg_market": round(totals.co2e_kg_market * 1.21, 3), "cost_usd": 0.0}
    )
    checks = [
        CheckOutcome(name=n, passed=ok, blocking=b, detail=detail)
        for n, ok, b, detail in (
            ("energy_conserved", True, True, "phases sum to the totals within 0.01 %"),
            ("cost_reconciled", True, True, "attributed + idle + unattributed = billed"),
            ("no_negative_quantities", True, True, "no negative energy, carbon or cost"),
            ("measured_coverage", True, False, "87.3 % of GPU energy measured (>= 80 %)"),
            ("grid_coverage", False, False, 'zone "SE": 6 hours priced with the monthly mean'),
        )
    ]
    return Disclosure(
        title=sample.title,
        organisation=sample.organisation,
        generated_at=datetime.combine(end + timedelta(days=1), time(6), tzinfo=UTC),
        code_version=sample.code_version,
        config_sha256=sample.config_sha256,
        period=Period(start=start, end=end, days=days),
        totals=totals,
        previous=Comparison(
            basis="the same days of the previous month",
            period=Period(
                start=prev_start, end=prev_start + timedelta(days=prev_days - 1), days=prev_days
            ),
            totals=previous_totals,
            change_pct=headline_change(totals, previous_totals),
        ),
        phases={p: phases[p] for p in PHASE_ORDER if p in phases},
        daily=daily,
        models=model_figures,
        sites=sites,
        teams=teams,
        data_quality=sample.data_quality.model_copy(
            update={
                "files": len(inputs),
                "scheduler_estimated_share": 0.0412,
                "host_measured_share": 0.66,
                "grid_hourly_share": 0.9931,
                "unattributed_cost_usd": totals.cost_unattributed_usd,
            }
        ),
        factors=factors,
        inputs=inputs,
        notes=sample.notes,
        uncertainty=UncertaintyFigures(seed=seed, samples=2000, quantiles=quantiles),
        checks=checks,
        regulatory=Regulatory(
            ai_act=[
                AiActModel(
                    model=m.name,
                    training_gpu_hours=m.training.gpu_hours,
                    training_days=days,
                    energy_kwh=m.training.energy_kwh,
                    energy_basis=(
                        "measured"
                        if m.training.estimated_share < 0.05
                        else "measured and estimated"
                    ),
                )
                for m in model_figures
                if m.training.energy_kwh
            ],
            scope2_location_kg=totals.co2e_kg_location,
            scope2_market_kg=totals.co2e_kg_market,
            scope2_instrument_kwh=totals.instrument_kwh,
            scope2_residual_factor_note="location intensity stands in for the residual mix at: "
            "pdx-2, iad-3",
        ),
    )


# ----------------------------------------------------------------------------- the timing


@dataclass
class ReportFigures:
    """What one benchmark run measured: seconds per stage (best of the repeats), `write_report`
    end to end, and what it wrote."""

    models: int
    days: int
    stages_s: dict[str, float]
    total_s: float
    total_cpu_s: float  # CPU seconds of the best write_report run: steadier on a shared machine
    collect_s: float  # gc.collect() after a render: the deferred cost of its reference cycles
    pages: int
    pdf_bytes: int
    html_bytes: int
    csv_files: int
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Total / the 5 s target: <= 1.0 meets it."""
        return self.total_s / TARGET_S

    def lines(self) -> list[str]:
        stage_sum = sum(self.stages_s.values())
        out = [
            f"monthly report: {self.models} models, {self.days} days, {self.pages} pages "
            f"(PDF {self.pdf_bytes / 1e6:.2f} MB, HTML {self.html_bytes / 1e6:.2f} MB, "
            f"{self.csv_files} CSV files)"
        ]
        for name, s in self.stages_s.items():
            share = s / stage_sum if stage_sum else 0.0
            out.append(f"  {name:8s} {s:8.3f} s  {share:6.1%}")
        out.append(f"  {'stages':8s} {stage_sum:8.3f} s  (sum of the stages)")
        out.append(
            f"  {'total':8s} {self.total_s:8.3f} s  (write_report end to end; "
            f"{self.total_cpu_s:.3f} s CPU)"
        )
        out.append(
            f"  {'collect':8s} {self.collect_s:8.3f} s  (freeing the render's reference cycles "
            "afterwards, not in total)"
        )
        out.append(f"  ratio total / {TARGET_S:g} s target: {self.ratio:.2f}")
        return out


def _best(fn: Callable[[], object], repeat: int, cpu: list[float] | None = None):
    """(the best wall-clock seconds of `repeat` runs of `fn`, its last result); the best CPU
    seconds of this process are appended to `cpu` when given (steadier on a shared machine)."""
    best, best_cpu, result = math.inf, math.inf, None
    for _ in range(repeat):
        result = None
        gc.collect()  # each run starts without the previous run's garbage to collect
        t0, c0 = clock.perf_counter(), clock.process_time()
        result = fn()
        best = min(best, clock.perf_counter() - t0)
        best_cpu = min(best_cpu, clock.process_time() - c0)
    if cpu is not None:
        cpu.append(best_cpu)
    return best, result


def measure(models: int, repeat: int, folder: Path) -> ReportFigures:
    """Time the stages of rendering a monthly report with `models` models, then `write_report`
    into `folder` (best of `repeat` runs each); the files written stay in `folder`."""
    if repeat < 1:
        raise ValueError(f"repeat: expected at least 1, got {repeat}")
    d = monthly_disclosure(models)
    stages: dict[str, float] = {}
    stages["json"], _ = _best(lambda: d.model_dump_json(indent=2), repeat)
    # as write_report does: inline charts for report.html, the same charts as images for the PDF
    stages["charts"], (charts, (print_charts, images)) = _best(
        lambda: ((c := render.render_charts(d)), render.print_charts(c)), repeat
    )
    stages["html"], (html, print_html) = _best(
        lambda: (render.render_html(d, charts), render.render_html(d, print_charts)), repeat
    )
    stages["pdf"], _ = _best(lambda: render.render_pdf(print_html, images=images), repeat)
    stages["csv"], csv_files = _best(lambda: tables.render_tables(d), repeat)
    cpu: list[float] = []
    total_s, paths = _best(lambda: render.write_report(d, folder), repeat, cpu)
    t0 = clock.perf_counter()
    gc.collect()  # what freeing one render's reference cycles costs, later
    collect_s = clock.perf_counter() - t0
    pdf = paths["pdf"].read_bytes()
    return ReportFigures(
        models=models,
        days=d.period.days,
        stages_s=stages,
        total_s=total_s,
        total_cpu_s=cpu[0],
        collect_s=collect_s,
        pages=len(PdfReader(BytesIO(pdf)).pages),
        pdf_bytes=len(pdf),
        html_bytes=len(html.encode("utf-8")),
        csv_files=len(csv_files),
        paths=paths,
    )


def main(
    models: int = typer.Option(50, help="models in the disclosure"),
    repeat: int = typer.Option(3, help="runs per measurement; the best is kept"),
    keep: Annotated[
        Path | None, typer.Option(help="write the report here instead of a temp folder")
    ] = None,
) -> None:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        figures = measure(models, repeat, keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(models, repeat, Path(tmp))
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    typer.run(main)
