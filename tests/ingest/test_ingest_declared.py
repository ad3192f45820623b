"""Ingesting a declared-usage file: its rows land in raw_declared_usage, the manifest spans the
runs from start to end, a month's report covers the days of it the runs span, and the days the
file touches (new rows and, for a changed file, the rows it replaced) are every UTC day of the
runs, so the late-data sensor recomputes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from pipeline import ingest, warehouse
from pipeline.config import load_config

CONFIG = """\
start_date: '2026-01-01'
paths: {landing: landing, warehouse: w.duckdb}
sites: {eu: {grid_zone: DE, annual_gco2e_per_kwh: 350}}
gpu_models: {H100: {tdp_w: 700, idle_w: 100}}
host_groups: [{hosts: h1, site: eu, gpu_model: H100}]
"""
HEADER = "run,model,phase,gpu_model,gpus,start,end,grid_gco2e_per_kwh,source"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_declared_file_days_touched_and_manifest_span(tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(CONFIG)
    cfg = load_config(tmp_path / "w.yaml")
    path = tmp_path / "landing" / "declared" / "runs.csv"
    path.parent.mkdir(parents=True)
    # a run ending at 00:00 does not touch the day that starts then
    path.write_text(
        f"{HEADER}\na,m,training,H100,8,2026-01-30T12:00:00Z,2026-02-02T00:00:00Z,300,s\n"
    )
    with warehouse.connect(cfg.warehouse_path) as con:
        [first] = ingest.ingest_landing(con, cfg).files
        assert (first.table, first.rows_accepted) == ("raw_declared_usage", 1)
        assert first.days_touched == _days(date(2026, 1, 30), date(2026, 2, 1))
        span = con.execute(
            "SELECT min_ts_utc, max_ts_utc FROM ingest_manifest WHERE source_path = ?",
            [first.path],
        ).fetchone()
        assert span == (datetime(2026, 1, 30, 12), datetime(2026, 2, 2))
        # the days of a month the run spans: what a monthly report covers (none: NULLs)
        for first, last, days in [
            (date(2026, 1, 1), date(2026, 1, 31), (date(2026, 1, 30), date(2026, 1, 31))),
            (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 1))),
            (date(2026, 3, 1), date(2026, 3, 31), (None, None)),
        ]:
            params = {"first": first, "last": last}
            assert warehouse.one(con, "select_declared_span_in_period", params) == days
        # the run moved to March: the February days it left and the March days it took
        path.write_text(f"{HEADER}\na,m,training,H100,8,2026-03-01,2026-03-02,300,s\n")
        [again] = ingest.ingest_landing(con, cfg).files
        assert again.days_touched == [
            *_days(date(2026, 1, 30), date(2026, 2, 1)),
            *_days(date(2026, 3, 1), date(2026, 3, 2)),
        ]
        assert con.execute("SELECT count(*) FROM raw_declared_usage").fetchone() == (1,)
