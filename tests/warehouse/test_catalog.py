"""The shared catalog of derived tables (pipeline/warehouse/catalog.py): several writers, one set
of Iceberg tables.

Two "machines" (two warehouse files on the same fleet) each compute one day and publish it; the
catalog must then hold, bit for bit, what one machine computing both days holds. A rerun changes
nothing; a writer whose commit lost the race commits again; writers in separate processes at once
all land; and the whole path runs through Dagster with the lake and the catalog's files on a real
S3 server (moto, started on 127.0.0.1 by the fixture).
"""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from pipeline.config import ConfigError, load_config
from pipeline.definitions import build_defs
from pipeline.orchestrate import QUIET
from pipeline.warehouse import connect
from pipeline.warehouse.catalog import WINDOWED, SharedCatalog
from tests.small_fleet import START, compute, copy_fleet, ingest, make_fleet
from tests.warehouse.conftest import BUCKET

DAY1 = datetime.combine(START, datetime.min.time())
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return make_fleet(tmp_path_factory.mktemp("catalog-fleet"), days=2)


@pytest.fixture(scope="module")
def reference(pristine, tmp_path_factory):
    """Every windowed table of one machine that computed both days, day by day (as the daily
    partitions do), sorted."""
    fleet = copy_fleet(pristine, tmp_path_factory.mktemp("one-machine"))
    cfg = fleet.config()
    ingest(cfg)
    compute(cfg, START, START)
    compute(cfg, START + timedelta(days=1), START + timedelta(days=1))
    with connect(cfg.warehouse_path, read_only=True) as con:
        return {t: con.table(t).order("all").fetchall() for t in WINDOWED}


def _sorted(table: pa.Table) -> list[tuple]:
    con = duckdb.connect()
    return con.from_arrow(table).order("all").fetchall()


def _machine(pristine, root: Path, day: datetime, catalog: dict) -> None:
    """A writer: its own warehouse on the fleet, one day computed and published."""
    fleet = copy_fleet(pristine, root)
    fleet.edit_config(lambda d: d["paths"].update(catalog=catalog))
    cfg = fleet.config()
    ingest(cfg)
    compute(cfg, day.date(), day.date())
    shared = cfg.shared_catalog()
    with connect(cfg.warehouse_path, read_only=True) as con:
        for table in WINDOWED:
            shared.publish(con, table, day, day + timedelta(days=1))


def test_two_writers_of_different_days_make_one_machines_tables(
    pristine, reference, tmp_path
) -> None:
    catalog = {"uri": f"sqlite:///{tmp_path}/catalog.db", "location": str(tmp_path / "tables")}
    _machine(pristine, tmp_path / "a", DAY1, catalog)
    _machine(pristine, tmp_path / "b", DAY2, catalog)
    shared = SharedCatalog(catalog["uri"], catalog["location"])
    for table in WINDOWED:
        assert _sorted(shared.read(table)) == reference[table], table
    assert all(reference[t] for t in WINDOWED)
    # a window reads back as exactly that day's rows
    first = _sorted(shared.read("gpu_energy_intervals", DAY1, DAY2))
    assert first and first == [r for r in reference["gpu_energy_intervals"] if r[0] < DAY2]
    assert list((tmp_path / "tables").rglob("*.parquet"))  # the files are where it was told


def _tiny(con: duckdb.DuckDBPyConnection, day: datetime, value: float) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE daily_summary AS SELECT CAST($day AS DATE) AS day, "
        "'s' AS site, $v AS co2e_kg_location",
        {"day": day, "v": value},
    )


def test_a_rerun_changes_nothing_and_a_republish_replaces_only_its_window(tmp_path) -> None:
    shared = SharedCatalog(f"sqlite:///{tmp_path}/c.db", str(tmp_path / "t"))
    con = duckdb.connect()
    _tiny(con, DAY1, 1.0)
    shared.publish(con, "daily_summary", DAY1, DAY2)
    _tiny(con, DAY2, 2.0)
    shared.publish(con, "daily_summary", DAY2, DAY3)
    before = _sorted(shared.read("daily_summary"))
    shared.publish(con, "daily_summary", DAY2, DAY3)  # the same rows again
    assert (
        _sorted(shared.read("daily_summary"))
        == before
        == [
            (DAY1.date(), "s", 1.0),
            (DAY2.date(), "s", 2.0),
        ]
    )
    _tiny(con, DAY2, 5.0)  # day 2 recomputed with another figure
    shared.publish(con, "daily_summary", DAY2, DAY3)
    assert _sorted(shared.read("daily_summary")) == [
        (DAY1.date(), "s", 1.0),
        (DAY2.date(), "s", 5.0),
    ]
    _tiny(con, DAY3, 7.0)  # a window with no rows of its own empties that window only
    shared.publish(con, "daily_summary", DAY1, DAY2)
    assert _sorted(shared.read("daily_summary")) == [(DAY2.date(), "s", 5.0)]


