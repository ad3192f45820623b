"""The report benchmark still runs end to end on a small monthly disclosure (figures are printed,
not asserted: timings on a shared machine are noise)."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from benchmarks.report import STAGES, measure, model_names, monthly_disclosure


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_report_benchmark_runs_and_prints_every_model(tmp_path: Path) -> None:
    figures = measure(models=3, repeat=1, folder=tmp_path)
    assert tuple(figures.stages_s) == STAGES
    assert all(s > 0 for s in figures.stages_s.values())
    assert figures.total_s > 0 and figures.ratio > 0
    assert (figures.models, figures.days) == (3, 31)
    assert figures.pages > 0 and figures.csv_files > 0
    assert {"json", "html", "pdf", "tables"} <= set(figures.paths)

    reader = PdfReader(BytesIO(figures.paths["pdf"].read_bytes()))
    assert len(reader.pages) == figures.pages
    text = _norm("\n".join(page.extract_text() or "" for page in reader.pages))
    for name in model_names(3):
        assert name in text, name
    lines = "\n".join(figures.lines())
    for stage in (*STAGES, "total", "ratio"):
        assert stage in lines


def test_monthly_disclosure_is_consistent() -> None:
    d = monthly_disclosure(models=12)
    assert len(d.models) == 12 and len({m.name for m in d.models}) == 12
    assert d.period.days == 31 and len(d.daily) == 31 * len(d.phases)
    for phase, f in d.phases.items():
        daily = sum(r.energy_kwh for r in d.daily if r.phase == phase)
        assert abs(daily - f.energy_kwh) < 1e-6 * max(f.energy_kwh, 1.0), phase
    assert abs(sum(f.energy_kwh for f in d.phases.values()) - d.totals.energy_kwh) < 0.01
    training = d.phases["training"].energy_kwh + d.phases["fine_tuning"].energy_kwh
    assert abs(sum(m.training.energy_kwh for m in d.models) - training) < 0.1
    inference = d.phases["inference"].energy_kwh
    assert abs(sum(m.inference.energy_kwh for m in d.models) - inference) < 0.1
    for m in d.models:
        assert len(m.cumulative) == 31
        last = m.cumulative[-1]
        assert last.training_kwh == m.crossover.lifecycle_training_kwh
        assert last.inference_kwh == m.crossover.lifecycle_inference_kwh
        assert m.crossover.reached == (last.inference_kwh >= last.training_kwh > 0)
    assert monthly_disclosure(models=12) == d  # deterministic
