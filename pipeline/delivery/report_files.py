"""A period's report folder as delivery reads it: every file's bytes (one version of the set, read
through the period's link once), disclosure.json checked against the model that wrote it, the
fingerprint of its figures and whether it covers the whole month."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.delivery.figures import Figure, figures_sha256, published_figures
from pipeline.delivery.results import DeliveryError
from pipeline.disclosure.model import Disclosure
from pipeline.disclosure.publication import month_bounds
from pipeline.exports.focus import FOLDER as FOCUS_FOLDER
from pipeline.exports.model_docs import FOLDER as MODELS_FOLDER
from pipeline.report.render import OUTPUT_NAMES, TABLES_DIR_NAME

# the report set's folders besides its top-level files: the CSV tables, the FOCUS export and the
# per-model documents (GPAI form energy section, model card, SPDX)
SET_FOLDERS = (TABLES_DIR_NAME, FOCUS_FOLDER, MODELS_FOLDER)
# fields of disclosure.json that say when and by what a report was made, not what it reports
PROVENANCE_KEYS = ("generated_at", "code_version", "config_sha256")


@dataclass(frozen=True)
class Report:
    """One period's report folder as read from disk, every file's bytes held (what is hashed is
    what is sent)."""

    period: str
    folder: Path
    files: dict[str, bytes]  # path relative to the folder -> bytes; report.pdf last
    disclosure: dict[str, Any]

    @property
    def pdf(self) -> bytes:
        return self.files[OUTPUT_NAMES["pdf"]]

    @cached_property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @cached_property
    def figures(self) -> dict[str, Figure]:
        return published_figures(self.disclosure)

    @cached_property
    def content_sha256(self) -> str:
        return figures_sha256(self.figures)

    @property
    def days(self) -> tuple[int, int]:
        """(days the report covers, days of its month)."""
        first, last = month_bounds(self.period)
        p = self.disclosure["period"]
        start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        return (end - start).days + 1, (last - first).days + 1

    @property
    def month_complete(self) -> bool:
        """The report runs to the last day of its month (its data does)."""
        return self.disclosure["period"]["end"] == month_bounds(self.period)[1].isoformat()


def content_sha256(disclosure: Mapping[str, Any]) -> str:
    """Fingerprint of a report's published figures (`figures.published_figures`)."""
    return figures_sha256(published_figures(disclosure))


def legacy_content_sha256(disclosure: Mapping[str, Any]) -> str:
    """The fingerprint ledgers held before figures were rounded as printed: disclosure.json
    without its provenance stamps, as canonical JSON (sorted keys)."""
    body = {k: v for k, v in disclosure.items() if k not in PROVENANCE_KEYS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_period(period: str) -> str:
    try:
        month_bounds(period)
    except ValueError as e:
        raise DeliveryError(str(e), permanent=True) from None
    return period


def read_report(folder: Path, period: str) -> Report:
    """The report files of `folder` (written by `wattprint report` or the disclosure_report
    asset): disclosure.json, report.html, report.pdf, and tables/ and focus/ where they exist.
    The period's link is resolved once, so a set switched meanwhile is not read half old, half
    new."""
    folder = Path(folder)
    base = folder.resolve()
    if not (base / OUTPUT_NAMES["pdf"]).is_file():
        raise DeliveryError(
            f"no report for {period}: {folder / OUTPUT_NAMES['pdf']} does not exist; "
            f"write it first (wattprint report --period {period})",
            permanent=True,
        )
    files: dict[str, bytes] = {}
    for folder_name in SET_FOLDERS:
        sub = base / folder_name
        if sub.is_dir():
            for p in sorted(sub.rglob("*")):
                if p.is_file() and not p.is_symlink():
                    files[p.relative_to(base).as_posix()] = p.read_bytes()
    for kind in ("html", "json", "pdf"):
        path = folder / OUTPUT_NAMES[kind]
        try:
            files[OUTPUT_NAMES[kind]] = (base / OUTPUT_NAMES[kind]).read_bytes()
        except OSError as e:
            raise DeliveryError(
                f"report {period} is incomplete: cannot read {path}: {e.strerror}", permanent=True
            ) from e
    json_path = folder / OUTPUT_NAMES["json"]
    try:
        disclosure = json.loads(files[OUTPUT_NAMES["json"]])
    except (ValueError, UnicodeDecodeError) as e:
        raise DeliveryError(f"{json_path}: not valid JSON: {e}", permanent=True) from e
    if not isinstance(disclosure, dict):
        raise DeliveryError(f"{json_path}: expected a JSON object at the top level", True)
    _check_disclosure(disclosure, json_path)
    return Report(period, folder, files, disclosure)


def _check_disclosure(disclosure: dict[str, Any], json_path: Path) -> None:
    """disclosure.json against the model that wrote it; the first problem named by its path."""
    try:
        Disclosure.model_validate(disclosure)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        if err["type"] == "missing":
            raise DeliveryError(f"{json_path}: has no {where}", permanent=True) from None
        kind = err["type"]
        expected = (
            "a YYYY-MM-DD date"
            if kind.startswith("date")
            else "a number"
            if kind.startswith(("float", "int"))
            else err["msg"]
        )
        raise DeliveryError(
            f"{json_path}: {where} is {err['input']!r}, not {expected}", permanent=True
        ) from None
