"""Verify a disclosure: recompute it from the input files its manifest names and compare, figure by
figure (what `wattprint verify` does; docs/outputs.md).

First, without computing anything: every input file recorded in `disclosure.json` (`inputs[]`,
paths relative to the landing folder) must be in the config's landing folder with its recorded
SHA-256, the config file must have the recorded `config_sha256`, and the code its `code_version`.
Then the recompute runs in a scratch folder: a landing folder holding only the manifest's files
(hard links, or copies across disks), an empty warehouse and a copy of the config pointing there;
the same Dagster runs as `wattprint run` (ingest and the days; no report files, no mail), then the
disclosure of the recorded period, compared with `pipeline.disclosure_diff`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from pipeline.config import Config, load_config
from pipeline.disclosure.build import build_disclosure
from pipeline.ingest import landing_files, sha256_of
from pipeline.user_errors import UserError


class DisclosureFileError(UserError):
    """The file given is not a disclosure.json that `verify` can read."""


@dataclass(frozen=True)
class Recorded:
    """What a disclosure.json records about how it was made, and the whole document."""

    path: Path
    document: dict
    inputs: list[dict]
    code_version: str
    config_sha256: str
    start: date  # the disclosure's period
    end: date


RECORDED_KEYS = ("code_version", "config_sha256", "period", "inputs")


def read_recorded(path: Path) -> Recorded:
    """The disclosure.json at `path`; DisclosureFileError names what is wrong with it."""
    expected = "expected the disclosure.json of a wattprint report (reports/<YYYY-MM>/)"
    try:
        doc = json.loads(path.read_bytes())
    except OSError as e:
        raise DisclosureFileError(f"{path}: cannot be read ({e.strerror}): {expected}") from e
    except ValueError as e:
        raise DisclosureFileError(f"{path}: not JSON ({e}): {expected}") from e
    missing = [k for k in RECORDED_KEYS if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise DisclosureFileError(f"{path}: no {', '.join(missing)}: {expected}")
    inputs = doc["inputs"] if isinstance(doc["inputs"], list) else [None]
    for i, f in enumerate(inputs):
        if not (isinstance(f, dict) and all(isinstance(f.get(k), str) for k in ("path", "sha256"))):
            raise DisclosureFileError(f"{path}: inputs[{i}] has no path and sha256: {expected}")
    try:
        start, end = (date.fromisoformat(doc["period"][k]) for k in ("start", "end"))
    except (KeyError, TypeError, ValueError) as e:
        raise DisclosureFileError(
            f"{path}: period is not {{start, end}} as YYYY-MM-DD: {expected}"
        ) from e
    return Recorded(
        path, doc, inputs, str(doc["code_version"]), str(doc["config_sha256"]), start, end
    )


@dataclass(frozen=True)
class InputProblem:
    """A recorded input file (or the config file) missing or not what was recorded."""

    path: str
    problem: str  # "missing" or "changed"
    detail: str

    def line(self) -> str:
        return f"{self.problem}: {self.path}: {self.detail}"


def input_problems(recorded: Recorded, cfg: Config) -> list[InputProblem]:
    """Each recorded input file missing from the landing folder or changed, in manifest order."""
    landing = cfg.landing_dir.resolve()
    problems = []
    for i, f in enumerate(recorded.inputs):
        path = (landing / f["path"]).resolve()
        if not path.is_relative_to(landing):
            raise DisclosureFileError(
                f"{recorded.path}: inputs[{i}].path {f['path']!r} is outside the landing folder: "
                "expected a path relative to paths.landing"
            )
        if not path.is_file():
            detail = f"not in the landing folder {landing} (paths.landing)"
            problems.append(InputProblem(f["path"], "missing", detail))
        elif (sha := sha256_of(path)) != f["sha256"]:
            detail = f"SHA-256 {sha} differs from the recorded {f['sha256']} ({path})"
            problems.append(InputProblem(f["path"], "changed", detail))
    return problems


def config_problem(recorded: Recorded, cfg: Config, config: Path) -> InputProblem | None:
    """The config file changed since the disclosure was made, or None."""
    if cfg.config_sha256 == recorded.config_sha256:
        return None
    detail = (
        f"the config's SHA-256 {cfg.config_sha256} differs from the recorded config_sha256 "
        f"{recorded.config_sha256}"
    )
    return InputProblem(str(config), "changed", detail)


def unlisted_files(recorded: Recorded, cfg: Config) -> list[str]:
    """Landing files the manifest does not name (left out of the recompute)."""
    listed = {f["path"] for f in recorded.inputs}
    if not cfg.landing_dir.is_dir():
        return []
    rels = (p.relative_to(cfg.landing_dir).as_posix() for p in landing_files(cfg.landing_dir))
    return [r for r in rels if r not in listed]


def recompute_days(recorded: Recorded) -> tuple[date, date]:
    """The days to compute: the period, and before it the part of the previous period the
    disclosure compared with (its totals, or the first day of data it found there), so that the
    recompute's warehouse holds the same data span as the original's where the period reads it."""
    previous = recorded.document.get("previous") or {}
    if previous.get("totals") is not None:
        return date.fromisoformat(previous["period"]["start"]), recorded.end
    # comparison.py: "the previous period A..B is only partly computed (data from D)"
    found = re.search(r"data from (\d{4}-\d{2}-\d{2})", previous.get("reason") or "")
    return (date.fromisoformat(found[1]) if found else recorded.start), recorded.end


def _place(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:  # another disk, or a file system without hard links
        shutil.copy2(source, dest)


def scratch_config(config: Path, cfg: Config, scratch: Path) -> Path:
    """A copy of the config file whose landing folder, warehouse and reports are in `scratch`;
    no lake or shared catalog of its own (the warehouse's side lake instead) and no delivery;
    the instruments' profiles read where the original names them."""
    data = yaml.safe_load(config.read_bytes())
    data["paths"] = {
        "landing": str(scratch / "landing"),
        "warehouse": str(scratch / "warehouse" / "wattprint.duckdb"),
        "reports": str(scratch / "reports"),
    }
    data.pop("delivery", None)
    for entry, inst in zip(data.get("instruments") or [], cfg.instruments, strict=True):
        if inst.hourly_profile is not None:
            entry["hourly_profile"] = str(cfg.resolve(inst.hourly_profile).resolve())
    path = scratch / "wattprint.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def recompute(recorded: Recorded, config: Path, cfg: Config) -> dict:
    """The disclosure of the recorded period, as JSON, computed afresh from the recorded input
    files alone in a temporary scratch folder (removed afterwards)."""
    from pipeline import warehouse
    from pipeline.orchestrate import run_pipeline

    with tempfile.TemporaryDirectory(prefix="wattprint-verify-") as tmp:
        root = Path(tmp)
        (root / "landing").mkdir()
        for f in recorded.inputs:
            _place(cfg.landing_dir / f["path"], root / "landing" / f["path"])
        copy = scratch_config(config, cfg, root)
        first, last = recompute_days(recorded)
        run_pipeline(copy, first, last, report=False)  # a failed run raises
        scratch_cfg = load_config(copy)
        with warehouse.connect(scratch_cfg.warehouse_path, read_only=True) as con:
            d = build_disclosure(con, scratch_cfg, recorded.start, recorded.end)
        return json.loads(d.model_dump_json())
