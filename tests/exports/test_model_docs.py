"""The per-model documents of the demo's report set (models/<name>/gpai-energy.json,
model-card.md, spdx-ai.json and models/gpai-energy.csv): read back, every figure checked against
disclosure.json's lifecycle statements and AI Act annex, and the SPDX and Hugging Face documents
validated against their (vendored) schemas, which reject corrupted documents."""

from __future__ import annotations

import csv
import math
from datetime import datetime

import pytest

from pipeline.config import load_config
from pipeline.exports.model_card import parse_front_matter
from pipeline.method.training_compute import training_compute
from tests.exports.model_docs_check import BASE, FINE_TUNE, HF, SPDX, errors, resolve


def _field(form: dict, name: str) -> dict:
    (row,) = [r for r in form["fields"] if r["field"] == name]
    return row


def test_every_model_of_the_lifecycle_has_its_documents(demo_run, docs):
    assert len(docs) == len(demo_run.disclosure["lifecycle"]) >= 2
    assert FINE_TUNE in docs and BASE in docs


def test_gpai_values_trace_to_the_disclosure_figures(demo_run, docs):
    d = demo_run.disclosure
    checked = 0
    for name, m in docs.items():
        form = m["gpai"]
        assert form["model"] == name and form["document"] == "disclosure.json"
        assert [r["field"] for r in form["fields"][:2]] == [
            "Training time",
            "Training time (GPU-hours)",
        ] and "Amount of energy used for training" in [r["field"] for r in form["fields"]]
        for r in form["fields"]:
            if not r["from"] or isinstance(r["value"], str) or ".lines[" in r["from"]:
                continue
            if r["from"].startswith("config "):  # not in disclosure.json: checked below
                continue
            source = resolve(d, r["from"])
            scale = 1000 if r["unit"] == "MWh" else 1
            assert (
                r["value"] is None
                if source is None
                else r["value"] * scale == pytest.approx(source, rel=1e-12)
            ), (name, r)
            checked += 1
        energy = _field(form, "Amount of energy used for training")
        assert energy["from"] == f"lifecycle[{m['i']}].training.energy_kwh"
        assert energy["value"] * 1000 == pytest.approx(m["s"]["training"]["energy_kwh"])
    assert checked >= 3 * len(docs)


def test_gpai_training_time_spans_the_own_training_runs(demo_run, docs):
    for m in docs.values():
        row = _field(m["gpai"], "Training time")
        runs = [
            x
            for x in m["s"]["lines"]
            if x["relation"] == "own" and x["phase"] in ("training", "fine_tuning")
        ]
        if not runs:
            assert row["value"] is None
            continue
        assert row["from"].endswith(".start,end")
        lines = resolve(demo_run.disclosure, row["from"].removesuffix(".start,end"))
        lines = lines if isinstance(lines, list) else [lines]
        assert sorted(x["job"] for x in lines) == sorted(x["job"] for x in runs)
        first = min(datetime.fromisoformat(x["start"]) for x in runs)
        last = max(datetime.fromisoformat(x["end"]) for x in runs)
        assert row["value"] == pytest.approx((last - first).total_seconds() / 86400, abs=1e-5)


def test_training_compute_is_the_annex_figure(demo_run, docs):
    cfg = load_config(demo_run.config)
    annex = {r["model"]: (j, r) for j, r in enumerate(demo_run.disclosure["regulatory"]["ai_act"])}
    assert BASE in annex and annex[BASE][1]["training_flops"]  # 6 N D in the demo config
    for name, m in docs.items():
        row = _field(m["gpai"], "Amount of computation used for training")
        if name in annex:
            j, r = annex[name]
            assert row["from"] == f"regulatory.ai_act[{j}].training_flops"
            assert (row["value"], row["basis"]) == (
                r["training_flops"],
                r["training_compute_basis"],
            )
        else:  # trained before the period: the config's figure
            assert row["from"] == f"config models.{name}"
            assert row["value"] == training_compute(cfg.models.get(name)).flops


