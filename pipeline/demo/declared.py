"""The demo's declared usage: lynx-13b's base model, pre-trained at another provider before the
demo's two weeks (no telemetry or scheduler file of this fleet covers it), declared in one row.

Illustrative, not a real run: the figures are made up for the demo and the row's source says so.
It ends before the demo's first day, so the demo's monthly figures do not change; it is in the
warehouse for the lifecycle of lynx-13b-base (the config's `models` section makes it lynx-13b's
base model).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pipeline.demo.hardware import H100

BASE_MODEL = "lynx-13b-base"
GPUS = 256
DAYS = 30
LEAD_DAYS = 120  # the pre-training starts this many days before the demo's first day
GRID_GCO2E_PER_KWH = 380.0
PUE = 1.2
SOURCE = (
    "illustrative demo figures, not a real run: lynx-13b-base pre-trained at another provider "
    f"on {GPUS} {H100.key} for {DAYS} days, as a provider's usage statement would declare it"
)
HEADER = "run,model,phase,gpu_model,gpus,start,end,grid_gco2e_per_kwh,pue,source"


def write_declared(landing: Path, start: date) -> Path:
    """landing/declared/<base model>.csv: one row, the base model's pre-training."""
    first = start - timedelta(days=LEAD_DAYS)
    last = first + timedelta(days=DAYS - 1)  # a date as end: the run's last day, included
    row = (
        f"{BASE_MODEL}-pretrain,{BASE_MODEL},training,{H100.key},{GPUS},{first.isoformat()},"
        f'{last.isoformat()},{GRID_GCO2E_PER_KWH},{PUE},"{SOURCE}"'
    )
    path = landing / "declared" / f"{BASE_MODEL}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8", newline="\n")
    return path
