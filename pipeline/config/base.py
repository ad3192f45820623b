"""What every section of the configuration shares: strict, frozen pydantic models and the error
a configuration that cannot be used raises."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pipeline.user_errors import UserError

PHASES = ("training", "fine_tuning", "inference", "evaluation", "development", "unclassified")


class ConfigError(UserError, ValueError):
    """A configuration file that cannot be used; the message names the file and the key, on one
    line."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
