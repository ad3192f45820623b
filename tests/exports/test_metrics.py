"""The Prometheus exposition on a tiny hand-made warehouse: only the last computed day is exposed,
label values from input files (a model name with a quote, a backslash and a line break) come back
whole from prometheus_client's parser, a scrape re-reads a warehouse that changed and serves the
figures it read before while a run holds the warehouse, and the textfile is replaced by a rename."""

from __future__ import annotations

import fcntl
import os
import time
from datetime import date

import polars as pl
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from pipeline.config import ConfigError, load_config
from pipeline.exports import metrics
from pipeline.user_errors import UserError
from pipeline.warehouse import (
    LOCK_TIMEOUT_ENV,
    WarehouseBusy,
    connect,
    expected_columns,
    insert_frame,
)
from pipeline.warehouse.lock import lock_path

WEIRD = 'lynx "13b" \\ v2\nfinal'  # a quote, a backslash and a line break
DAY1, DAY2 = date(2026, 10, 1), date(2026, 10, 2)


def _summary_row(day: date, model: str, kwh: float) -> dict:
    _, columns = expected_columns("create_daily_summary")
    row: dict = {c: 0.0 for c, _ in columns}
    row.update(day=day, site="stockholm", phase="training", model=model, team="ml", jobs=1)
    row.update(
        gpu_energy_kwh=kwh * 0.5,
        it_energy_kwh=kwh * 0.8,
        facility_energy_kwh=kwh,
        co2e_kg_location=kwh * 0.03,
        co2e_kg_market=kwh * 0.01,
        co2e_kg_market_residual=kwh * 0.01,
        water_l=kwh * 1.5,
        embodied_kg=kwh * 0.002,
    )
    return row


def _add_day(warehouse, day: date, model: str, kwh: float) -> None:
    with connect(warehouse) as con:
        insert_frame(con, "daily_summary", pl.DataFrame([_summary_row(day, model, kwh)]))


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse" / "wattprint.duckdb"
    _add_day(path, DAY1, "atlas-7b", 100.0)
    _add_day(path, DAY2, WEIRD, 40.0)
    with connect(path) as con:
        cost = {
            "day": DAY2,
            "source_path": "billing/b.csv",
            "line": 2,
            "billing_currency": "EUR",
            "basis": "tagged",
            "phase": "training",
            "model": WEIRD,
            "team": "ml",
            "share": 1.0,
            "effective_cost": 12.5,
            "billed_cost": 12.5,
        }
        insert_frame(con, "cost_attributed", pl.DataFrame([cost]))
    return path


def _parse(data: bytes) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(data.decode())}


def _scrape(collector: metrics.WarehouseCollector) -> dict[str, list]:
    return _parse(metrics.exposition(collector.collect()))


def test_only_the_last_day_with_labels_escaped_and_read_back_whole(warehouse):
    data = metrics.exposition(metrics.families(metrics.read_latest(warehouse), "test"))
    assert b"\\n" in data and b"\n" + b"final" not in data  # the line break is escaped
    got = _parse(data)
    assert got["wattprint_last_computed_day_timestamp_seconds"][0].value == 1790899200.0
    (energy,) = got["wattprint_facility_energy_joules"]  # day 1's row is not there
    assert energy.labels == {"site": "stockholm", "phase": "training", "model": WEIRD, "team": "ml"}
    assert energy.value == pytest.approx(40.0 * 3.6e6, rel=1e-12)
    assert got["wattprint_co2e_location_grams"][0].value == pytest.approx(40.0 * 30, rel=1e-12)
    assert got["wattprint_water_liters"][0].value == pytest.approx(60.0, rel=1e-12)
    (cost,) = got["wattprint_effective_cost"]
    assert cost.labels["model"] == WEIRD and cost.labels["currency"] == "EUR"
    assert cost.labels["site"] == "" and cost.value == 12.5
    assert got["wattprint_build_info"][0].labels == {"version": "test"}


def test_a_scrape_rereads_a_changed_warehouse_and_waits_little_for_a_busy_one(
    warehouse, monkeypatch
):
    collector = metrics.WarehouseCollector(warehouse, "test", lock_wait_s=0.2)
    day = "wattprint_last_computed_day_timestamp_seconds"
    assert _scrape(collector)[day][0].value == 1790899200.0
    _add_day(warehouse, date(2026, 10, 3), "atlas-7b", 7.0)
    assert _scrape(collector)[day][0].value == 1790899200.0 + 86400
    fd = os.open(lock_path(warehouse), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a run writing the warehouse holds it
        mtime = warehouse.stat().st_mtime_ns
        os.utime(warehouse, ns=(mtime, mtime + 10**9))  # the file changed since the last scrape
        got = _scrape(collector)  # changed but busy: the figures read before
        assert got[day][0].value == 1790899200.0 + 86400
        assert got["wattprint_facility_energy_joules"][0].value == pytest.approx(7.0 * 3.6e6)
        # nothing read yet: the first read waits as any reader does, then gives up
        monkeypatch.setenv(LOCK_TIMEOUT_ENV, "0.3")
        started = time.monotonic()
        with pytest.raises(WarehouseBusy):
            list(metrics.WarehouseCollector(warehouse, "test", lock_wait_s=60).collect())
        assert time.monotonic() - started < 10
    finally:
        os.close(fd)


def test_an_empty_warehouse_is_no_computed_day(tmp_path):
    path = tmp_path / "wattprint.duckdb"
    with pytest.raises(metrics.NoComputedDay, match="does not exist"):
        metrics.read_latest(path)
    with connect(path):
        pass  # the tables, no row
    with pytest.raises(metrics.NoComputedDay, match="has no computed day"):
        metrics.read_latest(path)


def test_the_textfile_is_replaced_by_a_rename_in_its_folder(tmp_path):
    path = tmp_path / "collector" / "wattprint.prom"
    metrics.write_textfile(path, b"a 1\n", "--textfile")
    inode = path.stat().st_ino
    metrics.write_textfile(path, b"a 2\n", "--textfile")
    assert path.read_bytes() == b"a 2\n"
    assert path.stat().st_ino != inode  # a new file renamed over the old one, not rewritten
    assert [p.name for p in path.parent.iterdir()] == ["wattprint.prom"]  # no temp file left
    with pytest.raises(UserError, match=r"--textfile: .*wattprint\.txt: expected .*\.prom"):
        metrics.write_textfile(tmp_path / "wattprint.txt", b"", "--textfile")


def test_config_metrics_textfile_must_be_a_prom_file(tmp_path):
    from pipeline.demo.inventory import config_dict

    data = config_dict(DAY1)
    data["reporting"]["metrics_textfile"] = "metrics/wattprint.txt"
    config = tmp_path / "wattprint.yaml"
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"reporting\.metrics_textfile: .*ending in \.prom"):
        load_config(config)
