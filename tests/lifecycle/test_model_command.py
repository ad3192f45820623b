"""`wattprint model` on the demo's warehouse: the statement's figures are printed in its PDF, agree
with the warehouse and with the monthly report, and a range of days cuts them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline.config import load_config
from pipeline.formatting import fmt, fmt_pct
from pipeline.lifecycle.build import build_statement
from pipeline.warehouse import connect
from tests.conftest import REPO
from tests.pdf_figures import has_number, unprinted_figures

MODEL = "atlas-7b-chat"  # fine-tuned from atlas-7b in the demo config, served at Stockholm


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def model_folder(demo_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lifecycle")
    proc = _cli("model", MODEL, "--config", str(demo_run.config), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"pdf: {out / 'lifecycle.pdf'}" in proc.stdout
    return out


@pytest.fixture(scope="module")
def statement(model_folder) -> tuple[dict, str]:
    out = model_folder
    text = " ".join(p.extract_text() for p in PdfReader(out / "lifecycle.pdf").pages)
    return json.loads((out / "lifecycle.json").read_text()), re.sub(r"\s+", " ", text)


def test_every_total_and_month_is_printed_in_the_pdf(statement):
    s, text = statement
    sections = ("training", "base_training", "development", "inference", "monthly")
    checked, missing = unprinted_figures(s, text, sections)
    assert checked >= 36 and not missing, missing  # 4 parts x 8 figures + 4 a month
    for line in s["lines"]:
        for key in ("gpu_hours", "energy_kwh", "co2e_kg_location"):
            assert has_number(text, fmt(line[key])), (line["name"], key)
        assert fmt_pct(line["measured_share"]) in text
    assert has_number(text, fmt(s["requests"]))
    assert has_number(text, fmt(s["crossover"]["training_wh_per_request_amortised"]))
    assert "Fine-tuned from atlas-7b" in text


def test_the_statement_agrees_with_the_warehouse_and_the_monthly_report(demo_run, statement):
    s, _ = statement
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        own, base, inference = con.execute(
            "SELECT sum(facility_energy_kwh) FILTER (WHERE model = ? AND phase IN "
            "('training', 'fine_tuning')), sum(facility_energy_kwh) FILTER (WHERE model = "
            "'atlas-7b' AND phase IN ('training', 'fine_tuning')), sum(facility_energy_kwh) "
            "FILTER (WHERE model = ? AND phase = 'inference') FROM daily_summary",
            [MODEL, MODEL],
        ).fetchone()
        requests = con.execute(
            "SELECT sum(requests) FROM raw_serving WHERE model = ?", [MODEL]
        ).fetchone()[0]
    assert s["training"]["energy_kwh"] == pytest.approx(own, rel=1e-9)
    assert s["inference"]["energy_kwh"] == pytest.approx(inference, rel=1e-9)
    assert s["requests"] == requests
    # the base's pre-training (failed run and restart) is a line of its own, not in "training"
    base_lines = [x for x in s["lines"] if x["relation"] == "base" and x["phase"] == "training"]
    assert [x["state"] for x in base_lines] == ["FAILED", "COMPLETED"]
    assert sum(x["energy_kwh"] for x in base_lines) == pytest.approx(base, rel=1e-9)
    monthly = {x["name"]: x for x in demo_run.disclosure["lifecycle"]}[MODEL]
    for key in ("training", "base_training", "inference"):
        assert monthly[key]["energy_kwh"] == pytest.approx(s[key]["energy_kwh"], rel=1e-9)


def test_a_range_of_days_cuts_every_figure(demo_run):
    cfg = load_config(demo_run.config)
    a, b = date(2026, 10, 5), date(2026, 10, 7)
    with connect(cfg.warehouse_path, read_only=True) as con:
        s = build_statement(con, cfg, MODEL, a, b)
        expected = con.execute(
            "SELECT sum(facility_energy_kwh) FROM daily_summary WHERE model = ? AND "
            "phase = 'inference' AND day BETWEEN ? AND ?",
            [MODEL, a, b],
        ).fetchone()[0]
    assert (s.start, s.end) == (a, b)
    assert s.inference.energy_kwh == pytest.approx(expected, rel=1e-9)
    assert all(x.start is None or x.start.date() <= b for x in s.lines)
    assert {m.month for m in s.monthly} == {"2026-10"}


def test_an_unknown_model_is_one_line_naming_the_closest(demo_run):
    proc = _cli("model", "atlas-7b-chta", "--config", str(demo_run.config))
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "'atlas-7b-chta'" in proc.stderr and "did you mean 'atlas-7b-chat'" in proc.stderr


def test_the_gpai_form_section_model_card_and_spdx_are_written_beside_it(model_folder, statement):
    """The model's documents trace to lifecycle.json, and the PDF prints the GPAI table."""
    s, text = statement
    form = json.loads((model_folder / "gpai-energy.json").read_text())
    assert form["document"] == "lifecycle.json" and form["lineage"] == s["lineage"]
    fields = {r["field"]: r for r in form["fields"]}
    energy = fields["Amount of energy used for training"]
    assert energy["from"] == "training.energy_kwh"
    assert energy["value"] * 1000 == pytest.approx(s["training"]["energy_kwh"], rel=1e-12)
    base = fields["Base models' training energy (atlas-7b), stated apart"]
    assert base["value"] * 1000 == pytest.approx(s["base_training"]["energy_kwh"], rel=1e-12)
    assert fields["Amount of computation used for training"]["from"] == f"config models.{MODEL}"
    assert "GPAI Model Documentation Form: energy and compute of atlas-7b" in text  # -chat wraps
    assert "Amount of energy used for training" in text
    assert has_number(text, fmt(energy["value"]))
    assert has_number(text, fmt(base["value"]))
    card = (model_folder / "model-card.md").read_text()
    assert card.startswith("---\nmodel_name: atlas-7b-chat\nbase_model: atlas-7b\n")
    spdx = json.loads((model_folder / "spdx-ai.json").read_text())
    assert [x["name"] for x in spdx["@graph"] if x["type"] == "ai_AIPackage"] == s["lineage"]


def test_the_monthly_crossover_and_the_lifecycle_statements_agree(demo_run):
    """The models table's crossover (models[]) and each lifecycle statement read one daily series:
    the same date, totals and requests for every model."""
    d = demo_run.disclosure
    statements = {s["name"]: s["crossover"] for s in d["lifecycle"]}
    assert {m["name"] for m in d["models"]} <= set(statements)
    for m in d["models"]:
        a, b = m["crossover"], statements[m["name"]]
        assert (a["reached"], a["date"], a["lifecycle_requests"]) == (
            b["reached"], b["date"], b["lifecycle_requests"]
        ), m["name"]  # fmt: skip
        for key in ("lifecycle_training_kwh", "lifecycle_inference_kwh"):
            assert a[key] == pytest.approx(b[key], rel=1e-12), (m["name"], key)
