"""GPUs in a sacct AllocTRES string (`billing=64,cpu=9,gres/gpu:a100_3g.20gb=1,gres/gpu=1,...`).

The untyped `gres/gpu=N` is the total and typed entries (`gres/gpu:h100=N`) only count when it is
absent, so a line with both counts each GPU once. A MIG slice whose type ends in a `<N>g.<M>gb`
profile counts as N/7 of a GPU (see slurm_sacct's module notes).
"""

from __future__ import annotations

import re
from fractions import Fraction

from pipeline.readers.scheduler._gpus import MIG_SLICES_PER_GPU, mig_share


class TresError(ValueError):
    """An AllocTRES that cannot be counted; the message is the quarantine reason."""


_GPU_KEY = re.compile(r"gres/gpu(?::(.+))?")
_GPU_COUNT = re.compile(r"[0-9]{1,9}")
# A MIG profile at the end of a GPU type: `3g.20gb`, `a100_3g.20gb`, `nvidia_h100_1g.10gb+me`.
_MIG_PROFILE = re.compile(
    r"(?:.*[_:.-])?([0-9]+)g\.[0-9]+(?:\.[0-9]+)?gb(?:\+[a-z.]+)?", re.IGNORECASE
)


def mig_slices(gpu_type: str) -> int | None:
    """Compute slices of a MIG profile named at the end of a GPU type (`a100_3g.20gb` → 3)."""
    match = _MIG_PROFILE.fullmatch(gpu_type)
    return None if match is None else int(match.group(1))


def count_gpus(tres: str) -> float:
    """GPUs in an AllocTRES string, a MIG slice counting as its share of a GPU.

    Slurm may list the untyped total and the per-type counts on one line
    (`gres/gpu:h100=4,gres/gpu=4`): the untyped entry is the total, so typed entries are summed
    only when it is absent. The total counts a MIG slice as one device; each slice the typed
    entries name is replaced by its N/7 share (`gres/gpu:a100_3g.20gb=1,gres/gpu=1` → 3/7).
    """
    untyped: int | None = None
    whole = 0  # typed entries that are whole GPUs
    slices = 0  # MIG slices, counted as devices
    share = Fraction(0)  # ... and as GPU shares (exact, rounded once at the end)
    for entry in filter(None, (e.strip() for e in tres.split(","))):
        key, eq, value = entry.partition("=")
        if not eq or not key:
            raise TresError(f"AllocTRES: expected name=value entries, got {entry!r} in {tres!r}")
        match = _GPU_KEY.fullmatch(key)
        if match is None:
            continue
        if not _GPU_COUNT.fullmatch(value):
            raise TresError(f"AllocTRES: expected a whole GPU count in {entry!r}, got {value!r}")
        if match.group(1) is None:
            if untyped is not None and untyped != int(value):
                raise TresError(f"AllocTRES: two different untyped gres/gpu counts in {tres!r}")
            untyped = int(value)
            continue
        n = mig_slices(match.group(1))
        if n is None:
            whole += int(value)
            continue
        one = mig_share(n)
        if one is None:
            raise TresError(
                f"AllocTRES: expected a MIG profile of 1 to {MIG_SLICES_PER_GPU} compute slices "
                f"in {entry!r}, got {n}"
            )
        slices += int(value)
        share += int(value) * one
    if untyped is None:
        return float(whole + share)
    if slices > untyped:
        raise TresError(
            f"AllocTRES: {slices} MIG slices but a gres/gpu total of {untyped} in {tres!r}; "
            "expected the total to count every slice"
        )
    return float(untyped - slices + share)
