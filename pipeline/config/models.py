"""What the config says about each model: its lineage (the base model a fine-tune starts from) and
what sets its training compute (declared FLOPs, or parameters and tokens for an estimate)."""

from __future__ import annotations

from pydantic import Field

from pipeline.config.base import Strict


class ModelInfo(Strict):
    """One model (a version: the name jobs, pods and serving logs carry)."""

    base_model: str | None = Field(
        None,
        description="the model this one was fine-tuned from; its training is carried as a "
        "separate, stated line of this model's lifecycle",
    )
    parameters: float | None = Field(None, gt=0, description="parameter count, N")
    training_tokens: float | None = Field(None, gt=0, description="training tokens, D")
    training_flops: float | None = Field(
        None, gt=0, description="declared training compute in FLOP (AI Act Annex XI)"
    )
    source: str = "not stated"


def check_lineage(models: dict[str, ModelInfo], name: str, info: ModelInfo) -> None:
    seen = [name]
    while info is not None and info.base_model:
        if info.base_model in seen:
            raise ValueError(
                f"models.{name}.base_model: the lineage {' -> '.join([*seen, info.base_model])} "
                "is a cycle"
            )
        seen.append(info.base_model)
        info = models.get(info.base_model)
