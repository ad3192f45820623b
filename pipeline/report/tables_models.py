"""The report's tables of the models: training, inference, functional units, crossover and
efficiency (see tables.py)."""

from __future__ import annotations

from pipeline.disclosure.model import Disclosure
from pipeline.disclosure.model_figures import ModelFigures
from pipeline.report.table import Built, Cell, pick


def serving_models(d: Disclosure) -> list[ModelFigures]:
    """Models that served requests or used inference energy, the rows of the serving tables.

    `render.render_html` uses this function too.
    """
    return [m for m in d.models if m.inference.requests > 0 or m.inference.energy_kwh > 0]


_TRAINING_COLS = (
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
    "estimated_share",
)


def models_training(d: Disclosure) -> Built:
    rows = [(m.name, *pick(m.training, _TRAINING_COLS)) for m in d.models]
    return "Models: training and fine-tuning", ("model", *_TRAINING_COLS), rows


_INFERENCE_COLS = (
    "requests",
    "output_tokens",
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "cost_usd",
    "wh_per_request",
    "wh_per_1k_output_tokens",
)


def models_inference(d: Disclosure) -> Built:
    # The template prints every model here, but only when at least one model served.
    models = d.models if serving_models(d) else []
    rows = [(m.name, *pick(m.inference, _INFERENCE_COLS)) for m in models]
    return "Models: inference (serving)", ("model", *_INFERENCE_COLS), rows


_UNIT_METRICS = ("wh", "gco2e_location", "gco2e_market", "water_ml", "cost_usd")


def _functional_units(d: Disclosure, per: str) -> list[tuple[Cell, ...]]:
    cols = [f"{metric}_{per}" for metric in _UNIT_METRICS]
    return [
        (m.name, boundary, *pick(getattr(m.units, boundary), cols))
        for m in serving_models(d)
        if m.units is not None
        for boundary in ("accelerator", "full_boundary")
    ]


def per_request(d: Disclosure) -> Built:
    cols = ("model", "boundary", *(f"{metric}_per_request" for metric in _UNIT_METRICS))
    title = "Per request: accelerator-only and full boundary"
    return title, cols, _functional_units(d, "per_request")


def per_1k_output_tokens(d: Disclosure) -> Built:
    per = "per_1k_output_tokens"
    cols = ("model", "boundary", *(f"{metric}_{per}" for metric in _UNIT_METRICS))
    title = "Per 1,000 output tokens: accelerator-only and full boundary"
    return title, cols, _functional_units(d, per)


_BREAKDOWN_FIELDS = ("accelerator_wh", "host_wh", "idle_wh", "facility_overhead_wh")


def per_request_breakdown(d: Disclosure) -> Built:
    # disclosure.json: units.breakdown_per_request.<field>; the column says "per request".
    cols = (
        "model",
        *(f"{name}_per_request" for name in _BREAKDOWN_FIELDS),
        "sci_gco2e_per_request",
    )
    rows = [
        (m.name, *pick(b, _BREAKDOWN_FIELDS), m.units.sci_gco2e_per_request)
        for m in serving_models(d)
        if m.units is not None and (b := m.units.breakdown_per_request) is not None
    ]
    return "Per request, full boundary: where the energy went, and SCI", cols, rows


_CROSSOVER_COLS = (
    "reached",
    "date",
    "projected_days",
    "lifecycle_training_kwh",
    "lifecycle_inference_kwh",
    "inference_share_pct",
    "training_wh_per_request_amortised",
)


def crossover(d: Disclosure) -> Built:
    rows = [(m.name, *pick(m.crossover, _CROSSOVER_COLS)) for m in d.models]
    return "Training-inference crossover (lifecycle)", ("model", *_CROSSOVER_COLS), rows


def crossover_cumulative(d: Disclosure) -> Built:
    rows = [
        (m.name, p.day, p.training_kwh, p.inference_kwh) for m in d.models for p in m.cumulative
    ]
    title = "Lifecycle cumulative energy by model (the data of the crossover charts)"
    return title, ("model", "day", "training_kwh", "inference_kwh"), rows


_EFFICIENCY_COLS = (
    "basis",
    "previous_wh_per_request",
    "current_wh_per_request",
    "previous_inference_kwh",
    "current_inference_kwh",
    "wh_per_request_change_pct",
    "inference_kwh_per_day_change_pct",
    "rebound",
)


def efficiency(d: Disclosure) -> Built:
    rows = [(m.name, *pick(e, _EFFICIENCY_COLS)) for m in serving_models(d) for e in m.efficiency]
    return "Efficiency and rebound", ("model", *_EFFICIENCY_COLS), rows
