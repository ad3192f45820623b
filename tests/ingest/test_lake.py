"""The telemetry lake: GPU samples are Parquet beside the warehouse, not warehouse rows.

Ingest writes each telemetry file's accepted samples once, as one Parquet file per UTC day and
host bucket, sorted by host, GPU and time; `lake_files` lists what counts; the view
`raw_gpu_samples` reads exactly the listed files. A changed file replaces its lake files; a
failure before the manifest commits leaves lake and warehouse as they were; files a killed writer
left are never read and are removed by the next ingest.
"""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

from pipeline import ingest, warehouse
from pipeline.config import load_config
from pipeline.demo.fleet import generate_fleet
from pipeline.warehouse import lake


@pytest.fixture()
def fleet(tmp_path):
    cfg = load_config(generate_fleet(tmp_path / "fleet", days=2, start=date(2026, 10, 1)))
    with warehouse.connect(cfg.warehouse_path) as con:
        ingest.ingest_landing(con, cfg)
    return cfg


def _state(cfg) -> tuple[list[tuple], int, list[str]]:
    """(lake_files rows, samples the view reads, files in the lake folder)."""
    root = lake.root_for(cfg.warehouse_path)
    with warehouse.connect(cfg.warehouse_path, read_only=True) as con:
        listed = con.table("lake_files").order("path").fetchall()
        (count,) = con.execute("SELECT count(*) FROM raw_gpu_samples").fetchall()[0]
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return listed, count, on_disk


def test_samples_are_lake_files_by_day_and_bucket_sorted_and_all_accounted(fleet) -> None:
    listed, count, on_disk = _state(fleet)
    with warehouse.connect(fleet.warehouse_path, read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        read, accepted, quarantined = con.execute(
            "SELECT sum(rows_read), sum(rows_accepted), sum(rows_quarantined) "
            "FROM ingest_manifest WHERE target_table = 'raw_gpu_samples'"
        ).fetchall()[0]
    assert "raw_gpu_samples" not in tables  # a view over the lake, not a table
    assert read == accepted + quarantined and accepted == count > 10_000
    assert sum(r[4] for r in listed) == count
    assert on_disk == sorted(r[3] for r in listed)  # every file listed, nothing else there
    root = lake.root_for(fleet.warehouse_path)
    days = {r[1] for r in listed}
    assert len(days) >= 2
    for _source, day, bucket, path, rows, _, lo, hi in listed:
        assert path.startswith(f"gpu_samples/day={day}/bucket={bucket:03d}/")
        frame = pl.read_parquet(root / path)
        assert frame.height == rows
        assert frame.get_column("ts_utc").dt.date().unique().to_list() == [day]
        assert {lake.bucket_of(h) for h in frame.get_column("host").unique()} == {bucket}
        assert frame.equals(frame.sort(lake.SORT))
        assert (frame.get_column("ts_utc").min(), frame.get_column("ts_utc").max()) == (lo, hi)


def _telemetry_csv(cfg):
    return next(
        p for p in ingest.landing_files(cfg.landing_dir) if p.suffix == ".csv" and "smi" in str(p)
    )


def test_a_changed_file_replaces_its_lake_files(fleet) -> None:
    path = _telemetry_csv(fleet)
    rel = path.relative_to(fleet.landing_dir).as_posix()
    before, count, _ = _state(fleet)
    old = [r[3] for r in before if r[0] == rel]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # one sample fewer
    with warehouse.connect(fleet.warehouse_path) as con:
        ingest.ingest_landing(con, fleet)
    after, count_after, on_disk = _state(fleet)
    new = [r[3] for r in after if r[0] == rel]
    assert new and not set(new) & set(old)
    assert not set(old) & set(on_disk)  # the replaced files are gone
    assert count_after == count - 1


def test_a_failure_before_the_commit_leaves_lake_and_warehouse_as_they_were(
    fleet, monkeypatch
) -> None:
    path = _telemetry_csv(fleet)
    before = _state(fleet)
    path.write_text(path.read_text() + path.read_text().splitlines(keepends=True)[-1])
    real_run = ingest.run

    def dies_at_the_manifest(con, name, params=()):
        if name == "upsert_ingest_manifest":
            raise KeyboardInterrupt  # the process stopped mid-transaction
        return real_run(con, name, params)

    monkeypatch.setattr(ingest, "run", dies_at_the_manifest)
    with warehouse.connect(fleet.warehouse_path) as con, pytest.raises(KeyboardInterrupt):
        ingest.ingest_landing(con, fleet)
    assert _state(fleet) == before


def test_files_a_killed_writer_left_are_never_read_and_are_collected(fleet) -> None:
    listed, count, _ = _state(fleet)
    root = lake.root_for(fleet.warehouse_path)
    stray = root / listed[0][3].replace(".parquet", "-stray.parquet")
    pl.read_parquet(root / listed[0][3]).write_parquet(stray)  # written, never listed
    assert _state(fleet)[1] == count
    with warehouse.connect(fleet.warehouse_path) as con:
        ingest.ingest_landing(con, fleet)
    assert not stray.exists()
    assert _state(fleet)[:2] == (listed, count)


def test_a_warehouse_moved_with_its_lake_reads_the_moved_lake(fleet, tmp_path) -> None:
    listed, count, _ = _state(fleet)
    root = fleet.base_dir
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    shutil.rmtree(lake.root_for(fleet.warehouse_path))  # the old lake is gone
    cfg = load_config(moved / "wattprint.yaml")
    assert _state(cfg)[:2] == (listed, count)
    with warehouse.connect(cfg.warehouse_path) as con:
        ingest.ingest_landing(con, cfg)  # and ingests there, nothing refused
    assert _state(cfg)[:2] == (listed, count)
