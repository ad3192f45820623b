"""An SPDX 3.0.1 document (JSON-LD) with one AI package per model of the lineage and its energy
consumption (`ai_energyConsumption`: training, fine-tuning and inference, in kWh).

Names as SPDX 3.0.1's JSON-LD serialisation spells them (https://spdx.org/rdf/3.0.1/): classes
`CreationInfo`, `Organization`, `ai_AIPackage`, `ai_EnergyConsumption`,
`ai_EnergyConsumptionDescription`; energy `ai_energyQuantity` with `ai_energyUnit`
`kilowattHour`. The model's package carries its own training (`training` phase runs) and
fine-tuning (`fine_tuning` runs) and its inference to date; each base model gets its own package
with its training, so a fine-tune's base training is stated apart and never added in.
Energy is facility energy (IT × PUE), as in the lifecycle statement.
"""

from __future__ import annotations

import math
import re

from pipeline.lifecycle.model import LifecycleStatement

CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
SPEC_VERSION = "3.0.1"
UNIT = "kilowattHour"
NAMESPACE = "https://wattprint.invalid/spdx"
CREATION = "_:creationinfo"


def spdx_id(kind: str, name: str) -> str:
    return f"{NAMESPACE}/{kind}/{re.sub(r'[^A-Za-z0-9._-]+', '-', name)}"


def description(kwh: float) -> dict:
    return {
        "type": "ai_EnergyConsumptionDescription",
        "ai_energyQuantity": kwh,
        "ai_energyUnit": UNIT,
    }


def energy(training_kwh: float, finetuning_kwh: float, inference_kwh: float | None) -> dict:
    out: dict = {"type": "ai_EnergyConsumption"}
    out["ai_trainingEnergyConsumption"] = [description(training_kwh)]
    out["ai_finetuningEnergyConsumption"] = [description(finetuning_kwh)]
    if inference_kwh is not None:
        out["ai_inferenceEnergyConsumption"] = [description(inference_kwh)]
    return out


def _kwh(s: LifecycleStatement, model: str, phase: str) -> float:
    return math.fsum(x.energy_kwh for x in s.lines if x.model == model and x.phase == phase)


def package(s: LifecycleStatement, model: str, org_id: str) -> dict:
    own = model == s.name
    base_of = s.lineage[s.lineage.index(model) - 1] if not own else None
    comment = (
        f"Energy: facility energy (IT × PUE) of the runs wattprint recorded or was declared, "
        f"{s.start.isoformat()} to {s.end.isoformat()}; from wattprint's lifecycle statement of "
        f"{s.name}."
    )
    if own and len(s.lineage) > 1:
        comment += f" Fine-tuned from {s.lineage[1]}: its training is in its own package, not here."
    if base_of:
        comment += f" Base model of {base_of}; inference not stated (it is {s.name}'s)."
    return {
        "type": "ai_AIPackage",
        "spdxId": spdx_id("model", model),
        "creationInfo": CREATION,
        "name": model,
        "comment": comment,
        "suppliedBy": org_id,
        "software_primaryPurpose": "model",
        "ai_energyConsumption": energy(
            _kwh(s, model, "training"),
            _kwh(s, model, "fine_tuning"),
            s.inference.energy_kwh if own else None,
        ),
    }


def document(s: LifecycleStatement, organisation: str, version: str) -> dict:
    org_id = spdx_id("organization", organisation or "organisation")
    created = s.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    graph = [
        {
            "type": "CreationInfo",
            "@id": CREATION,
            "specVersion": SPEC_VERSION,
            "created": created,
            "createdBy": [org_id],
            "comment": f"wattprint {version}",
        },
        {
            "type": "Organization",
            "spdxId": org_id,
            "creationInfo": CREATION,
            "name": organisation or "organisation",
        },
        *(package(s, m, org_id) for m in s.lineage),
    ]
    return {"@context": CONTEXT, "@graph": graph}
