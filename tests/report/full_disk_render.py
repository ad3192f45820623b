"""Full disks for the report-set tests: a writer that fails after N bytes (`fail_writes_after`),
and, run as a script inside a private mount namespace by test_report_set_atomic, a real one: on
the small tmpfs mounted at argv[1], write a report set, fill the disk until the next PDF cannot
fit, render a changed report over it and print (as one JSON line) what the period path shows."""

from __future__ import annotations

import errno
import json
import os
import sys
from pathlib import Path

import pytest

from pipeline.disclosure.model import Disclosure
from pipeline.report.render import write_report
from tests.report_sample import sample_disclosure

FREE_BYTES = 300_000  # more than the HTML (~100 kB) needs, less than the PDF (~530 kB)


def changed_report(d: Disclosure) -> Disclosure:
    """`d` with another title and facility energy: every file of its set differs."""
    totals = d.totals.model_copy(update={"energy_kwh": d.totals.energy_kwh * 1.1})
    return d.model_copy(update={"title": "Revised disclosure", "totals": totals})


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the set the period path shows, by path relative to it."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def fail_writes_after(monkeypatch: pytest.MonkeyPatch, under: Path, limit_bytes: int) -> None:
    """A disk under `under` that takes `limit_bytes` more and then answers ENOSPC, as a full
    disk does: the write that crosses the limit is partial, the next one fails."""
    real_write = os.write
    written = [0]
    prefix = str(under.resolve())

    def write(fd: int, data) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if not target.startswith(prefix):
            return real_write(fd, data)
        room = limit_bytes - written[0]
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, memoryview(data)[:room])
        written[0] += n
        return n

    monkeypatch.setattr(os, "write", write)


def main(disk: Path, period: str) -> None:
    out = disk / period
    write_report(sample_disclosure(), out)
    before = snapshot(out)
    st = os.statvfs(disk)
    with open(disk / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - FREE_BYTES))
    st = os.statvfs(disk)
    result: dict[str, object] = {
        "free_bytes": st.f_bavail * st.f_frsize,
        "new_pdf_bytes": len(before["report.pdf"]),
    }
    try:
        write_report(changed_report(sample_disclosure()), out)
    except OSError as e:
        result.update(error_errno=e.errno, error_filename=str(e.filename or ""))
    else:
        result.update(error_errno=None, error_filename="")
    after = snapshot(out)
    result["old_set_intact"] = after == before
    result["differences"] = sorted(
        k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
    )
    result["entries"] = sorted(os.listdir(disk))
    print(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
