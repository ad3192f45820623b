"""A small demo fleet run through the domain code, for the mutation suite (issue 15).

`make_fleet(tmp)` writes the demo fleet's landing files and config (2 days, 5-minute samples);
a test corrupts a copy of what it needs (a landing file, the config, a derived table) and then
`compute(cfg)` runs what the Dagster assets call, in their order, on a real DuckDB file. The clean
fleet must pass every check; each corrupted copy must be caught (quarantined, a failing check, or
a blocked publication).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from pipeline.config import Config, load_config
from pipeline.demo.fleet import generate_fleet
from pipeline.ingest import IngestSummary, ingest_landing
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.cost import build_cost_attributed
from pipeline.method.energy import (
    build_daily_summary,
    build_footprint_hourly,
    build_gpu_energy_attributed,
    build_gpu_energy_intervals,
)
from pipeline.warehouse import connect

START = date(2026, 10, 1)
DAYS = 2
LAST = START + timedelta(days=DAYS - 1)


@dataclass
class Fleet:
    root: Path
    config_path: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def config(self) -> Config:
        return load_config(self.config_path)

    def edit_config(self, change) -> None:
        """Apply `change(dict)` to the YAML config in place."""
        data = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        change(data)
        self.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def make_fleet(root: Path, days: int = DAYS, sample_interval_s: int = 300) -> Fleet:
    """The demo fleet's files for `days` days from START under `root`."""
    path = generate_fleet(root, days=days, start=START, sample_interval_s=sample_interval_s)
    return Fleet(root, path)


def ingest(cfg: Config) -> IngestSummary:
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        return ingest_landing(con, cfg)


def compute(cfg: Config, first: date = START, last: date = LAST) -> None:
    """Every daily stage for [first, last], as the Dagster data assets run them."""
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    with connect(cfg.warehouse_path) as con:
        build_job_allocations(con, cfg, start, end)
        build_gpu_energy_intervals(con, cfg, start, end)
        build_gpu_energy_attributed(con, start, end)
        build_footprint_hourly(con, start, end)
        build_daily_summary(con, start, end)
        build_cost_attributed(con, start, end)


def run_all(cfg: Config) -> IngestSummary:
    summary = ingest(cfg)
    compute(cfg)
    return summary


def copy_fleet(fleet: Fleet, dest: Path) -> Fleet:
    """A copy of `fleet`'s files (landing, config, instrument profiles) without its warehouse and
    reports, to corrupt without touching the original."""
    ignore = shutil.ignore_patterns("warehouse", "reports", ".dagster_home")
    shutil.copytree(fleet.root, dest, ignore=ignore, dirs_exist_ok=True)
    return Fleet(dest, dest / fleet.config_path.relative_to(fleet.root))
