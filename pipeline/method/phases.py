"""Give each job a phase, model and team: explicit tags first, then the config's ordered rules.

A job is a mapping of the fields rules match on (`job_name`, `account`, `partition`, `user_name`,
`comment`, `namespace`) plus, for a Kubernetes pod, the explicit values of its workload labels
under `phase`, `model` and `team` (the reader takes them from `wattprint.io/phase` or `phase`,
etc.). Explicit values come first: a pod's labels, then a sacct `Comment`'s `phase=... model=...
team=...` tags. A named phase is accepted case-insensitively with '-' for '_' (`Fine-Tuning` is
`fine_tuning`); an unknown one falls back to the rules, keeping the explicit model and team. The
rule that fired is recorded: `labels`, `tags`, `rule:<name>` or `none`.
"""

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
    rule: str  # "labels", "tags", "rule:<name>" or "none"


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


def phase_name(value: str | None) -> str | None:
    """`Fine-Tuning` → `fine_tuning`; None unless it names one of PHASES."""
    if not value:
        return None
    name = value.strip().lower().replace("-", "_")
    return name if name in PHASES else None


def classify(job: Mapping[str, str | None], rules: Sequence[PhaseRule]) -> Classification:
    labels = {k: v.strip() for k in TAG_KEYS if (v := job.get(k)) and v.strip()}
    tags = parse_tags(job.get("comment"))
    explicit = tags | labels
    for source, found in (("labels", labels), ("tags", tags)):
        phase = phase_name(found.get("phase"))
        if phase is not None:
            return Classification(phase, explicit.get("model"), explicit.get("team"), source)
    for rule in rules:
        value = job.get(rule.field) or ""
        m = re.search(rule.pattern, value)
        if m:
            groups = {k: v or "" for k, v in m.groupdict().items()}
            # explicit labels or tags may still name the model or team when not the phase
            model = explicit.get("model") or (rule.model.format(**groups) if rule.model else None)
            team = explicit.get("team") or (rule.team.format(**groups) if rule.team else None)
            return Classification(rule.phase, model or None, team or None, f"rule:{rule.name}")
    return Classification("unclassified", explicit.get("model"), explicit.get("team"), "none")
