"""The report's per-prompt tables (docs/per-prompt.md): per model with a request log, the mean,
P10, median and P90 per prompt of each figure, and the median prompt's boundary breakdown
(see tables.py for the CSV conventions)."""

from __future__ import annotations

from pipeline.disclosure.model import Disclosure
from pipeline.disclosure.model_figures import ModelFigures, PromptFigures
from pipeline.report.table import Built, Cell
from pipeline.report.tables_models import serving_models

# disclosure.json per_prompt.<field> → the printed label and unit
PROMPT_METRICS = (
    ("wh", "Energy", "Wh"),
    ("gco2e_location", "CO2e location", "g"),
    ("gco2e_market", "CO2e market", "g"),
    ("water_ml", "Water", "mL"),
    ("cost_usd", "Cost", "USD"),
)
MEASURED = "wh_measured_by_server"
_PARTS = ("accelerator", "host", "idle", "facility_overhead")


def prompt_models(d: Disclosure) -> list[ModelFigures]:
    """Serving models with per-prompt figures, the rows of both tables (the template too)."""
    return [m for m in serving_models(d) if m.per_prompt is not None]


def _rows(p: PromptFigures) -> list[tuple[str, Cell, Cell, Cell, Cell]]:
    rows: list[tuple[str, Cell, Cell, Cell, Cell]] = []
    for field, _, _ in PROMPT_METRICS:
        s = getattr(p, field)
        rows.append((field, *((s.mean, s.p10, s.median, s.p90) if s else (None,) * 4)))
    if p.measured_median_wh is not None:
        rows.append((MEASURED, None, None, p.measured_median_wh, None))
    return rows


def per_prompt(d: Disclosure) -> Built:
    cols = ("model", "metric", "mean", "p10", "median", "p90")
    rows = [(m.name, *row) for m in prompt_models(d) if m.per_prompt for row in _rows(m.per_prompt)]
    return "Per prompt (request log): mean, P10, median and P90", cols, rows


def per_prompt_breakdown(d: Disclosure) -> Built:
    cols = ("model", "requests")
    cols += tuple(f"median_{k}_{u}" for k in _PARTS for u in ("wh", "pct"))
    cols += ("requests_without_energy", "hours_without_requests")
    rows = []
    for m in prompt_models(d):
        p = m.per_prompt
        assert p is not None
        b, s = p.median_breakdown, p.median_shares
        parts: list[Cell] = []
        for k in _PARTS:
            parts += [getattr(b, f"{k}_wh") if b else None, getattr(s, f"{k}_pct") if s else None]
        rows.append(
            (m.name, p.requests, *parts, p.requests_without_energy, p.hours_without_requests)
        )
    return "The median prompt, full boundary: where its energy went", cols, rows
