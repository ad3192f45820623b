"""GPU energy: samples → pieces → merged pieces → attribution to jobs and idle → footprint → daily.

Pieces (pipeline/method/pieces.py, one polars pass per day × host bucket over the telemetry lake;
sql/method/reference_gpu_energy_pieces.sql is the same method in SQL, the tests' reference): per
GPU, each interval between consecutive samples takes its energy from the GPU's energy counter where
both samples carry one (source 'counter': the delta, placed at constant power; a decrease is a wrap
only when the value was within WRAP_MAX_TDP_RATIO × TDP × the interval of the top of a 64- or
32-bit range, else a reset that falls back to the power samples), else from the power samples
(trapezoid, 'samples'), with gaps filled by estimate ('estimated') up to `telemetry.max_fill_s`.
Each piece keeps the workload label of its starting sample. The pieces are not stored: those that
attribution treats alike are merged first (pipeline/method/runs.py), so gpu_energy_intervals grows
with GPU-hours, not samples. Merging needs the window's job allocations (their boundaries), so
job_allocations is built first.

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
import polars as pl

from pipeline.config import Config
from pipeline.method import passes
from pipeline.method.pieces import Params
from pipeline.plausibility import GPU_POWER_MAX_TDP_RATIO
from pipeline.warehouse import replace_window

# A counter decrease is read as a wrap only if the wrapped delta is energy the GPU could draw in
# the interval at this multiple of its TDP (boards exceed TDP only in millisecond excursions, so an
# interval's mean above 2 × TDP is not a wrap but a reset).
WRAP_MAX_TDP_RATIO = 2.0
# samples further than this before or after a window are not read (see the pieces SQL)
LOOKBACK_MIN_S = 86400.0


def params(cfg: Config) -> Params:
    return Params(
        max_gap_s=cfg.telemetry.max_gap_s,
        max_fill_s=cfg.telemetry.max_fill_s,
        wrap_max_tdp_ratio=WRAP_MAX_TDP_RATIO,
        counter_max_tdp_ratio=GPU_POWER_MAX_TDP_RATIO,  # a rise above it is not priced
        lookback_s=max(cfg.telemetry.max_fill_s, LOOKBACK_MIN_S),
    )


def build_gpu_energy_intervals(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> int:
    """Compute the window's merged pieces unit by unit, one after another (the Dagster asset
    runs them as parallel steps, pipeline/defs/energy/fanout.py), and replace the window's rows
    in one transaction; the rows written."""
    inputs = passes.Inputs.read(con, params(cfg), start, end)
    parts = [passes.run_unit(inputs, unit) for unit in passes.plan(con, inputs, start, end)]
    return passes.commit(con, start, end, parts)


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


def energy_pieces(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    """The window's energy pieces before merging (not stored; for tests and inspection)."""
    inputs = passes.Inputs.read(con, params(cfg), start, end)
    parts = [passes.unit_pieces(inputs, unit) for unit in passes.plan(con, inputs, start, end)]
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).sort("host", "gpu_index", "start_utc", "source")
