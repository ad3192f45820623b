"""The GPU factor library shipped with wattprint (gpu_library.yaml beside this module): TDP, idle
power, memory, embodied carbon and service life of common accelerators, each value with its
source, found by name or alias whatever its case, spaces and dashes (nvidia-smi's `name` too)."""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field

from pipeline.config.base import Strict

LIBRARY_PATH = Path(__file__).with_name("gpu_library.yaml")
# the values a library GPU gives, in the order the docs list them
LIBRARY_FIELDS = ("tdp_w", "idle_w", "memory_gb", "embodied_kg", "lifetime_years")
_VENDOR = re.compile(r"^(nvidia|amd|tesla)+")


class Sourced(Strict):
    value: float = Field(..., ge=0)
    source: str = Field(..., min_length=1)


class LibraryGpu(Strict):
    name: str
    aliases: list[str] = Field(default_factory=list)
    tdp_w: Sourced
    idle_w: Sourced
    memory_gb: Sourced
    embodied_kg: Sourced
    lifetime_years: Sourced

    def values(self) -> dict[str, float]:
        return {f: getattr(self, f).value for f in LIBRARY_FIELDS}

    def source(self, field: str) -> str:
        """The citation a report prints for one value of this GPU."""
        return f"wattprint GPU library ({self.name}): {getattr(self, field).source}"


def normalise(name: str) -> str:
    """'NVIDIA A100-SXM4-80GB' -> 'a100sxm480gb': case, spaces, dashes, underscores and a leading
    vendor name do not matter."""
    return _VENDOR.sub("", re.sub(r"[\s\-_]+", "", name.lower()))


@cache
def library() -> dict[str, LibraryGpu]:
    """The library's GPUs by canonical name."""
    raw = yaml.safe_load(LIBRARY_PATH.read_text(encoding="utf-8"))
    return {
        name: LibraryGpu.model_validate({"name": name, **entry})
        for name, entry in raw["gpus"].items()
    }


@cache
def _index() -> dict[str, str]:
    """Normalised name or alias -> canonical name; two GPUs may not share one."""
    index: dict[str, str] = {}
    for name, gpu in library().items():
        for key in (name, *gpu.aliases):
            other = index.setdefault(normalise(key), name)
            if other != name:
                raise ValueError(f"{LIBRARY_PATH}: {key!r} names both {other!r} and {name!r}")
    return index


def lookup(name: str) -> LibraryGpu | None:
    canonical = _index().get(normalise(name))
    return None if canonical is None else library()[canonical]


def resolve(name: str) -> LibraryGpu:
    """The library GPU `name` names; ValueError (one line, with the likely name) if none."""
    gpu = lookup(name)
    if gpu is not None:
        return gpu
    index = _index()
    close = difflib.get_close_matches(normalise(name), list(index), n=1, cutoff=0.5)
    hint = f"did you mean {index[close[0]]!r}?" if close else f"known: {', '.join(library())}."
    raise ValueError(
        f"{name!r} is not a GPU of the factor library: {hint} Name one of its GPUs in `library:`, "
        "or give tdp_w and idle_w (see docs/gpu-factors.md)"
    )