def test_a_fine_tune_states_its_base_training_apart(docs):
    m = docs[FINE_TUNE]
    s, form = m["s"], m["gpai"]
    assert s["lineage"] == [FINE_TUNE, BASE] and s["base_training"]["energy_kwh"] > 0
    own = _field(form, "Amount of energy used for training")["value"] * 1000
    base = _field(form, f"Base models' training energy ({BASE}), stated apart")
    assert own == pytest.approx(s["training"]["energy_kwh"])
    assert base["value"] * 1000 == pytest.approx(s["base_training"]["energy_kwh"])
    assert base["from"] == f"lifecycle[{m['i']}].base_training.energy_kwh"
    # model card: emissions are the own training only; the base's stated in its own block
    meta = parse_front_matter(m["card"])
    assert meta["base_model"] == BASE
    assert meta["co2_eq_emissions"]["training_type"] == "fine-tuning"
    assert meta["co2_eq_emissions"]["emissions"] == pytest.approx(
        s["training"]["co2e_kg_location"] * 1000, abs=1e-3
    )
    apart = meta["wattprint"]["base_model_training"]
    assert apart["models"] == [BASE]
    assert apart["energy_kwh"] == s["base_training"]["energy_kwh"]
    assert f"Base model training ({BASE}), stated apart" in m["card"]
    # SPDX: the base model is its own package, its training not in the fine-tune's
    pkgs = {x["name"]: x for x in m["spdx"]["@graph"] if x["type"] == "ai_AIPackage"}
    assert set(pkgs) == {FINE_TUNE, BASE}
    base_kwh = _quantity(pkgs[BASE], "ai_trainingEnergyConsumption")
    assert base_kwh == pytest.approx(
        math.fsum(
            x["energy_kwh"] for x in s["lines"] if x["model"] == BASE and x["phase"] == "training"
        )
    )
    assert "ai_inferenceEnergyConsumption" not in pkgs[BASE]["ai_energyConsumption"]


def _quantity(pkg: dict, key: str) -> float:
    (desc,) = pkg["ai_energyConsumption"][key]
    assert desc["ai_energyUnit"] == "kilowattHour"
    return float(desc["ai_energyQuantity"])


def test_spdx_documents_are_valid_and_carry_the_lifecycle_energy(docs):
    for name, m in docs.items():
        assert errors(SPDX, m["spdx"]) == [], name
        (pkg,) = [
            x for x in m["spdx"]["@graph"] if x.get("name") == name and "ai_energyConsumption" in x
        ]
        s = m["s"]
        trained = _quantity(pkg, "ai_trainingEnergyConsumption")
        tuned = _quantity(pkg, "ai_finetuningEnergyConsumption")
        assert trained + tuned == pytest.approx(s["training"]["energy_kwh"], rel=1e-12)
        assert _quantity(pkg, "ai_inferenceEnergyConsumption") == s["inference"]["energy_kwh"]


def test_model_cards_are_valid_and_carry_the_lifecycle_emissions(docs):
    for name, m in docs.items():
        meta = parse_front_matter(m["card"])
        assert errors(HF, meta) == [], name
        co2 = meta["co2_eq_emissions"]
        assert co2["emissions"] == pytest.approx(
            m["s"]["training"]["co2e_kg_location"] * 1000, abs=1e-3
        )
        own = [
            x["phase"]
            for x in m["s"]["lines"]
            if x["relation"] == "own" and x["phase"] in ("training", "fine_tuning")
        ]
        tuned = len(m["s"]["lineage"]) > 1 or (own and set(own) == {"fine_tuning"})
        assert co2["training_type"] == ("fine-tuning" if tuned else "pre-training"), name
    assert (
        parse_front_matter(docs[BASE]["card"])["co2_eq_emissions"]["training_type"]
        == "pre-training"
    )


def test_the_gpai_table_is_in_the_report_set_and_its_index(demo_run, docs):
    rows = list(csv.DictReader((demo_run.reports / "models" / "gpai-energy.csv").open()))
    assert len(rows) == sum(len(m["gpai"]["fields"]) for m in docs.values())
    energy = {
        r["model"]: float(r["value"])
        for r in rows
        if r["field"] == "Amount of energy used for training"
    }
    assert energy == {
        n: _field(m["gpai"], "Amount of energy used for training")["value"] for n, m in docs.items()
    }
    index = list(csv.DictReader((demo_run.reports / "tables" / "index.csv").open()))
    (entry,) = [r for r in index if r["stem"] == "../models/gpai-energy"]
    assert (int(entry["rows"]), int(entry["columns"])) == (len(rows), len(rows[0]))
    assert (demo_run.reports / "tables" / f"{entry['stem']}.csv").is_file()
