"""The energy pass staged on disk, so its units can run in other processes or on other machines.

    plan   (reads the warehouse)   → <stage>/plan.json + the shared inputs as Parquet
    unit   (reads lake + stage)    → <stage>/units/<key>.parquet   (any process, any order)
    commit (the one writer)        → gpu_energy_intervals, one transaction

`<stage>` is `<lake>/staged/<start>_<end>/`, one per window: a rerun replaces it. A unit writes its
file under a temporary name and renames it, so a killed worker leaves no file; `commit` refuses a
stage with any unit missing, and the warehouse stays as it was. The units are the same functions
the single-process path calls (pipeline/method/passes.py), on the same inputs, so the rows are
the same bits.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.method import passes
from pipeline.method.pieces import Params
from pipeline.warehouse import lake

_FRAMES = ("hosts", "mtimes", "allocations")


class StageIncomplete(RuntimeError):
    """A unit of the plan has no result (its worker failed or was killed)."""


def stage_dir(root: Path, start: datetime, end: datetime) -> Path:
    return root / "staged" / f"{start:%Y%m%dT%H}_{end:%Y%m%dT%H}"


def unit_key(unit: passes.Unit) -> str:
    """A name for the unit, stable for a plan: its day and first bucket."""
    return f"{unit.start:%Y%m%d}-b{unit.buckets[0]:03d}"


def plan(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    start: datetime,
    end: datetime,
    units_per_day: int | None = None,
) -> tuple[Path, list[str]]:
    """Plan the window's units and stage what they share; (the stage folder, the unit keys)."""
    from pipeline.method.energy import params

    inputs = passes.Inputs.read(con, params(cfg), start, end)
    units = passes.plan(con, inputs, start, end, units_per_day=units_per_day)
    folder = stage_dir(inputs.root, start, end)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "units").mkdir(parents=True)
    for name in _FRAMES:
        getattr(inputs, name).write_parquet(folder / f"{name}.parquet")
    keys = [unit_key(u) for u in units]
    doc = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "params": asdict(inputs.params),
        "units": {
            k: {
                "start": u.start.isoformat(),
                "buckets": u.buckets,
                "files": u.files,
                "rows": u.rows,
            }
            for k, u in zip(keys, units, strict=True)
        },
    }
    (folder / "plan.json").write_text(json.dumps(doc, indent=1))
    return folder, keys


def _load(folder: Path) -> tuple[dict, passes.Inputs]:
    doc = json.loads((folder / "plan.json").read_text())
    frames = {name: pl.read_parquet(folder / f"{name}.parquet") for name in _FRAMES}
    root = folder.parents[1]  # <lake>/staged/<window>
    return doc, passes.Inputs(root=root, params=Params(**doc["params"]), **frames)


def run_unit(folder: Path, key: str) -> Path:
    """Compute one planned unit into `<stage>/units/<key>.parquet`; its path."""
    doc, inputs = _load(folder)
    u = doc["units"][key]
    unit = passes.Unit(
        datetime.fromisoformat(u["start"]), tuple(u["buckets"]), tuple(u["files"]), u["rows"]
    )
    rows = passes.run_unit(inputs, unit)
    target = folder / "units" / f"{key}.parquet"
    tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
    rows.write_parquet(tmp)
    os.replace(tmp, target)
    return target


def commit(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Write every unit's rows of the stage's window in one transaction; StageIncomplete, and
    nothing written, if a unit has no result. The rows written."""
    doc = json.loads((folder / "plan.json").read_text())
    missing = [k for k in doc["units"] if not (folder / "units" / f"{k}.parquet").exists()]
    if missing:
        raise StageIncomplete(
            f"{folder}: {len(missing)} of {len(doc['units'])} energy units have no result "
            f"(first {missing[0]}); their workers failed or were stopped. Nothing was written; "
            "run the window again."
        )
    parts = [pl.read_parquet(folder / "units" / f"{k}.parquet") for k in sorted(doc["units"])]
    start, end = datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"])
    n = passes.commit(con, start, end, parts)
    shutil.rmtree(folder, ignore_errors=True)
    return n


def lake_root(cfg: Config) -> Path:
    return lake.root_for(cfg.warehouse_path)
