"""Helpers for the model-document tests: resolve a `from` path in a document, load the vendored
schemas (tests/schemas/README.md) and validate against them."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9,]+)\])?")


def resolve(doc: dict, path: str) -> object:
    """The value at `path` ('lifecycle[2].training.energy_kwh', 'lines[5,7]': a list of items)."""
    value: object = doc
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        assert m, f"not a path step: {part!r} in {path!r}"
        value = value[m.group(1)]  # type: ignore[index]
        if m.group(2):
            idx = [int(i) for i in m.group(2).split(",")]
            value = value[idx[0]] if len(idx) == 1 else [value[i] for i in idx]  # type: ignore[index]
    return value


@cache
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(name: str, doc: object) -> list[str]:
    return [e.message for e in validator(name).iter_errors(doc)]


FINE_TUNE, BASE = "atlas-7b-chat", "atlas-7b"  # the demo's lineage
SPDX = "spdx-3.0.1-ai-energy.schema.json"
HF = "hf-co2-eq-emissions.schema.json"
