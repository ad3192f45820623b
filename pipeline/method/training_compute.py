"""A model's training compute in FLOP for the EU AI Act annex, with its basis: declared, else
estimated as 6 x parameters x training tokens, else not known."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeline.config.models import ModelInfo
from pipeline.method.results import Record

DECLARED = "declared"
ESTIMATED = "estimated: 6 × N × D"
NOT_KNOWN = "not known"
FLOP_PER_PARAMETER_TOKEN = 6.0  # forward pass 2 N D + backward pass 4 N D
ESTIMATE_SOURCE = (
    "C ≈ 6 N D FLOP for N parameters trained on D tokens: Kaplan et al. 2020, Scaling Laws for "
    "Neural Language Models (arXiv:2001.08361), section 2.1; the approximation the European "
    "Commission's Guidelines on the scope of the obligations for providers of general-purpose "
    "AI models (July 2025) describe for estimating training compute from parameters and "
    "training examples"
)


class TrainingCompute(Record):
    flops: float | None = Field(description="training compute in FLOP; None if not known")
    basis: Literal["declared", "estimated: 6 × N × D", "not known"]
    source: str


def training_compute(
    info: ModelInfo | None,
    declared_flops: float | None = None,
    declared_source: str = "declared by the caller",
) -> TrainingCompute:
    """Declared FLOPs (the caller's, else the config's `training_flops`) win over the 6 N D
    estimate from `parameters` and `training_tokens`; with neither, "not known"."""
    if declared_flops is not None:
        return TrainingCompute(flops=declared_flops, basis=DECLARED, source=declared_source)
    if info is None:
        return TrainingCompute(flops=None, basis=NOT_KNOWN, source="no models entry in the config")
    if info.training_flops is not None:
        return TrainingCompute(flops=info.training_flops, basis=DECLARED, source=info.source)
    if info.parameters is not None and info.training_tokens is not None:
        return TrainingCompute(
            flops=FLOP_PER_PARAMETER_TOKEN * info.parameters * info.training_tokens,
            basis=ESTIMATED,
            source=f"N = {info.parameters:g}, D = {info.training_tokens:g} ({info.source}); "
            + ESTIMATE_SOURCE,
        )
    missing = [k for k in ("parameters", "training_tokens") if getattr(info, k) is None]
    return TrainingCompute(
        flops=None,
        basis=NOT_KNOWN,
        source="neither training_flops nor parameters and training_tokens in the config (no "
        + " nor ".join(missing)
        + ")",
    )
