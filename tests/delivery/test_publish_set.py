"""The publish folder's copy of a period is replaced as a set too: a disk that fills while it is
copied leaves the published set whole, and the next delivery completes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.delivery import DeliveryError, deliver
from pipeline.report.render import write_report
from tests.delivery.config_files import put_set, whole_month, write_config
from tests.report.full_disk_render import changed_report, fail_writes_after, snapshot
from tests.report_sample import sample_disclosure

PERIOD = "2025-03"


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sets")
    d = whole_month(sample_disclosure())
    write_report(d, root / "old")
    write_report(changed_report(d), root / "new")
    return {"old": root / "old", "new": root / "new"}


def test_full_disk_while_publishing_keeps_the_published_set(tmp_path, sets, monkeypatch):
    cfg = load_config(write_config(tmp_path, {"publish_dir": "share"}))
    put_set(cfg, sets["old"])
    assert deliver(cfg, PERIOD)[0].sent
    dest = cfg.publish_path / PERIOD
    before = snapshot(dest)
    assert before == snapshot(sets["old"])

    put_set(cfg, sets["new"])
    fail_writes_after(monkeypatch, cfg.publish_path, 200_000)
    with pytest.raises(DeliveryError, match="No space left on device") as err:
        deliver(cfg, PERIOD)
    monkeypatch.undo()
    assert str(cfg.publish_path) in str(err.value) and not err.value.permanent
    assert snapshot(dest) == before  # the old published set, whole

    [published] = deliver(cfg, PERIOD)  # room again: the retry publishes the new set
    assert published.sent and snapshot(dest) == snapshot(sets["new"])


def test_publish_where_links_cannot_be_made(tmp_path, sets, monkeypatch):
    """A share that takes no symlinks (some SMB mounts) still gets the files, each replaced
    atomically, stale CSVs removed."""
    import os

    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    cfg = load_config(write_config(tmp_path, {"publish_dir": "share"}))
    put_set(cfg, sets["old"])
    monkeypatch.setattr(os, "symlink", no_links)
    deliver(cfg, PERIOD)
    dest = cfg.publish_path / PERIOD
    (dest / "tables" / "stale.csv").write_text("x\n")
    monkeypatch.undo()
    put_set(cfg, sets["new"])
    monkeypatch.setattr(os, "symlink", no_links)
    assert deliver(cfg, PERIOD)[0].sent
    assert not dest.is_symlink() and snapshot(dest) == snapshot(sets["new"])
