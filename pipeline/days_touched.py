"""The UTC days a landing file's rows feed: what an ingest reports, so that the late-data sensor
recomputes those days (`sql/raw/select_days_touched_<raw table>.sql`)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from pipeline.warehouse import lake, run, sql

GPU_TABLE = "raw_gpu_samples"


def gpu_days_touched(con: duckdb.DuckDBPyConnection, rels: list[str]) -> dict[str, set[date]]:
    """The UTC days the GPU samples of landing files `rels` feed, per file, in one query (an
    ingest asks once for all the telemetry files it read, not file by file)."""
    if not rels:
        return {}
    lo, hi = run(con, "select_manifest_spans", {"source_paths": rels}).fetchone() or (None, None)
    if lo is None or hi is None:
        return {}
    # the query looks a day either side; only the lake files there are opened
    with lake.narrowed(con, lo - timedelta(days=1), hi + timedelta(days=1, seconds=1)):
        rows = run(
            con, f"select_days_touched_{GPU_TABLE}", {"source_paths": rels, "lo": lo, "hi": hi}
        ).fetchall()
    days: dict[str, set[date]] = {}
    for rel, day in rows:
        days.setdefault(rel, set()).add(day)
    return days


def days_touched(
    con: duckdb.DuckDBPyConnection, rel: str, tables: tuple[str, ...], until: date
) -> set[date]:
    """The UTC days the rows of landing file `rel` in these raw tables can change; a row with no
    end (a running job or pod) counts up to `until`."""
    days: set[date] = set()
    for table in tables:
        if table == GPU_TABLE:
            days.update(gpu_days_touched(con, [rel]).get(rel, set()))
            continue
        name = f"select_days_touched_{table}"
        params: dict[str, object] = {"source_path": rel}
        if "$until" in sql(name):
            params["until"] = until
        days.update(row[0] for row in run(con, name, params).fetchall())
    return days
