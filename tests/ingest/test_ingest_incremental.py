"""Incremental ingest: a nightly run reads only new or changed landing files.

A file with the size and modification time the manifest recorded is not read at all (not even
hashed); a touched file with the same content is hashed, found unchanged and remembered with its
new time; a changed file is read again and replaces its rows.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from pipeline import ingest, warehouse
from pipeline.config import load_config
from pipeline.demo.fleet import generate_fleet


@pytest.fixture()
def fleet(tmp_path):
    cfg = load_config(generate_fleet(tmp_path / "fleet", days=1, start=date(2026, 10, 1)))
    with warehouse.connect(cfg.warehouse_path) as con:
        first = ingest.ingest_landing(con, cfg)
    assert first.count("ingested") == len(first.files) > 10
    return cfg


def _counting_hash(monkeypatch) -> list:
    hashed: list = []
    real = ingest.sha256_of

    def spy(path):
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(ingest, "sha256_of", spy)
    return hashed


def test_unchanged_files_are_not_read_again(fleet, monkeypatch):
    hashed = _counting_hash(monkeypatch)
    reads: list = []
    real_read = ingest.read_file
    monkeypatch.setattr(ingest, "read_file", lambda p, c: reads.append(p) or real_read(p, c))
    with warehouse.connect(fleet.warehouse_path) as con:
        again = ingest.ingest_landing(con, fleet)
    assert again.count("unchanged") == len(again.files)
    assert hashed == [] and reads == []


def test_touched_but_same_content_is_hashed_once_then_skipped(fleet, monkeypatch):
    path = ingest.landing_files(fleet.landing_dir)[0]
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    hashed = _counting_hash(monkeypatch)
    with warehouse.connect(fleet.warehouse_path) as con:
        first = ingest.ingest_landing(con, fleet)
        second = ingest.ingest_landing(con, fleet)
    assert hashed == [path]  # once, in the first pass; the new mtime is remembered
    assert first.count("unchanged") == second.count("unchanged") == len(first.files)


def test_changed_file_is_read_and_replaces_its_rows(fleet):
    path = next(p for p in ingest.landing_files(fleet.landing_dir) if p.suffix == ".csv")
    rel = path.relative_to(fleet.landing_dir).as_posix()
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # drop the last row: smaller, newer
    with warehouse.connect(fleet.warehouse_path) as con:
        out = ingest.ingest_landing(con, fleet)
        (rows,) = con.execute(
            "SELECT rows_read FROM ingest_manifest WHERE source_path = ?", [rel]
        ).fetchone()
    changed = [f for f in out.files if f.status == "ingested"]
    assert [f.path for f in changed] == [rel]
    assert rows == changed[0].rows_read


def test_gpu_days_touched_batched_and_per_file_agree(tmp_path):
    """The days a telemetry file's samples feed: its own day, and the day before (the interval
    from the previous day's last sample crosses midnight). Asked for all files at once (what an
    ingest does) or file by file, and before a replaced file's rows go: the same days."""
    from benchmarks.fleet import FleetSpec, generate

    spec = FleetSpec(gpus=32, days=2, cadence_s=300, start=date(2026, 10, 1))
    cfg = load_config(generate(tmp_path / "bench", spec).config_path)
    d1, d2 = date(2026, 10, 1), date(2026, 10, 2)
    with warehouse.connect(cfg.warehouse_path) as con:
        summary = ingest.ingest_landing(con, cfg)
        lake = {f.path: f.days_touched for f in summary.files if f.table == "raw_gpu_samples"}
        assert len(lake) == 6  # 3 blocks of hosts (2 + 1 in Stockholm, 1 in Virginia) x 2 days
        for rel, days in lake.items():
            assert days == ([d1] if "/2026-10-01/" in rel else [d1, d2]), rel
            assert sorted(ingest.gpu_days_touched(con, [rel])[rel]) == days
            assert sorted(ingest.days_touched(con, rel, ("raw_gpu_samples",), d2)) == days


def test_a_change_to_what_reading_depends_on_reads_unchanged_files_again(fleet):
    # A log showing 16 GPUs on a host the inventory lists with 8: half its rows are quarantined.
    # Once the inventory is corrected, the same bytes are read again (issue 15); a change to the
    # config that reading does not depend on (the report title) reads nothing again.
    host = fleet.landing_dir / "telemetry" / "sto-h100-001"
    log = sorted(host.glob("*.csv"))[0]
    lines = log.read_text(encoding="utf-8").splitlines()
    extra = [line.replace(", 0, GPU-", ", 8, GPU-", 1) for line in lines[1:] if ", 0, GPU-" in line]
    log.write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")
    with warehouse.connect(fleet.warehouse_path) as con:
        [before] = [f for f in ingest.ingest_landing(con, fleet).files if f.status == "ingested"]
    assert before.rows_quarantined == len(extra)

    retitled = fleet.reporting.model_copy(update={"title": "another title"})
    cfg = fleet.model_copy(update={"reporting": retitled})
    with warehouse.connect(cfg.warehouse_path) as con:
        assert ingest.ingest_landing(con, cfg).count("ingested") == 0

    wider = [fleet.host_groups[0].model_copy(update={"gpus": 16}), *fleet.host_groups[1:]]
    cfg = fleet.model_copy(update={"host_groups": wider})
    with warehouse.connect(cfg.warehouse_path) as con:
        again = ingest.ingest_landing(con, cfg)
        quarantined = con.execute(
            "SELECT count(*) FROM quarantine WHERE source_path = ?",
            [log.relative_to(cfg.landing_dir).as_posix()],
        ).fetchone()
    assert again.count("ingested") == len(again.files)
    assert quarantined == (0,)
