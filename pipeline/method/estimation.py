"""The estimation path's power model: the board power of a GPU that reports no telemetry.

One definition for both places that price GPU-hours without telemetry: the scheduler estimate
(sql/method/insert_gpu_energy_attributed.sql, `uncovered`: the same expression over the `hosts`
and `phase_utilisation` tables) and declared usage (pipeline/method/declared.py).
tests/method/test_declared.py holds the SQL to this function.
"""

from __future__ import annotations


def estimated_power_w(
    average_power_w: float | None, idle_w: float, tdp_w: float, utilisation: float
) -> float:
    """The GPU model's average power when configured, else idle + (TDP − idle) × the phase's
    assumed utilisation (config `estimation.utilisation_by_phase`)."""
    if average_power_w is not None:
        return average_power_w
    return idle_w + (tdp_w - idle_w) * utilisation
