"""A warehouse built by an older release is brought up to the current CREATE statements where that
is safe (new trailing columns, changed types), and refused with a clear message otherwise."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse import SchemaMismatch, connect, expected_columns


def test_old_tables_gain_new_columns_and_types_and_keep_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    # raw_gpu_samples before the workload column; raw_slurm_jobs when gpus was an INTEGER
    old.execute(
        "CREATE TABLE raw_gpu_samples (source_path VARCHAR NOT NULL, line BIGINT NOT NULL, "
        "host VARCHAR NOT NULL, gpu_index INTEGER NOT NULL, gpu_uuid VARCHAR, gpu_name VARCHAR, "
        "ts_utc TIMESTAMP NOT NULL, power_w DOUBLE, util_pct DOUBLE, energy_mj DOUBLE)"
    )
    old.execute(
        "INSERT INTO raw_gpu_samples VALUES ('a.csv', 2, 'n1', 0, NULL, NULL, "
        "TIMESTAMP '2026-10-01 00:00:00', 250.5, 40, NULL)"
    )
    cols = [c for c, _ in expected_columns("create_raw_slurm_jobs")[1]]
    types = [
        "INTEGER" if c == "gpus" else t for c, t in expected_columns("create_raw_slurm_jobs")[1]
    ]
    old.execute(
        "CREATE TABLE raw_slurm_jobs ("
        + ", ".join(f"{c} {t}" for c, t in zip(cols, types, strict=True))
        + ")"
    )
    old.execute(
        "INSERT INTO raw_slurm_jobs (source_path, line, job_id, gpus) VALUES ('s', 1, '7', 4)"
    )
    old.close()

    with connect(path) as con:
        assert con.execute("SELECT power_w, workload FROM raw_gpu_samples").fetchall() == [
            (250.5, None)
        ]
        assert con.execute("DESCRIBE raw_slurm_jobs").fetchall()[cols.index("gpus")][1] == "DOUBLE"
        con.execute(
            "INSERT INTO raw_slurm_jobs (source_path, line, job_id, gpus) "
            "VALUES ('s', 2, '8', 0.4286)"
        )
        assert con.execute("SELECT gpus FROM raw_slurm_jobs ORDER BY line").fetchall() == [
            (4.0,),
            (0.4286,),
        ]


def test_a_table_that_cannot_be_migrated_names_itself_and_says_to_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "odd.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE raw_serving (hour VARCHAR, something_else DOUBLE)")
    old.close()
    with pytest.raises(
        SchemaMismatch, match=r"odd\.duckdb: table raw_serving .* delete the warehouse"
    ):
        with connect(path):
            pass
