"""Phases as the report shows them: their order (stacks, legends, table rows), labels, and one
paint each, kept in every chart and table swatch."""

from __future__ import annotations

from dataclasses import dataclass

# Stacking order, bottom to top; also the row order of the phase tables.
PHASE_ORDER: tuple[str, ...] = (
    "training",
    "fine_tuning",
    "inference",
    "evaluation",
    "development",
    "unclassified",
    "idle",
)

PHASE_LABELS: dict[str, str] = {
    "training": "Training",
    "fine_tuning": "Fine-tuning",
    "inference": "Inference",
    "evaluation": "Evaluation",
    "development": "Development",
    "unclassified": "Unclassified",
    "idle": "Idle (no job)",
}


@dataclass(frozen=True)
class PhaseStyle:
    colour: str
    hatch: str | None = None  # None | "diagonal" | "dots" | "cross" | "horizontal"
    hatch_colour: str = "#ffffff"


# Relative luminance (greyscale value) in brackets:
# training 0.03 solid, evaluation 0.09 dots, fine_tuning 0.15 diagonal, development 0.26 solid,
# unclassified 0.26 cross-hatch, inference 0.44 solid, idle 0.69 solid.
PHASE_STYLES: dict[str, PhaseStyle] = {
    "training": PhaseStyle("#08306b"),
    "fine_tuning": PhaseStyle("#2f6db5", "diagonal"),
    "inference": PhaseStyle("#f0a02a"),
    "evaluation": PhaseStyle("#6a3d9a", "dots"),
    "development": PhaseStyle("#1b9e77"),
    "unclassified": PhaseStyle("#8c8c8c", "cross"),
    "idle": PhaseStyle("#d9d9d9"),
}
_FALLBACK_STYLES: tuple[PhaseStyle, ...] = (
    PhaseStyle("#a6611a", "horizontal"),
    PhaseStyle("#c2a5cf", "horizontal", "#333333"),
    PhaseStyle("#4d4d4d", "horizontal"),
)


def phase_label(phase: str) -> str:
    """Human label of a phase; unknown phases keep their own (escaped at output) name."""
    return PHASE_LABELS.get(phase, phase.replace("_", " ").capitalize() if phase else "(none)")


def ordered_phases(phases: object) -> list[str]:
    """Known phases in the canonical order, then any other phases alphabetically."""
    names = list(dict.fromkeys(phases))  # type: ignore[call-overload]
    known = [p for p in PHASE_ORDER if p in names]
    return known + sorted(p for p in names if p not in PHASE_ORDER)


def phase_style(phase: str, all_phases: list[str] | None = None) -> PhaseStyle:
    if phase in PHASE_STYLES:
        return PHASE_STYLES[phase]
    extras = sorted(p for p in (all_phases or [phase]) if p not in PHASE_STYLES)
    idx = extras.index(phase) if phase in extras else 0
    return _FALLBACK_STYLES[idx % len(_FALLBACK_STYLES)]
