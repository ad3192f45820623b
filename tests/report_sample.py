"""A realistic hand-made Disclosure for report tests: 2 sites, 4 models, every phase incl. idle,
14 days of daily energy. Figures are internally consistent (phases sum to the totals, daily rows sum
to the phase figures) so the rendered report reads like a real one."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta

from pipeline.disclosure.comparison import headline_change
from pipeline.disclosure.model import (
    Comparison,
    DailyPhaseEnergy,
    DataQuality,
    Disclosure,
    Factor,
    InputFile,
    Period,
    PhaseFigures,
    SiteFigures,
    TeamFigures,
    Totals,
)
from pipeline.disclosure.model_figures import InferenceFigures, ModelFigures, TrainingFigures
from pipeline.method.results import Crossover, CumulativePoint

START = date(2025, 3, 1)
DAYS = 14
PUE = 1.21
KW_PER_GPU = 0.52  # mean accelerator draw
LOC_KG_PER_KWH = 0.286
MKT_KG_PER_KWH = 0.118

# mean facility kWh per day by phase, and a day-shape function
_BASE = {
    "training": 6480.0,
    "fine_tuning": 910.0,
    "inference": 2150.0,
    "evaluation": 245.0,
    "development": 132.0,
    "unclassified": 38.5,
    "idle": 604.0,
}


def _daily_kwh(phase: str, i: int) -> float:
    base = _BASE[phase]
    if phase == "training":  # a big run that ends on day 10, then a smaller one
        return round(base * (1.0 if i < 10 else 0.27) * (1 + 0.04 * math.sin(i)), 3)
    if phase == "inference":  # traffic growing ~2 % a day with a weekly dip
        return round(base * (1.02**i) * (0.86 if i % 7 in (5, 6) else 1.0), 3)
    if phase == "idle":  # idle capacity rises after the training run ends
        return round(base * (1.0 if i < 10 else 2.6), 3)
    return round(base * (1 + 0.3 * math.sin(i * 1.7 + len(phase))), 3)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _cumulative(training_kwh: float, inference_kwh: float, per_day_kwh: float) -> list:
    """The period's lifecycle series: training flat, inference growing by `per_day_kwh` a day
    up to `inference_kwh` on the last day."""
    return [
        CumulativePoint(
            day=START + timedelta(days=i),
            training_kwh=training_kwh,
            inference_kwh=max(0.0, inference_kwh - (DAYS - 1 - i) * per_day_kwh),
        )
        for i in range(DAYS)
    ]


def sample_disclosure() -> Disclosure:
    days = [START + timedelta(days=i) for i in range(DAYS)]
    daily = [
        DailyPhaseEnergy(day=day, phase=phase, energy_kwh=_daily_kwh(phase, i))
        for i, day in enumerate(days)
        for phase in _BASE
    ]
    energy = {p: round(sum(r.energy_kwh for r in daily if r.phase == p), 3) for p in _BASE}
    total_kwh = round(sum(energy.values()), 3)
    phases = {}
    for p, kwh in energy.items():
        it = kwh / PUE
        phases[p] = PhaseFigures(
            energy_kwh=kwh,
            it_energy_kwh=round(it, 3),
            gpu_hours=round(it / KW_PER_GPU, 2),
            co2e_kg_location=round(kwh * LOC_KG_PER_KWH, 3),
            co2e_kg_market=round(kwh * MKT_KG_PER_KWH, 3),
            share_pct=round(100 * kwh / total_kwh, 4),
        )
    gpu_hours = round(sum(f.gpu_hours for f in phases.values()), 2)
    totals = Totals(
        energy_kwh=total_kwh,
        it_energy_kwh=round(total_kwh / PUE, 3),
        gpu_hours=gpu_hours,
        co2e_kg_location=round(total_kwh * LOC_KG_PER_KWH, 3),
        co2e_kg_market=round(total_kwh * MKT_KG_PER_KWH, 3),
        water_l=round(total_kwh * 1.74, 1),
        embodied_kg=round(gpu_hours * 0.0187, 3),
        cost_usd=round(gpu_hours * 2.31, 2),
    )

    models = [
        ModelFigures(
            name="atlas-70b-instruct",
            training=TrainingFigures(
                gpu_hours=128_450.5,
                energy_kwh=80_832.1,
                co2e_kg_location=23_117.98,
                co2e_kg_market=9_538.19,
            ),
            inference=InferenceFigures(
                requests=1_284_377,
                output_tokens=412_345_678,
                gpu_hours=21_870.25,
                energy_kwh=13_764.2,
                co2e_kg_location=3_936.56,
                wh_per_request=10.716,
                wh_per_1k_output_tokens=0.03338,
            ),
            crossover=Crossover(
                reached=False,
                projected_days=412.6,
                lifecycle_training_kwh=1_204_310.0,
                lifecycle_inference_kwh=96_412.7,
            ),
            cumulative=_cumulative(1_204_310.0, 96_412.7, 2_685.0),
        ),
        ModelFigures(
            name="atlas-7b-chat",
            training=TrainingFigures(
                gpu_hours=9_812.75,
                energy_kwh=6_174.4,
                co2e_kg_location=1_765.88,
                co2e_kg_market=728.58,
            ),
            inference=InferenceFigures(
                requests=6_930_144,
                output_tokens=1_873_002_917,
                gpu_hours=18_225.0,
                energy_kwh=11_470.6,
                co2e_kg_location=3_280.59,
                wh_per_request=1.6552,
                wh_per_1k_output_tokens=0.006124,
            ),
            crossover=Crossover(
                reached=True,
                date=date(2025, 3, 9),
                lifecycle_training_kwh=58_120.4,
                lifecycle_inference_kwh=61_377.9,
            ),
            cumulative=_cumulative(58_120.4, 61_377.9, 600.0),
        ),
        ModelFigures(
            name="helix-embed-v2",
            training=TrainingFigures(
                gpu_hours=412.5, energy_kwh=259.6, co2e_kg_location=74.25, co2e_kg_market=30.63
            ),
            inference=InferenceFigures(
                requests=22_418_903,
                output_tokens=0,
                gpu_hours=2_604.0,
                energy_kwh=1_638.9,
                co2e_kg_location=468.73,
                wh_per_request=0.073104,
                wh_per_1k_output_tokens=None,
            ),
            crossover=Crossover(
                reached=True,
                date=date(2024, 11, 23),
                lifecycle_training_kwh=2_911.0,
                lifecycle_inference_kwh=19_804.6,
            ),
            cumulative=_cumulative(2_911.0, 19_804.6, 300.0),
        ),
        ModelFigures(
            name="orca-13b-legal-ft",
            training=TrainingFigures(
                gpu_hours=20_288.0,
                energy_kwh=12_769.3,
                co2e_kg_location=3_652.02,
                co2e_kg_market=1_506.78,
            ),
            inference=InferenceFigures(
                requests=0,
                output_tokens=0,
                gpu_hours=0.0,
                energy_kwh=0.0,
                co2e_kg_location=0.0,
                wh_per_request=None,
                wh_per_1k_output_tokens=None,
            ),
            crossover=Crossover(
                reached=False,
                projected_days=None,
                lifecycle_training_kwh=12_769.3,
                lifecycle_inference_kwh=0.0,
            ),
            cumulative=_cumulative(12_769.3, 0.0, 0.0),
        ),
    ]

    sites = [
        SiteFigures(
            site="fra-1",
            grid_zone="DE",
            pue=1.18,
            mean_gco2e_per_kwh=361.4,
            gpu_hours=round(gpu_hours * 0.62, 2),
            energy_kwh=round(total_kwh * 0.605, 3),
            co2e_kg_location=round(total_kwh * 0.605 * 0.3614, 3),
        ),
        SiteFigures(
            site="pdx-2",
            grid_zone="US-NW-PACW",
            pue=1.26,
            mean_gco2e_per_kwh=171.9,
            gpu_hours=round(gpu_hours * 0.38, 2),
            energy_kwh=round(total_kwh * 0.395, 3),
            co2e_kg_location=round(total_kwh * 0.395 * 0.1719, 3),
        ),
    ]
    teams = [
        TeamFigures(
            team="foundation-models",
            gpu_hours=148_263.0,
            energy_kwh=93_311.2,
            co2e_kg_location=26_687.0,
        ),
        TeamFigures(
            team="applied-nlp", gpu_hours=40_716.25, energy_kwh=25_624.8, co2e_kg_location=7_328.69
        ),
        TeamFigures(
            team="search-relevance", gpu_hours=3_016.5, energy_kwh=1_898.5, co2e_kg_location=542.97
        ),
    ]
    factors = [
        Factor(
            name="PUE fra-1",
            value="1.18",
            unit="ratio",
            source="Facility operator annual report 2024, table 3",
        ),
        Factor(
            name="PUE pdx-2",
            value="1.26",
            unit="ratio",
            source="Colocation SLA monthly statement, Feb 2025",
        ),
        Factor(
            name="WUE fra-1", value="0.21", unit="L/kWh", source="Operator water disclosure 2024"
        ),
        Factor(
            name="Residual mix DE",
            value="0.5602",
            unit="kg CO2e/kWh",
            source="AIB European Residual Mixes 2023",
        ),
        Factor(
            name="H100 SXM embodied",
            value="164",
            unit="kg CO2e per GPU",
            source="Vendor product carbon footprint, 2024",
        ),
        Factor(name="Server lifetime", value="5", unit="years", source="Config default"),
        Factor(
            name="Idle power H100", value="72", unit="W", source="Measured fleet median, Q4 2024"
        ),
    ]
    inputs = [
        InputFile(
            path="landing/telemetry/fra-1/gpu-node-017/nvidia-smi-2025-03.csv",
            format="nvidia-smi csv",
            rows=4_838_400,
            sha256=_sha("a"),
        ),
        InputFile(
            path="landing/telemetry/pdx-2/dcgm-scrape-2025-03-01T00.prom",
            format="dcgm-exporter prometheus text",
            rows=1_290_240,
            sha256=_sha("b"),
        ),
        InputFile(
            path="landing/slurm/sacct-2025-03.txt",
            format="slurm sacct parsable2",
            rows=18_422,
            sha256=_sha("c"),
        ),
        InputFile(
            path="landing/k8s/pods-2025-03.json",
            format="kubernetes pods json",
            rows=3_107,
            sha256=_sha("d"),
        ),
        InputFile(
            path="landing/serving/gateway-hourly-2025-03.parquet",
            format="serving stats parquet",
            rows=8_064,
            sha256=_sha("e"),
        ),
        InputFile(
            path="landing/billing/focus-2025-03.csv",
            format="FOCUS 1.1 csv",
            rows=52_918,
            sha256=_sha("f"),
        ),
        InputFile(
            path="landing/grid/electricitymaps-DE-2025.csv",
            format="electricity maps hourly csv",
            rows=1_416,
            sha256=_sha("g"),
        ),
        InputFile(
            path="landing/grid/US-NW-PACW-2025.csv",
            format="zone datetime_utc csv",
            rows=1_416,
            sha256=_sha("h"),
        ),
        InputFile(path="config/wattprint.yaml", format="config yaml", rows=1, sha256=_sha("i")),
    ]
    previous_totals = totals.model_copy(
        update={
            k: round(getattr(totals, k) * 0.87, 3)
            for k in ("energy_kwh", "it_energy_kwh", "gpu_hours", "co2e_kg_location", "water_l")
        }
        | {"co2e_kg_market": round(totals.co2e_kg_market * 1.21, 3), "cost_usd": 0.0}
    )
    prev_start = date(2025, 2, 1)  # START is 2025-03-01
    previous = Comparison(
        basis="the same days of the previous month",
        period=Period(start=prev_start, end=prev_start + timedelta(days=DAYS - 1), days=DAYS),
        totals=previous_totals,
        change_pct=headline_change(totals, previous_totals),
    )
    return Disclosure(
        title="AI compute energy and carbon disclosure",
        organisation="Northwind AI Labs",
        generated_at=datetime(2025, 3, 15, 6, 0, tzinfo=UTC),
        code_version="0.1.0+g3f9c2ab",
        config_sha256=_sha("config"),
        period=Period(start=START, end=START + timedelta(days=DAYS - 1), days=DAYS),
        totals=totals,
        previous=previous,
        phases=phases,
        daily=daily,
        models=models,
        sites=sites,
        teams=teams,
        data_quality=DataQuality(
            measured_share=0.8731,
            quarantined_rows=42,
            grid_fallback_hours=6,
            unclassified_jobs=17,
            files=len(inputs),
        ),
        factors=factors,
        inputs=inputs,
        notes=[
            "Host overhead (CPU, DRAM, NICs) is not yet included in IT energy; figures cover "
            "accelerators only.",
            "Idle capacity is reported as its own phase and is not spread over the other phases "
            "in this report.",
        ],
    )
