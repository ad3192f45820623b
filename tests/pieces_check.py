"""The energy pass's pieces, checked against the method's SQL reference on the same warehouse.

sql/method/reference_gpu_energy_pieces.sql is the method written as one SQL statement (what the
pipeline ran before the streaming pass); pipeline/method/pieces.py is the pass the pipeline runs.
`checked_pieces` computes both for a window and fails unless they give the same pieces (times
exactly, floats to 1e-9 relative), so every test that reads pieces through it compares the two.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from pipeline.config import Config
from pipeline.method import energy, runs
from pipeline.warehouse import sql

KEY = ["host", "gpu_index", "start_utc", "source"]
COLUMNS = [c for c in runs.COLUMNS if c != "covered_s"]  # a piece: a stored row, unmerged


def reference(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    p = energy.params(cfg)
    params = {
        "start": start,
        "end": end,
        "max_gap_s": p.max_gap_s,
        "max_fill_s": p.max_fill_s,
        "wrap_max_tdp_ratio": p.wrap_max_tdp_ratio,
        "counter_max_tdp_ratio": p.counter_max_tdp_ratio,
        "lookback_s": p.lookback_s,
    }
    got = pl.from_arrow(con.sql(sql("reference_gpu_energy_pieces"), params=params).to_arrow_table())
    return got.select(COLUMNS).sort(KEY)


def checked_pieces(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    """The pass's pieces of [start, end), after checking them against the SQL reference."""
    ours = energy.energy_pieces(con, cfg, start, end)
    want = reference(con, cfg, start, end)
    ours = ours.select(COLUMNS) if ours.height else want.clear()
    assert_frame_equal(ours, want, check_dtypes=False, rel_tol=1e-9, abs_tol=1e-9)
    return ours
