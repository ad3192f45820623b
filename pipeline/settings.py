"""Which config file the Dagster definitions use: `WATTPRINT_CONFIG`, else ./wattprint.yaml,
else the repo's example config."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pipeline.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]


def config_path() -> Path:
    env = os.environ.get("WATTPRINT_CONFIG")
    if env:
        return Path(env)
    local = Path("wattprint.yaml")
    return local if local.is_file() else REPO / "wattprint.example.yaml"


@cache
def _load(path: str, mtime: float) -> Config:
    return load_config(path)


def current_config() -> Config:
    p = config_path().resolve()
    return _load(str(p), p.stat().st_mtime if p.exists() else 0.0)
