"""Give each job a phase, model and team: explicit tags first, then the config's ordered rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.config import PHASES, PhaseRule

TAG_KEYS = ("phase", "model", "team")
_TAG = re.compile(r"\s*([A-Za-z_]+)\s*=\s*([^,;]*)")


@dataclass(frozen=True)
class Classification:
    phase: str
    model: str | None
    team: str | None
    rule: str  # "tags", "rule:<name>" or "none"


def parse_tags(comment: str | None) -> dict[str, str]:
    """`phase=training,model=atlas-7b;team=foundation` → dict; keys other than ours are ignored."""
    if not comment:
        return {}
    tags = {}
    for part in re.split(r"[,;]", comment):
        m = _TAG.fullmatch(part)
        if m and m.group(1).lower() in TAG_KEYS and m.group(2).strip():
            tags[m.group(1).lower()] = m.group(2).strip()
    return tags


def classify(job: Mapping[str, str | None], rules: Sequence[PhaseRule]) -> Classification:
    tags = parse_tags(job.get("comment"))
    if tags.get("phase") in PHASES:
        return Classification(tags["phase"], tags.get("model"), tags.get("team"), "tags")
    for rule in rules:
        value = job.get(rule.field) or ""
        m = re.search(rule.pattern, value)
        if m:
            groups = {k: v or "" for k, v in m.groupdict().items()}
            # tags may still name the model or team when they do not name the phase
            model = tags.get("model") or (rule.model.format(**groups) if rule.model else None)
            team = tags.get("team") or (rule.team.format(**groups) if rule.team else None)
            return Classification(rule.phase, model or None, team or None, f"rule:{rule.name}")
    return Classification("unclassified", tags.get("model"), tags.get("team"), "none")
