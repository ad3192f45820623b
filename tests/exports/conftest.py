"""Fixtures of the export tests: the demo's per-model documents, read back once."""

from __future__ import annotations

import json

import pytest

from pipeline.exports.model_docs import folder_name


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
