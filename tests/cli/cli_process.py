"""The `wattprint` command as a user runs it: a subprocess, its stderr read back.

Permission tests need a user that file modes stop. Not root: chmod does. Root: the command runs
under `setpriv` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, the capabilities that let root
ignore file modes, so a chmod stops it as it stops anyone (no simulation). A full disk is a tmpfs
of a few kB mounted in a private mount namespace (`unshare -m`), where the system allows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DROP_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "WATTPRINT_DEBUG")}
    env["PYTHONPATH"] = str(REPO)
    env["COLUMNS"] = "80"  # the width Rich wraps to when it is not told otherwise
    return env


def wattprint(*args: str, prefix: list[str] | None = None, timeout: float = 300):
    """`python -m pipeline.cli ARGS` in the repository, as its own process."""
    cmd = [*(prefix or []), sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(
        cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout
    )


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def modes_bind() -> list[str]:
    """The prefix under which a chmod stops the command (empty when not root); skips the test
    when root cannot give up its capabilities here."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None or not _works([*DROP_DAC, "true"]):
        pytest.skip("running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here")
    return DROP_DAC


def tiny_disk(folder: Path, size_kb: int) -> list[str]:
    """The prefix that runs a command with a `size_kb` tmpfs mounted on `folder` (in a private
    mount namespace, gone with the process); skips the test where no tmpfs can be mounted."""
    probe = ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=4k tmpfs {folder}"]
    if shutil.which("unshare") is None or not _works(probe):
        pytest.skip("no tmpfs can be mounted here (needs unshare -m and mount)")
    script = f'mount -t tmpfs -o size={size_kb}k tmpfs "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, str(folder)]


def assert_one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2 and one line on stderr, no traceback, holding every needle; the line."""
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\n{err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{len(lines)} lines on stderr:\n{err[-3000:]}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]
