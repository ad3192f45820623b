"""The energy pass staged on disk, so its units can run in other processes or on other machines.

    plan   (reads the warehouse)   → <stage>/plan.json + the shared inputs as Parquet
    unit   (reads lake + stage)    → <stage>/units/<key>.parquet   (any process, any order)
    commit (the one writer)        → gpu_energy_intervals, one transaction

`<stage>` is `staged/<start>_<end>/` in the lake (a folder or object storage: every machine running
units sees it), one per window: a rerun replaces it. A unit's file appears whole or not at all (a
folder's is written under a hidden name and renamed; an object is one PUT), so a killed worker
leaves no file; `commit` refuses a stage with any unit missing, and the warehouse stays as it was.
A stage is addressed by a string, `<lake root>|<stage path>`, which is what Dagster passes between
steps. The units are the same functions
the single-process path calls (pipeline/method/passes.py), on the same inputs, so the rows are
the same bits.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import duckdb

from pipeline.config import Config
from pipeline.method import passes
from pipeline.method.pieces import Params
from pipeline.warehouse.store import Store

_FRAMES = ("hosts", "mtimes", "allocations")


class StageIncomplete(RuntimeError):
    """A unit of the plan has no result (its worker failed or was killed)."""


def stage_dir(start: datetime, end: datetime) -> str:
    """The stage of a window, relative to the lake's root."""
    return f"staged/{start:%Y%m%dT%H}_{end:%Y%m%dT%H}"


def address(lake_root: str, start: datetime, end: datetime) -> str:
    return f"{lake_root}|{stage_dir(start, end)}"


def _parse(stage: str) -> tuple[Store, str]:
    root, _, rel = stage.partition("|")
    return Store(root), rel


def unit_key(unit: passes.Unit) -> str:
    """A name for the unit, stable for a plan: its day and first bucket."""
    return f"{unit.start:%Y%m%d}-b{unit.buckets[0]:03d}"


def plan(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    start: datetime,
    end: datetime,
    units_per_day: int | None = None,
) -> tuple[str, list[str]]:
    """Plan the window's units and stage what they share; (the stage's address, the unit keys)."""
    from pipeline.method.energy import params

    inputs = passes.Inputs.read(con, params(cfg), start, end)
    units = passes.plan(con, inputs, start, end, units_per_day=units_per_day)
    stage = address(inputs.lake, start, end)
    store, rel = _parse(stage)
    store.remove_tree(rel)
    for name in _FRAMES:
        store.write_parquet(f"{rel}/{name}.parquet", getattr(inputs, name))
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
    store.write_text(f"{rel}/plan.json", json.dumps(doc, indent=1))
    return stage, keys


def _load(stage: str) -> tuple[dict, passes.Inputs]:
    store, rel = _parse(stage)
    doc = json.loads(store.read_text(f"{rel}/plan.json"))
    frames = {name: store.read_parquet(f"{rel}/{name}.parquet") for name in _FRAMES}
    return doc, passes.Inputs(lake=store.root, params=Params(**doc["params"]), **frames)


def run_unit(stage: str, key: str) -> str:
    """Compute one planned unit into `<stage>/units/<key>.parquet`; that path."""
    doc, inputs = _load(stage)
    u = doc["units"][key]
    unit = passes.Unit(
        datetime.fromisoformat(u["start"]), tuple(u["buckets"]), tuple(u["files"]), u["rows"]
    )
    rows = passes.run_unit(inputs, unit)
    store, rel = _parse(stage)
    target = f"{rel}/units/{key}.parquet"
    store.write_parquet(target, rows)
    return target


def commit(con: duckdb.DuckDBPyConnection, stage: str) -> int:
    """Write every unit's rows of the stage's window in one transaction; StageIncomplete, and
    nothing written, if a unit has no result. The rows written."""
    store, rel = _parse(stage)
    doc = json.loads(store.read_text(f"{rel}/plan.json"))
    missing = [k for k in doc["units"] if not store.exists(f"{rel}/units/{k}.parquet")]
    if missing:
        raise StageIncomplete(
            f"{stage}: {len(missing)} of {len(doc['units'])} energy units have no result "
            f"(first {missing[0]}); their workers failed or were stopped. Nothing was written; "
            "run the window again."
        )
    parts = [store.read_parquet(f"{rel}/units/{k}.parquet") for k in sorted(doc["units"])]
    start, end = datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"])
    n = passes.commit(con, start, end, parts)
    store.remove_tree(rel)
    return n


def exists(stage: str) -> bool:
    store, rel = _parse(stage)
    return store.exists(f"{rel}/plan.json")
