"""The vendored schemas (tests/schemas/) accept the published examples and reject corrupted
documents; how the GPAI form says the training energy is known (pure functions)."""

from __future__ import annotations

import copy

from pipeline.exports.gpai import energy_status
from pipeline.exports.model_card import parse_front_matter
from pipeline.lifecycle.model import LifecycleLine
from tests.exports.model_docs_check import FINE_TUNE, HF, SPDX, errors

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
