"""Per-model documents written with the monthly report set and by `wattprint model`:
`gpai-energy.json` (pipeline/exports/gpai.py), `model-card.md` (model_card.py) and
`spdx-ai.json` (spdx.py), from each model's lifecycle statement; in the report set also
`models/gpai-energy.csv`, every model's form rows as one printable table, listed in
tables/index.csv."""

from __future__ import annotations

import re

import polars as pl

from pipeline.config import Config
from pipeline.disclosure.annex import declared_flops
from pipeline.disclosure.model import Disclosure
from pipeline.exports import gpai, model_card, spdx
from pipeline.lifecycle.model import LifecycleStatement
from pipeline.method.training_compute import training_compute

FOLDER = "models"
NAMES = {"gpai": "gpai-energy.json", "card": "model-card.md", "spdx": "spdx-ai.json"}
TABLE_STEM = "gpai-energy"


def folder_name(model: str) -> str:
    """A model name as one folder name: 'meta-llama/Llama-2-7b' -> 'meta-llama_Llama-2-7b'."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._") or "model"
    return name[:120]


def config_compute(
    cfg: Config, model: str, declared_runs: pl.DataFrame | None = None
) -> gpai.Compute:
    """Training compute the model's declared training runs state (`declared_runs`: the runs of
    pipeline/method/declared.py), else the config's `models` entry (declared FLOPs, else 6 N D)."""
    flops, source = declared_flops(declared_runs, model)
    c = training_compute(cfg.models.get(model), flops, source)
    origin = "declared usage" if flops is not None else f"config models.{model}"
    return gpai.Compute(c.flops, c.basis, c.source, origin)


def report_compute(
    d: Disclosure, cfg: Config, model: str, declared_runs: pl.DataFrame | None = None
) -> gpai.Compute:
    """The annex's training compute when the model trained in the period (its declared runs'
    FLOPs before the config's), else the config's."""
    for j, row in enumerate(d.regulatory.ai_act):
        if row.model == model:
            return gpai.Compute(
                row.training_flops,
                row.training_compute_basis,
                row.training_compute_source,
                f"regulatory.ai_act[{j}].training_flops",
            )
    return config_compute(cfg, model, declared_runs)


def zones(cfg: Config) -> dict[str, str]:
    return {name: site.grid_zone for name, site in cfg.sites.items()}


def statement_files(
    s: LifecycleStatement,
    prefix: str,
    source: str,
    compute: gpai.Compute,
    cfg: Config,
    version: str,
) -> tuple[dict[str, bytes], dict]:
    """The three documents of one statement (file name -> bytes) and its GPAI document."""
    form = gpai.document(s, prefix, compute, source)
    files = {
        NAMES["gpai"]: gpai.json_bytes(form),
        NAMES["card"]: model_card.card(s, zones(cfg), version).encode("utf-8"),
        NAMES["spdx"]: gpai.json_bytes(spdx.document(s, cfg.reporting.organisation, version)),
    }
    return files, form


def report_files(
    d: Disclosure, cfg: Config, declared_runs: pl.DataFrame | None = None
) -> tuple[dict[str, bytes], tuple[str, str, int, int]]:
    """`models/<folder_name>/...` for every lifecycle statement of the disclosure, and
    `models/gpai-energy.csv`; with the CSV's tables/index.csv row. `declared_runs`: every
    declared run (their FLOPs count for models that did not train in the period)."""
    files: dict[str, bytes] = {}
    forms = []
    for i, s in enumerate(d.lifecycle):
        compute = report_compute(d, cfg, s.name, declared_runs)
        own, form = statement_files(
            s, f"lifecycle[{i}].", "disclosure.json", compute, cfg, d.code_version
        )
        files.update({f"{FOLDER}/{folder_name(s.name)}/{k}": v for k, v in own.items()})
        forms.append(form)
    files[f"{FOLDER}/{TABLE_STEM}.csv"] = gpai.csv_bytes(forms)
    rows = sum(len(f["fields"]) for f in forms)
    title = "GPAI Model Documentation Form: training energy and compute per model"
    return files, (f"../{FOLDER}/{TABLE_STEM}", title, rows, len(gpai.CSV_COLUMNS))
