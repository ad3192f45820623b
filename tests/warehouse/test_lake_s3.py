"""The telemetry lake and the staged energy units on S3-compatible storage, end to end.

The test starts a real S3 server on 127.0.0.1 (moto's, in its own process) and stops it. The same
small fleet is run twice: lake in a folder beside the warehouse, and lake on S3 (config
`paths.lake: s3://...`, credentials and endpoint from the environment). The derived tables must
be the same bits; the samples must be objects in the bucket and nowhere on disk; the checks that
read samples (through the `raw_gpu_samples` view) must pass; the Dagster fan-out must stage its
units on S3.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipeline.config import load_config
from pipeline.definitions import build_defs
from pipeline.method import reconcile
from pipeline.orchestrate import QUIET
from pipeline.warehouse import connect, lake
from tests.small_fleet import START, compute, copy_fleet, ingest, make_fleet
from tests.warehouse.conftest import BUCKET

DERIVED = ("gpu_energy_intervals", "gpu_energy_attributed", "footprint_hourly", "daily_summary")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return make_fleet(tmp_path_factory.mktemp("s3-fleet"), days=2)


def _tables(cfg) -> dict[str, list[tuple]]:
    with connect(cfg.warehouse_path, read_only=True) as con:
        return {t: con.table(t).order("all").fetchall() for t in DERIVED}


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_a_lake_on_s3_gives_the_same_bits_as_a_lake_in_a_folder(pristine, s3, tmp_path) -> None:
    local = copy_fleet(pristine, tmp_path / "local")
    remote = copy_fleet(pristine, tmp_path / "remote")
    remote.edit_config(lambda d: d["paths"].update(lake=f"s3://{BUCKET}/lake"))
    results = {}
    for name, fleet in (("local", local), ("remote", remote)):
        cfg = fleet.config()
        ingest(cfg)
        compute(cfg)
        results[name] = _tables(cfg)
    assert results["remote"] == results["local"]
    assert all(results["local"][t] for t in DERIVED)

    cfg = remote.config()
    keys = _keys(s3, "lake/gpu_samples/")
    with connect(cfg.warehouse_path, read_only=True) as con:
        listed = [r[0] for r in con.execute("SELECT path FROM lake_files").fetchall()]
        (samples,) = con.execute("SELECT count(*) FROM raw_gpu_samples").fetchall()[0]
        start = lake.store_of(con).root
        checked = reconcile.gpu_energy_intervals(con, cfg, *_window())
    assert start == f"s3://{BUCKET}/lake"
    assert sorted(f"lake/{p}" for p in listed) == sorted(keys) and len(keys) > 10
    assert samples > 10_000
    assert checked.passed, checked.detail()
    assert not lake.root_for(cfg.warehouse_path).exists()  # nothing on local disk


def _window():
    from datetime import datetime, timedelta

    start = datetime.combine(START, datetime.min.time())
    return start, start + timedelta(days=2)


def test_the_dagster_fan_out_stages_its_units_on_s3(pristine, s3, tmp_path, monkeypatch) -> None:
    fleet = copy_fleet(pristine, tmp_path / "dagster")
    fleet.edit_config(lambda d: d["paths"].update(lake=f"s3://{BUCKET}/lake"))
    cfg = fleet.config()
    ingest(cfg)
    staged: list[str] = []
    real_write = lake.Store.write_parquet

    def spy(self, rel, frame):
        if rel.startswith("staged/"):
            staged.append(f"{self.root}/{rel}")
        return real_write(self, rel, frame)

    monkeypatch.setattr(lake.Store, "write_parquet", spy)
    defs = build_defs(fleet.config_path)
    plan = {"plan_energy_units": {"config": {"units_per_day": 2}}}
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config=QUIET | {"ops": {"gpu_energy_intervals": {"ops": plan}}},
        instance=dg.DagsterInstance.ephemeral(),
        partition_key=START.isoformat(),
        asset_selection=[dg.AssetKey("job_allocations"), dg.AssetKey("gpu_energy_intervals")],
    )
    assert result.success
    units = [p for p in staged if "/units/" in p]
    assert len(units) == 2 and all(p.startswith(f"s3://{BUCKET}/lake/staged/") for p in units)
    # committed, then cleared (pyarrow leaves the folder's own marker object)
    assert [k for k in _keys(s3, "lake/staged/") if not k.endswith("/")] == []
    with connect(cfg.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM gpu_energy_intervals").fetchall()[0][0] > 0


def test_pointing_a_warehouse_at_another_lake_is_refused(pristine, s3, tmp_path) -> None:
    fleet = copy_fleet(pristine, tmp_path / "moved")
    ingest(fleet.config())  # the lake beside the warehouse
    fleet.edit_config(lambda d: d["paths"].update(lake=f"s3://{BUCKET}/elsewhere"))
    with pytest.raises(lake.LakeMoved, match="paths.lake is s3://wattprint-lake/elsewhere"):
        ingest(load_config(fleet.config_path))
    assert Path(lake.root_for(fleet.config().warehouse_path)).is_dir()
