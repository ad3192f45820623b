"""GPU energy: samples → hour-cut pieces → attribution to jobs and idle → footprint → daily.

Pieces (sql/method/insert_gpu_energy_intervals.sql): per GPU, each interval between consecutive
samples takes its energy from the GPU's energy counter where both samples carry one (source
'counter': the delta, placed at constant power; a decrease is a wrap only when the value was within
WRAP_MAX_TDP_RATIO × TDP × the interval of the top of a 64- or 32-bit range, else a reset that falls
back to the power samples), else from the power samples (trapezoid, 'samples'), with gaps filled by
estimate ('estimated') up to `telemetry.max_fill_s`. Each piece keeps the workload label of its
starting sample.

Attribution (sql/method/insert_gpu_energy_attributed.sql): a labelled piece goes wholly to the
allocation of that job on the host that overlaps it; that job then leaves the GPU-count share path
on that host while its labelled pieces run, and so do those GPUs (the remaining jobs share the
unlabelled GPUs). Unlabelled pieces, and labelled ones whose job has no overlapping allocation on
the host, are shared by GPU count; what no job holds is idle. docs/methodology.md §1-2 has the
formulas.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.config import Config
from pipeline.plausibility import GPU_POWER_MAX_TDP_RATIO
from pipeline.warehouse import replace_window

# A counter decrease is read as a wrap only if the wrapped delta is energy the GPU could draw in
# the interval at this multiple of its TDP (boards exceed TDP only in millisecond excursions, so an
# interval's mean above 2 × TDP is not a wrap but a reset).
WRAP_MAX_TDP_RATIO = 2.0
# samples further than this before or after a window are not read (see the pieces SQL)
LOOKBACK_MIN_S = 86400.0


def build_gpu_energy_intervals(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> int:
    params = {
        "start": start,
        "end": end,
        "max_gap_s": cfg.telemetry.max_gap_s,
        "max_fill_s": cfg.telemetry.max_fill_s,
        "wrap_max_tdp_ratio": WRAP_MAX_TDP_RATIO,
        "counter_max_tdp_ratio": GPU_POWER_MAX_TDP_RATIO,  # a rise above it is not priced
        "lookback_s": max(cfg.telemetry.max_fill_s, LOOKBACK_MIN_S),
    }
    # windows and a unique-keyed dedup only, no float sums: the same rows under any thread count
    return replace_window(con, "gpu_energy_intervals", params, parallel=True)


def build_gpu_energy_attributed(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> int:
    # float sums are ordered by a key unique within their group, the merge sums integers: the
    # same bits under any thread count
    return replace_window(con, "gpu_energy_attributed", {"start": start, "end": end}, parallel=True)


def build_footprint_hourly(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> int:
    return replace_window(con, "footprint_hourly", {"start": start, "end": end})


def build_daily_summary(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> int:
    return replace_window(con, "daily_summary", {"start": start, "end": end})
