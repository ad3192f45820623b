"""A Hugging Face model card header (README.md YAML front matter) with the `co2_eq_emissions`
block, from a model's lifecycle statement.

The block's keys and units are the Hub's (https://huggingface.co/docs/hub/model-cards-co2):
`emissions` in grams of CO2e, `source`, `training_type` ("pre-training" or "fine-tuning"),
`geographical_location` and `hardware_used`. `emissions` is the model's own training and
fine-tuning, location-based (the grid where it trained), over its whole life to the statement's
last day; a fine-tune's base models' training is not in it: the card states it apart, in the
body and under `wattprint.base_model_training` (a key of our own: the Hub keeps unknown keys).
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from pipeline.exports.gpai import own_training
from pipeline.lifecycle.model import LifecycleLine, LifecycleStatement

GRAMS_PER_KG = 1000.0


def training_type(s: LifecycleStatement) -> str:
    """'fine-tuning' when the model has a base model or only fine-tuning runs, else
    'pre-training'."""
    own = own_training(s)
    if len(s.lineage) > 1 or (own and all(x.phase == "fine_tuning" for x in own)):
        return "fine-tuning"
    return "pre-training"


def sites(lines: list[LifecycleLine]) -> list[str]:
    """The sites of fleet runs (job keys are 'site/job id'); declared runs say 'declared'."""
    out = {x.job.split("/", 1)[0] for x in lines if x.basis == "fleet" and "/" in x.job}
    if any(x.basis == "declared" for x in lines):
        out.add("declared runs: as their source states")
    return sorted(out)


def location(lines: list[LifecycleLine], zones: Mapping[str, str]) -> str:
    """Sites with their grid zone where the config names one: 'stockholm (SE3), virginia'."""
    named = [f"{x} ({zones[x]})" if x in zones else x for x in sites(lines)]
    return ", ".join(named) or "not known"


def co2_block(s: LifecycleStatement, zones: Mapping[str, str], version: str) -> dict:
    own = own_training(s)
    return {
        "emissions": round(s.training.co2e_kg_location * GRAMS_PER_KG, 3),
        "source": f"wattprint {version}: "
        + "; ".join(sorted({x.source for x in own}) or ["no training runs recorded"]),
        "training_type": training_type(s),
        "geographical_location": location(own, zones),
        "hardware_used": f"{s.training.gpu_hours:.1f} GPU-hours",
    }


def front_matter(s: LifecycleStatement, zones: Mapping[str, str], version: str) -> dict:
    """The card's metadata: model_name, base_model (a fine-tune's), co2_eq_emissions, and
    wattprint's own figures with the base models' training apart."""
    meta: dict = {"model_name": s.name}
    if len(s.lineage) > 1:
        meta["base_model"] = s.lineage[1]
    meta["co2_eq_emissions"] = co2_block(s, zones, version)
    meta["wattprint"] = {
        "period": {"start": s.start.isoformat(), "end": s.end.isoformat()},
        "training_energy_kwh": s.training.energy_kwh,
        "training_co2e_kg_location": s.training.co2e_kg_location,
        "training_co2e_kg_market": s.training.co2e_kg_market,
        "inference_energy_kwh": s.inference.energy_kwh,
    }
    if len(s.lineage) > 1:
        base = [x for x in s.lines if x.relation == "base"]  # as the statement's base_training
        meta["wattprint"]["base_model_training"] = {
            "models": s.lineage[1:],
            "energy_kwh": s.base_training.energy_kwh,
            "co2e_kg_location": s.base_training.co2e_kg_location,
            "gpu_hours": s.base_training.gpu_hours,
            "geographical_location": location(base, zones),
        }
    return meta


def card(s: LifecycleStatement, zones: Mapping[str, str], version: str) -> str:
    """README.md: the YAML front matter, then a short body that says what the figures cover."""
    meta = front_matter(s, zones, version)
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    co2 = meta["co2_eq_emissions"]
    body = [
        f"# {s.name}",
        "",
        "## Environmental impact",
        "",
        f"- Training emissions ({co2['training_type']}): {co2['emissions']:,.0f} g CO2e "
        "(location-based), "
        f"{s.training.energy_kwh:,.1f} kWh facility energy, {s.training.gpu_hours:,.1f} "
        f"GPU-hours, {s.start.isoformat()} to {s.end.isoformat()}.",
        f"- Where: {co2['geographical_location']}.",
        f"- Source: {co2['source']}.",
    ]
    if len(s.lineage) > 1:
        body.append(
            f"- Base model training ({', '.join(s.lineage[1:])}), stated apart and not in the "
            f"figure above: {s.base_training.co2e_kg_location * GRAMS_PER_KG:,.0f} g CO2e, "
            f"{s.base_training.energy_kwh:,.1f} kWh."
        )
    return "---\n" + head + "---\n\n" + "\n".join(body) + "\n"


def parse_front_matter(text: str) -> dict:
    """The YAML between a card's first two '---' lines (for tests and readers)."""
    if not text.startswith("---\n"):
        raise ValueError("a model card starts with a '---' line")
    head, sep, _ = text[4:].partition("\n---\n")
    if not sep:
        raise ValueError("the model card's front matter has no closing '---' line")
    return yaml.safe_load(head)
