"""A period's report set (disclosure.json, report.html, report.pdf, tables/*.csv) replaces the
previous set as a whole or not at all: a disk that fills midway leaves the old set whole."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.atomic import VERSIONS_DIR
from pipeline.report.render import write_report
from tests.report.full_disk_render import changed_report as _changed
from tests.report.full_disk_render import fail_writes_after, snapshot
from tests.report_sample import sample_disclosure

PERIOD = "2025-03"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def old_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("old") / PERIOD
    write_report(sample_disclosure(), out)
    return snapshot(out)


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.9])
def test_disk_full_midway_keeps_the_old_set_whole(tmp_path, old_set, monkeypatch, fraction):
    reports = tmp_path / "reports"
    out = reports / PERIOD
    write_report(sample_disclosure(), out)
    before = snapshot(out)
    assert before.keys() == old_set.keys() and any(k.startswith("tables/") for k in before)
    versions_before = sorted(os.listdir(reports / VERSIONS_DIR / PERIOD))
    total_bytes = sum(len(b) for b in old_set.values())

    fail_writes_after(monkeypatch, reports, int(total_bytes * fraction))
    with pytest.raises(OSError) as err:
        write_report(_changed(sample_disclosure()), out)
    monkeypatch.undo()

    assert err.value.errno == errno.ENOSPC
    assert err.value.filename and str(reports) in str(err.value.filename)  # names the file
    assert snapshot(out) == before  # the old set, whole and byte-identical
    assert json.loads(before["disclosure.json"])["title"] != "Revised disclosure"
    # nothing half-written beside it: no temp link, no new version folder
    assert sorted(os.listdir(reports)) == sorted([PERIOD, VERSIONS_DIR])
    assert sorted(os.listdir(reports / VERSIONS_DIR / PERIOD)) == versions_before

    # with room again the new set replaces the old one as a whole
    write_report(_changed(sample_disclosure()), out)
    after = snapshot(out)
    assert json.loads(after["disclosure.json"])["title"] == "Revised disclosure"
    assert after["report.pdf"] != before["report.pdf"]


def test_versions_kept_current_and_previous(tmp_path):
    """The period path switches in one step to a complete folder; the previous set is kept
    (a reader that resolved the path just before the switch still reads a whole set), older
    ones are removed."""
    out = tmp_path / "reports" / PERIOD
    store = tmp_path / "reports" / VERSIONS_DIR / PERIOD
    d = sample_disclosure()
    seen = []
    for i in range(3):
        paths = write_report(d.model_copy(update={"title": f"take {i}"}), out)
        assert paths["pdf"] == out / "report.pdf"  # the paths users and scripts know
        assert out.is_symlink() and not os.path.isabs(os.readlink(out))  # movable
        seen.append(out.resolve())
        assert json.loads((out / "disclosure.json").read_text())["title"] == f"take {i}"
    assert sorted(p.name for p in store.iterdir()) == sorted(p.name for p in seen[-2:])
    assert json.loads((seen[-2] / "disclosure.json").read_text())["title"] == "take 1"

    # the reports folder moved elsewhere (backup, new disk) still reads
    moved = tmp_path / "moved"
    shutil.move(tmp_path / "reports", moved)
    assert json.loads((moved / PERIOD / "disclosure.json").read_text())["title"] == "take 2"


def test_a_folder_from_an_older_version_is_taken_over(tmp_path):
    """Reports written before sets were switched as a whole are plain folders: the first new
    set replaces it, and the old files are kept as the previous version."""
    out = tmp_path / "reports" / PERIOD
    (out / "tables").mkdir(parents=True)
    (out / "report.pdf").write_bytes(b"%PDF old")
    (out / "tables" / "gone.csv").write_text("x\n1\n")
    write_report(sample_disclosure(), out)
    assert out.is_symlink() and not (out / "tables" / "gone.csv").exists()
    [previous] = [p for p in (out.parent / VERSIONS_DIR / PERIOD).iterdir() if p != out.resolve()]
    assert (previous / "report.pdf").read_bytes() == b"%PDF old"


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d; rmdir $d"
    cmd = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", probe]
    return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare to mount a small tmpfs")
def test_real_full_tmpfs_keeps_the_old_set_whole(tmp_path):
    """On a real 2 MiB tmpfs filled so that the new PDF no longer fits: the render fails with
    ENOSPC naming a file and the period path still shows the old set, byte for byte."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=2m tmpfs {disk} && "
        f"{sys.executable} -m tests.report.full_disk_render {disk} {PERIOD}"
    )
    proc = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["error_errno"] == errno.ENOSPC
    assert result["error_filename"]
    assert result["free_bytes"] < result["new_pdf_bytes"]  # the disk really was too full
    assert result["old_set_intact"], result["differences"]
    assert result["entries"] == sorted([PERIOD, VERSIONS_DIR, "filler"])
