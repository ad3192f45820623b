"""The SQL loader: statements are addressed by file name alone, found in their layer's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import warehouse
from pipeline.warehouse import schema_files, sql, sql_files


def test_every_statement_is_found_by_its_name_in_a_layer_folder() -> None:
    files = sql_files()
    assert len(files) > 90
    layers = {p.parent.name for p in files.values()}
    assert layers == {"raw", "method", "disclosure", "checks", "bench", "sql"}
    assert files["insert_footprint_hourly"].parent.name == "method"
    assert files["schema_raw_gpu_samples"].parent.name == "raw"
    assert sql("select_period_daily") == files["select_period_daily"].read_text()


def test_schema_files_are_every_create_statement_in_name_order() -> None:
    names = schema_files()
    assert names == sorted(names)
    assert names == sorted(n for n in sql_files() if n.startswith("create_"))
    for name in ("create_lake_files", "create_ingest_manifest", "create_footprint_hourly"):
        assert name in names


def test_two_files_with_one_name_are_refused(tmp_path: Path, monkeypatch) -> None:
    for folder in ("raw", "method"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "select_x.sql").write_text("SELECT 1;")
    monkeypatch.setattr(warehouse, "SQL_DIR", tmp_path)
    sql_files.cache_clear()
    try:
        with pytest.raises(ValueError, match="two SQL files named select_x.sql"):
            sql_files()
    finally:
        monkeypatch.undo()
        sql_files.cache_clear()


def test_an_unknown_name_says_so() -> None:
    with pytest.raises(FileNotFoundError, match="no SQL file select_nothing.sql"):
        sql("select_nothing")
