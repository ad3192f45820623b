"""The energy and compute part of the EU GPAI Model Documentation Form, per model.

The form: General-Purpose AI Code of Practice, Transparency chapter, Measure 1.1, "Model
Documentation Form" (published 10 July 2025), which implements AI Act Annex XI §1.2 (d)
computational resources and (e) known or estimated energy consumption. Its rows here keep the
form's field names and order (docs/outputs.md): training time, amount of computation used for
training and its measurement methodology; amount of energy used for training (MWh) and its
measurement methodology; the benchmarked computation used for inference and its methodology.

Every value names the figure it comes from (`from`: a path into `document`, e.g.
`lifecycle[2].training.energy_kwh` in disclosure.json or `training.energy_kwh` in lifecycle.json),
so a reader can check it. Energy is the whole training as the lifecycle statement counts it (every
run up to the statement's last day, not the month's), the base models' training stated apart.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from pipeline.lifecycle.model import LifecycleLine, LifecycleStatement
from pipeline.report.tables import csv_cell

FORM = (
    "General-Purpose AI Code of Practice, Transparency chapter, Model Documentation Form "
    "(10 July 2025); AI Act Annex XI §1.2 (d) and (e)"
)
TRAINING = ("training", "fine_tuning")
BOUNDARY = (
    "facility energy (IT × PUE): GPU boards, host servers and the facility overhead of the sites "
    "the runs used; every training and fine-tuning run of this model (failed and restarted runs "
    "included); the base models' training stated apart"
)
INFERENCE_NOT_MEASURED = (
    "not measured: wattprint measures inference energy (lifecycle inference.energy_kwh), not "
    "its computation in FLOP"
)
CSV_COLUMNS = ("model", "section", "field", "value", "unit", "from", "basis")


@dataclass(frozen=True)
class Compute:
    """Training compute with where it comes from (an annex row or the config)."""

    flops: float | None
    basis: str
    source: str
    origin: str  # the `from` path of `flops`


@dataclass(frozen=True)
class FormRow:
    section: str
    field: str
    value: float | str | None
    unit: str
    source_path: str  # written as `from`
    basis: str

    def record(self) -> dict:
        r = asdict(self)
        return {k: r[k] for k in ("section", "field", "value", "unit")} | {
            "from": r["source_path"],
            "basis": r["basis"],
        }


def own_training(s: LifecycleStatement) -> list[LifecycleLine]:
    return [x for x in s.lines if x.relation == "own" and x.phase in TRAINING]


def line_paths(s: LifecycleStatement, prefix: str, lines: list[LifecycleLine]) -> str:
    """`prefix.lines[i,j]`: where the lines sit in the statement."""
    idx = [str(i) for i, x in enumerate(s.lines) if any(x is y for y in lines)]
    return f"{prefix}lines[{','.join(idx)}]" if idx else ""


def training_days(lines: list[LifecycleLine]) -> float | None:
    """Wall-clock days from the first training run's start to the last one's end."""
    starts = [x.start for x in lines if x.start]
    ends = [x.end for x in lines if x.end]
    if not starts or not ends:
        return None
    return (max(ends) - min(starts)).total_seconds() / 86400


def energy_status(lines: list[LifecycleLine]) -> str:
    """'known' (all measured), 'estimated' or 'declared', with shares of the energy."""
    total = sum(x.energy_kwh for x in lines)
    if not total:
        return "not known: no training energy recorded"
    declared = sum(x.energy_kwh for x in lines if x.basis == "declared")
    measured = sum(x.energy_kwh * x.measured_share for x in lines if x.basis == "fleet")
    estimated = total - declared - measured
    if measured >= total * 0.999:
        status = "known (GPU energy measured; host overhead and PUE as configured)"
    elif declared >= total * 0.999:
        status = "declared"
    else:
        status = "estimated"
    parts = [
        f"{label} {100 * kwh / total:.0f}%"
        for label, kwh in (
            ("GPU energy measured", measured),
            ("estimated from GPU power models", estimated),
            ("declared by its source", declared),
        )
        if kwh > total * 1e-9
    ]
    return f"{status}: {', '.join(parts)}"


def methodology(lines: list[LifecycleLine]) -> str:
    sources = sorted({x.source for x in lines})
    return f"{energy_status(lines)}; boundary: {BOUNDARY}; from: {'; '.join(sources) or 'none'}"


def form_rows(s: LifecycleStatement, prefix: str, compute: Compute) -> list[FormRow]:
    """The form's energy and compute fields for `s`, in the form's order. `prefix` is the path of
    `s` in its document: 'lifecycle[2].' in disclosure.json, '' in lifecycle.json."""
    own = own_training(s)
    base = [x for x in s.lines if x.relation == "base"]  # as the statement's base_training
    runs = line_paths(s, prefix, own)
    comp, energy = "Computational resources", "Energy consumption"
    rows = [
        FormRow(
            comp,
            "Training time",
            _days(training_days(own)),
            "days",
            runs and runs + ".start,end",
            "wall clock, first training run's start to the last one's end",
        ),
        FormRow(
            comp,
            "Training time (GPU-hours)",
            s.training.gpu_hours,
            "GPU-hours",
            f"{prefix}training.gpu_hours",
            "sum over the training runs",
        ),
        FormRow(
            comp,
            "Amount of computation used for training",
            compute.flops,
            "FLOP",
            compute.origin,
            compute.basis,
        ),
        FormRow(
            comp,
            "Measurement methodology",
            f"{compute.basis}: {compute.source}",
            "",
            compute.origin,
            compute.basis,
        ),
        FormRow(
            energy,
            "Amount of energy used for training",
            s.training.energy_kwh / 1000,
            "MWh",
            f"{prefix}training.energy_kwh",
            energy_status(own),
        ),
        FormRow(energy, "Measurement methodology", methodology(own), "", runs, energy_status(own)),
        FormRow(
            energy,
            "Benchmarked amount of computation used for inference",
            None,
            "FLOP",
            "",
            INFERENCE_NOT_MEASURED,
        ),
        FormRow(
            energy,
            "Measurement methodology (inference)",
            INFERENCE_NOT_MEASURED,
            "",
            "",
            "not measured",
        ),
    ]
    if len(s.lineage) > 1:  # after the own figure it is apart from, in the form's order
        bases = ", ".join(s.lineage[1:])
        rows.insert(
            2,
            FormRow(
                comp,
                f"Base models' training time ({bases}), stated apart",
                s.base_training.gpu_hours,
                "GPU-hours",
                f"{prefix}base_training.gpu_hours",
                "sum over the base models' runs, not in the figures above",
            ),
        )
        rows.insert(
            6,
            FormRow(
                energy,
                f"Base models' training energy ({bases}), stated apart",
                s.base_training.energy_kwh / 1000,
                "MWh",
                f"{prefix}base_training.energy_kwh",
                f"not in the figure above; {energy_status(base)}",
            ),
        )
    return rows


def _days(d: float | None) -> float | None:
    return None if d is None else round(d, 6)


def document(s: LifecycleStatement, prefix: str, compute: Compute, source: str) -> dict:
    """gpai-energy.json: the model, its lineage, the document the paths point into, the rows."""
    return {
        "form": FORM,
        "model": s.name,
        "lineage": s.lineage,
        "period": {"start": s.start.isoformat(), "end": s.end.isoformat()},
        "generated_at": _utc(s.generated_at),
        "document": source,
        "fields": [r.record() for r in form_rows(s, prefix, compute)],
    }


def _utc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def json_bytes(doc: dict) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def csv_bytes(docs: list[dict]) -> bytes:
    """The printable table of every model's form rows (one CSV)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for doc in docs:
        for r in doc["fields"]:
            w.writerow(csv_cell(v) for v in [doc["model"], *(r[k] for k in CSV_COLUMNS[1:])])
    return buf.getvalue().encode("utf-8")
