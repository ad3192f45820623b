"""How many GPUs a scheduler's request stands for, shared by the Slurm and Kubernetes readers.

A MIG instance of profile `<N>g.<M>gb` holds N of a GPU's 7 compute slices (A100 and H100), so it
counts N/7 of a GPU. On an A30 (4 slices) this undercounts; the profile name does not say which
GPU it is on. Shares are exact fractions so a job's total is rounded once.
"""

from __future__ import annotations

from fractions import Fraction

MIG_SLICES_PER_GPU = 7


def mig_share(slices: int) -> Fraction | None:
    """The GPU share of one MIG instance of `slices` compute slices; None outside 1..7."""
    if not 1 <= slices <= MIG_SLICES_PER_GPU:
        return None
    return Fraction(slices, MIG_SLICES_PER_GPU)
