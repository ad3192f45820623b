"""The per-model documents of the demo's report set (models/<name>/gpai-energy.json,
model-card.md, spdx-ai.json and models/gpai-energy.csv): read back, every figure checked against
disclosure.json's lifecycle statements and AI Act annex, and the SPDX and Hugging Face documents
validated against their (vendored) schemas, which reject corrupted documents."""

from __future__ import annotations

import copy
import csv
import json
import math
from datetime import datetime

import pytest

from pipeline.config import load_config
from pipeline.exports.gpai import energy_status
from pipeline.exports.model_card import parse_front_matter
from pipeline.exports.model_docs import folder_name
from pipeline.lifecycle.model import LifecycleLine
from pipeline.method.training_compute import training_compute
from tests.exports.model_docs_check import HF, SPDX, errors, resolve

FINE_TUNE, BASE = "atlas-7b-chat", "atlas-7b"  # the demo's lineage


@pytest.fixture(scope="module")
def docs(demo_run) -> dict[str, dict]:
    """Per model of disclosure.json's lifecycle[]: its statement, index and three documents."""
    out = {}
    for i, s in enumerate(demo_run.disclosure["lifecycle"]):
        folder = demo_run.reports / "models" / folder_name(s["name"])
        out[s["name"]] = {
            "i": i,
            "s": s,
            "gpai": json.loads((folder / "gpai-energy.json").read_text()),
            "card": (folder / "model-card.md").read_text(),
            "spdx": json.loads((folder / "spdx-ai.json").read_text()),
        }
    return out


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


# --- the schemas reject what a reader would choke on -----------------------------------------


def test_the_spdx_schema_rejects_a_wrong_unit_a_missing_quantity_and_no_creation_info(docs):
    good = docs[FINE_TUNE]["spdx"]
    assert errors(SPDX, good) == []
    pkg_at = next(i for i, x in enumerate(good["@graph"]) if x["type"] == "ai_AIPackage")
    for corrupt in (
        lambda p: p["ai_energyConsumption"]["ai_trainingEnergyConsumption"][0].update(
            ai_energyUnit="kWh"
        ),
        lambda p: p["ai_energyConsumption"]["ai_finetuningEnergyConsumption"][0].pop(
            "ai_energyQuantity"
        ),
        lambda p: p["ai_energyConsumption"]["ai_inferenceEnergyConsumption"][0].update(
            ai_energyQuantity="1e3"
        ),
        lambda p: p["ai_energyConsumption"].update(ai_trainingEnergy=[]),
        lambda p: p.pop("creationInfo"),
    ):
        bad = copy.deepcopy(good)
        corrupt(bad["@graph"][pkg_at])
        assert errors(SPDX, bad), bad["@graph"][pkg_at]


def test_the_spdx_schema_accepts_the_specs_own_example():
    # spdx.github.io/spdx-spec/v3.0.1/model/AI/Classes/EnergyConsumption, in an AI package
    example = {
        "type": "ai_EnergyConsumption",
        "ai_trainingEnergyConsumption": [
            {
                "type": "ai_EnergyConsumptionDescription",
                "ai_energyQuantity": "36.5",
                "ai_energyUnit": "kilowattHour",
            }
        ],
        "ai_inferenceEnergyConsumption": [
            {
                "type": "ai_EnergyConsumptionDescription",
                "ai_energyQuantity": "0.042",
                "ai_energyUnit": "kilowattHour",
            }
        ],
    }
    doc = {
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
            {
                "type": "CreationInfo",
                "@id": "_:c",
                "specVersion": "3.0.1",
                "created": "2025-01-01T00:00:00Z",
                "createdBy": ["https://example.org/org"],
            },
            {
                "type": "ai_AIPackage",
                "spdxId": "https://example.org/m",
                "creationInfo": "_:c",
                "ai_energyConsumption": example,
            },
        ],
    }
    assert errors(SPDX, doc) == []


def test_the_model_card_schema_takes_the_hubs_example_and_rejects_corruptions(docs):
    # the documented structure (huggingface.co/docs/hub/model-cards-co2) as a real card fills it
    hub = {
        "co2_eq_emissions": {
            "emissions": 1710,
            "source": "CodeCarbon",
            "training_type": "fine-tuning",
            "geographical_location": "Singapore",
            "hardware_used": "NVIDIA A100-SXM4-40GB",
        }
    }
    assert errors(HF, hub) == []
    good = parse_front_matter(docs[FINE_TUNE]["card"])
    for key, value in (
        ("emissions", "44.9 kg"),
        ("training_type", "finetuning"),
        ("emissions", -1.0),
        ("unit", "kg"),
    ):
        bad = copy.deepcopy(good)
        bad["co2_eq_emissions"][key] = value
        assert errors(HF, bad), (key, value)
    bad = copy.deepcopy(good)
    del bad["co2_eq_emissions"]["source"]
    assert errors(HF, bad)


# --- pure functions --------------------------------------------------------------------------


def _line(basis: str, kwh: float, measured: float = 0.0, phase: str = "training") -> LifecycleLine:
    return LifecycleLine(
        model="m",
        relation="own",
        phase=phase,
        basis=basis,
        name="run",
        job="site/1" if basis == "fleet" else "declared.csv:2",
        measured_share=measured,
        source=f"{basis} source",
        energy_kwh=kwh,
    )


def test_energy_status_says_how_the_training_energy_is_known():
    assert energy_status([]).startswith("not known")
    assert energy_status([_line("fleet", 10.0, 1.0)]).startswith("known (GPU energy measured")
    assert energy_status([_line("declared", 10.0)]) == "declared: declared by its source 100%"
    mixed = energy_status([_line("fleet", 6.0, 0.5), _line("declared", 4.0)])
    assert mixed == (
        "estimated: GPU energy measured 30%, estimated from GPU power models 30%, "
        "declared by its source 40%"
    )
