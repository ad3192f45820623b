"""The report's closing tables: data quality, checks, factors, the regulatory annex (EU AI Act,
Scope 2, SCI) and the input manifest (see tables.py)."""

from __future__ import annotations

from pipeline.disclosure.model import Disclosure
from pipeline.report.table import Built, pick
from pipeline.report.tables_models import serving_models

_QUALITY_COLS = (  # in the order of the printed lines
    "measured_share",
    "quarantined_rows",
    "grid_fallback_hours",
    "grid_conflicts",
    "gpu_sample_conflicts",
    "unclassified_jobs",
    "scheduler_estimated_share",
    "host_measured_share",
    "grid_hourly_share",
    "unattributed_cost_usd",
    "files",
)


def data_quality(d: Disclosure) -> Built:
    title = "Data quality (shares 0-1)"
    return title, _QUALITY_COLS, [pick(d.data_quality, _QUALITY_COLS)]


def checks(d: Disclosure) -> Built:
    rows = [(c.name, c.passed, c.blocking, c.detail) for c in d.checks]
    return "Checks", ("check", "passed", "blocking", "detail"), rows


def factors(d: Disclosure) -> Built:
    rows = [(f.name, f.value, f.unit, f.source) for f in d.factors]
    return "Methodology: factors and defaults used", ("factor", "value", "unit", "source"), rows


_AI_ACT_COLS = ("model", "training_gpu_hours", "training_days", "energy_kwh", "training_flops")
_AI_ACT_COLS += ("training_compute_basis", "energy_basis")


def ai_act(d: Disclosure) -> Built:
    rows = [pick(a, _AI_ACT_COLS) for a in d.regulatory.ai_act] if d.regulatory is not None else []
    return "EU AI Act, Annex XI 1.2: training compute, time and energy", _AI_ACT_COLS, rows


_SCOPE2_COLS = (
    "scope2_location_kg",
    "scope2_market_kg",
    "scope2_instrument_kwh",
    "scope2_residual_factor_note",
)


def scope2(d: Disclosure) -> Built:
    rows = [pick(d.regulatory, _SCOPE2_COLS)] if d.regulatory is not None else []
    return "GHG Protocol Scope 2: dual reporting (kg CO2e)", _SCOPE2_COLS, rows


def sci(d: Disclosure) -> Built:
    rows = []
    if d.regulatory is not None:
        rows = [
            (m.name, m.units.sci_gco2e_per_request if m.units is not None else None)
            for m in serving_models(d)
        ]
    return "Software Carbon Intensity (SCI) per model", ("model", "sci_gco2e_per_request"), rows


_INPUT_COLS = ("path", "format", "rows", "size_bytes", "sha256")


def inputs(d: Disclosure) -> Built:
    # printed in report.html only; the PDF prints its file count, bytes and the SHA-256 of
    # this table's CSV file (report/manifest.py)
    return "Input manifest", _INPUT_COLS, [pick(f, _INPUT_COLS) for f in d.inputs]
