"""Files and folders the system refuses (no permission, read-only, disk full, a file where a
folder should be) are one line on stderr naming the path and its config key, and exit 2, also
when the error is raised inside a Dagster run or by DuckDB (issue 17). Permissions are real file
modes (as root, under setpriv without the capabilities that ignore them); a full disk is a real
tmpfs where one can be mounted, and a writer that fails after N bytes otherwise."""

from __future__ import annotations

import errno
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.demo.fleet import generate_fleet
from tests.cli.cli_process import assert_one_line, modes_bind, tiny_disk, wattprint

START = date(2026, 10, 1)
DAYS = ["--start", "2026-10-01", "--end", "2026-10-01"]


@pytest.fixture(scope="module")
def computed_fleet(tmp_path_factory) -> Path:
    """The demo fleet with its warehouse computed and October's report written."""
    config = generate_fleet(tmp_path_factory.mktemp("fleet") / "fleet", days=1, start=START)
    proc = wattprint("run", "--config", str(config), *DAYS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return config


@pytest.fixture()
def fleet(computed_fleet, tmp_path) -> Path:
    shutil.copytree(computed_fleet.parent, tmp_path / "fleet")
    return tmp_path / "fleet" / "wattprint.yaml"


def _read_only(folder: Path) -> None:
    for d in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        d.chmod(0o555)


@pytest.fixture()
def restore_modes(tmp_path):
    """Give the test's folders their write permission back, so pytest can remove them."""
    yield
    for d in [tmp_path, *(p for p in tmp_path.rglob("*") if p.is_dir())]:
        d.chmod(0o755)


def test_an_unreadable_landing_file_is_one_line(fleet):
    prefix = modes_bind()
    landing = fleet.parent / "landing"
    new = landing / "telemetry" / "sto-h100-001" / "nvidia-smi-extra.csv"
    shutil.copy(next(new.parent.glob("*.csv")), new)
    new.chmod(0)
    proc = wattprint("run", "--config", str(fleet), *DAYS, prefix=prefix)
    assert_one_line(proc, str(new), "(paths.landing)", "permission denied", "chmod")


def test_a_read_only_reports_folder_is_one_line(fleet, restore_modes):
    prefix = modes_bind()
    reports = fleet.parent / "reports"
    _read_only(reports)
    proc = wattprint("report", "--config", str(fleet), "--period", "2026-10", prefix=prefix)
    line = assert_one_line(proc, str(reports), "(paths.reports)", "permission denied")
    assert ".tmp" not in line  # the file the user knows, not the temp file beside it


def test_a_read_only_warehouse_folder_inside_a_dagster_run_is_one_line(fleet, restore_modes):
    prefix = modes_bind()
    warehouse = fleet.parent / "warehouse"
    _read_only(warehouse)
    proc = wattprint("run", "--config", str(fleet), *DAYS, prefix=prefix)
    # DuckDB's error, raised in the ingest run: no Dagster log of the failure, no traceback
    assert_one_line(proc, str(warehouse), "(paths.warehouse)", "permission denied")
    assert "STEP_FAILURE" not in proc.stderr and "dagster" not in proc.stderr.lower()


def test_a_full_disk_under_the_reports_is_one_line_naming_the_file(fleet):
    reports = fleet.parent / "reports"
    shutil.rmtree(reports)
    reports.mkdir()
    prefix = tiny_disk(reports, size_kb=64)
    proc = wattprint("report", "--config", str(fleet), "--period", "2026-10", prefix=prefix)
    assert_one_line(proc, f"{reports}/2026-10/", "(paths.reports)", "no space left", "df -h")


def test_a_writer_that_finds_the_disk_full_after_n_bytes_is_one_line(fleet, monkeypatch, capsys):
    """The same without a tmpfs: every write() (the report set's files are written with
    os.write) fails once 20 kB are written, with an OSError that names no file, as write() does
    on a full disk."""
    from pipeline.cli import app

    real_write = os.write
    written = [0]

    def full_disk(fd, data):
        written[0] += len(data)
        if written[0] > 20_000:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(SystemExit) as exit_:
        app(["report", "--config", str(fleet), "--period", "2026-10"], prog_name="wattprint")
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    [line] = err.strip().splitlines()
    reports = fleet.parent / "reports" / "2026-10"
    assert f"{reports}/" in line and "(paths.reports)" in line
    assert "no space left" in line and ".tmp" not in line


def test_demo_into_a_file_is_one_line(tmp_path):
    out = tmp_path / "demo-output"
    out.write_text("a file\n")
    proc = wattprint("demo", "--out", str(out), "--days", "1")
    assert_one_line(proc, str(out), "(--out)", "expected a folder", "correct --out")
