"""Configs and report folders for the delivery tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pipeline.atomic import replace_folder
from pipeline.config import load_config
from pipeline.delivery import LEDGER_NAME
from pipeline.disclosure.model import Disclosure, Period
from pipeline.disclosure.publication import month_bounds

RECIPIENTS = ["sustainability@example.com", "cfo@example.org"]


def write_config(folder: Path, delivery: dict | None, **extra) -> Path:
    data = {
        "start_date": "2025-03-01",
        "paths": {"reports": "reports"},
        "sites": {"lab": {"grid_zone": "SE-SE3", "annual_gco2e_per_kwh": 30.0}},
        "gpu_models": {"h100": {"tdp_w": 700, "idle_w": 70}},
        "host_groups": [{"hosts": "gpu[01-02]", "site": "lab", "gpu_model": "h100"}],
        "reporting": {"title": "AI energy and carbon disclosure", "organisation": "Nordic Lab"},
        **extra,
    }
    if delivery is not None:
        data["delivery"] = delivery
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wattprint.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def smtp_config(port: int, **kw) -> dict:
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_addr": "wattprint@example.com",
        "timeout_s": 5,
        **kw,
    }


def email_config(tmp_path: Path, port: int, recipients=RECIPIENTS, **smtp_kw):
    path = write_config(tmp_path, {"smtp": smtp_config(port, **smtp_kw), "recipients": recipients})
    return load_config(path)


def ledger(cfg) -> dict:
    path = cfg.reports_dir / LEDGER_NAME
    return json.loads(path.read_text()) if path.exists() else {}


def whole_month(d: Disclosure) -> Disclosure:
    """`d` as the report of its whole month (the sample covers 14 days of March 2025)."""
    first, last = month_bounds(d.period.start.strftime("%Y-%m"))
    period = Period(start=first, end=last, days=(last - first).days + 1)
    return d.model_copy(update={"period": period})


def put_set(cfg, source: Path, period: str = "2025-03") -> None:
    """`source`'s report set as the period's report, written where and as the pipeline writes it."""
    files = {
        p.relative_to(source).as_posix(): p.read_bytes()
        for p in sorted(source.rglob("*"))
        if p.is_file()
    }
    replace_folder(cfg.reports_dir / period, files)
