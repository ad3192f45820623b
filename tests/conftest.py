"""Fixtures shared by the integration tests: one real demo run per test session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


class DemoRun:
    def __init__(self, out: Path, stdout: str) -> None:
        self.out = out
        self.stdout = stdout
        self.config = out / "wattprint.yaml"
        self.reports = out / "reports" / "2026-10"
        self.warehouse = out / "warehouse" / "wattprint.duckdb"

    @property
    def disclosure(self) -> dict:
        return json.loads((self.reports / "disclosure.json").read_text())


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`wattprint demo` exactly as a user runs it (a subprocess of the installed CLI)."""
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return DemoRun(out, proc.stdout)
