"""The report's declared-usage table (see tables.py): one row per declared run with days in the
period, its period share and its whole run, as section 3.6 prints it."""

from __future__ import annotations

from pipeline.disclosure.model import Disclosure
from pipeline.report.table import Built

_RUN_COLS = ("run", "model", "phase", "start_utc")
_FIGURES = ("gpu_hours", "energy_kwh", "co2e_kg_location")
_TAIL = ("pue_basis", "source")


def declared(d: Disclosure) -> Built:
    columns = (
        *_RUN_COLS,
        *(f"period_{f}" for f in _FIGURES),
        *(f"total_{f}" for f in _FIGURES),
        *_TAIL,
    )
    rows = [
        (
            *(getattr(r, c) for c in _RUN_COLS),
            *(getattr(r.period, f) for f in _FIGURES),
            *(getattr(r.total, f) for f in _FIGURES),
            *(getattr(r, c) for c in _TAIL),
        )
        for r in d.declared.runs
    ]
    return "Declared usage: period share and whole run (not in the fleet's totals)", columns, rows