def test_a_writer_whose_commit_lost_the_race_commits_again(tmp_path) -> None:
    uri, where = f"sqlite:///{tmp_path}/c.db", str(tmp_path / "t")
    one, other = SharedCatalog(uri, where), SharedCatalog(uri, where)
    con = duckdb.connect()
    _tiny(con, DAY1, 1.0)
    one.publish(con, "daily_summary", DAY1, DAY2)
    other.table("daily_summary")  # `other` now holds the table as of that commit
    _tiny(con, DAY2, 2.0)
    one.publish(con, "daily_summary", DAY2, DAY3)  # moves the table on under `other`
    _tiny(con, DAY3, 3.0)
    other.publish(con, "daily_summary", DAY3, DAY3 + timedelta(days=1))
    assert other.retries == 1  # refused once (stale), then committed on the fresh table
    assert [r[2] for r in _sorted(other.read("daily_summary"))] == [1.0, 2.0, 3.0]


def _publish_days(uri: str, where: str, first: int, rounds: int) -> int:
    shared = SharedCatalog(uri, where)
    con = duckdb.connect()
    for r in range(rounds):
        day = DAY1 + timedelta(days=first + 2 * (r % 2))  # two days each, alternately
        _tiny(con, day, float(first * 100 + r))
        shared.publish(con, "daily_summary", day, day + timedelta(days=1))
    return shared.retries


def test_writers_in_separate_processes_at_once_all_land(tmp_path) -> None:
    uri, where = f"sqlite:///{tmp_path}/c.db", str(tmp_path / "t")
    con = duckdb.connect()
    _tiny(con, DAY1, -1.0)
    SharedCatalog(uri, where).publish(con, "daily_summary", DAY1, DAY2)  # the table exists
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        retries = pool.starmap(_publish_days, [(uri, where, 0, 6), (uri, where, 1, 6)])
    rows = _sorted(SharedCatalog(uri, where).read("daily_summary"))
    # writer 0 owns days 0 and 2, writer 1 days 1 and 3; each day holds its writer's last round
    assert [(r[0], r[2]) for r in rows] == [
        (DAY1.date(), 4.0),
        (DAY2.date(), 104.0),
        (DAY3.date(), 5.0),
        ((DAY3 + timedelta(days=1)).date(), 105.0),
    ]
    print(f"commits redone after a lost race: {retries}")


def test_a_password_in_the_catalog_url_is_refused(pristine, tmp_path) -> None:
    fleet = copy_fleet(pristine, tmp_path / "secret")
    fleet.edit_config(
        lambda d: d["paths"].update(catalog={"uri": "postgresql+psycopg2://u:hunter2@db/w"})
    )
    with pytest.raises(ConfigError, match="paths.catalog.uri.*WATTPRINT_CATALOG_PASSWORD") as e:
        load_config(fleet.config_path)
    assert "hunter2" not in str(e.value)


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_dagster_runs_on_two_machines_publish_to_a_catalog_on_s3(
    pristine, reference, s3, tmp_path
) -> None:
    """The S3 + catalog path end to end: each machine's Dagster run computes its day from a lake
    on S3 and publishes every windowed table to the shared catalog, whose files are on S3."""
    catalog = {"uri": f"sqlite:///{tmp_path}/catalog.db", "location": f"s3://{BUCKET}/catalog"}
    for name, day in (("a", DAY1), ("b", DAY2)):
        fleet = copy_fleet(pristine, tmp_path / name)
        fleet.edit_config(
            lambda d, n=name: d["paths"].update(lake=f"s3://{BUCKET}/lake-{n}", catalog=catalog)
        )
        ingest(fleet.config())
        result = build_defs(fleet.config_path).resolve_implicit_global_asset_job_def()
        done = result.execute_in_process(
            run_config=QUIET,
            instance=dg.DagsterInstance.ephemeral(),
            partition_key=day.date().isoformat(),
            asset_selection=[dg.AssetKey(t) for t in WINDOWED],
        )
        assert done.success
    shared = SharedCatalog(catalog["uri"], catalog["location"])
    for table in WINDOWED:
        assert _sorted(shared.read(table)) == reference[table], table
    keys = _keys(s3, "catalog/")
    assert any(k.endswith(".parquet") for k in keys) and any(
        k.endswith(".metadata.json") for k in keys
    )
    assert not (tmp_path / "a" / "warehouse" / "wattprint.lake").exists()
