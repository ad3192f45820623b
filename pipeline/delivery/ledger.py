"""The delivery ledger `<reports_dir>/.delivery-ledger.json`: per period and channel, what was
delivered (PDF SHA-256, figures fingerprint, which kind of mail) and when; read and written under
a lock. The figures an e-mail carried are kept beside it, in
`<reports_dir>/.delivered-figures/<period>/<fingerprint>.json`, so that a revision can say what
changed."""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.atomic import write_atomic
from pipeline.delivery.figures import Figure
from pipeline.delivery.report_files import Report, legacy_content_sha256
from pipeline.delivery.results import DeliveryError

LEDGER_NAME = ".delivery-ledger.json"
FIGURES_DIR = ".delivered-figures"
# entries without it hold the fingerprint of disclosure.json as a whole (before figures were
# rounded as printed): compared as such, so an upgrade does not mail an unchanged report again
FIGURES_VERSION = 2


@contextmanager
def locked(ledger: Path) -> Iterator[None]:
    """One delivery at a time per ledger (Dagster may run two partitions at once)."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with open(ledger.with_suffix(".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_ledger(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """{period: {channel key: entry}}; an absent file is an empty ledger."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw)
        periods = data["periods"]
        if not isinstance(periods, dict) or not all(isinstance(v, dict) for v in periods.values()):
            raise ValueError("periods is not a mapping of periods to channels")
    except (ValueError, KeyError, TypeError) as e:
        raise DeliveryError(
            f"{path}: not a wattprint delivery ledger ({e}); repair it, or remove it to deliver "
            "every report again",
            permanent=True,
        ) from e
    return periods


def save_ledger(path: Path, periods: Mapping[str, Any]) -> None:
    text = json.dumps({"version": 1, "periods": periods}, indent=2, sort_keys=True) + "\n"
    write_atomic(path, text.encode("utf-8"))


def email_channel(recipients: Sequence[str]) -> str:
    return "email:" + ",".join(sorted({r.lower() for r in recipients}))


def publish_channel(publish_dir: Path) -> str:
    return f"publish:{publish_dir}"


def unchanged(entry: Mapping[str, Any] | None, report: Report) -> str | None:
    """Why `report` need not be sent again to a channel whose ledger entry is `entry`."""
    if entry is None:
        return None
    when = entry.get("delivered_at", "?")
    if entry.get("pdf_sha256") == report.pdf_sha256:
        return f"unchanged since its delivery at {when} (same PDF), not resent"
    legacy = entry.get("figures_version") != FIGURES_VERSION
    fingerprint = legacy_content_sha256(report.disclosure) if legacy else report.content_sha256
    if entry.get("content_sha256") == fingerprint:
        return (
            f"unchanged since its delivery at {when} (same figures; only the PDF was "
            "re-rendered), not resent"
        )
    return None


def _figures_path(reports_dir: Path, period: str, sha256: str) -> Path:
    return reports_dir / FIGURES_DIR / period / f"{sha256}.json"


def save_figures(reports_dir: Path, report: Report) -> None:
    """Keep the figures of `report` as delivered (once per fingerprint)."""
    path = _figures_path(reports_dir, report.period, report.content_sha256)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(report.figures, indent=0).encode("utf-8"))


def delivered_figures(
    reports_dir: Path, period: str, entry: Mapping[str, Any] | None
) -> dict[str, Figure] | None:
    """The figures the delivery `entry` carried; None when they were not kept."""
    sha256 = str(entry.get("content_sha256")) if entry else ""
    if entry is None or entry.get("figures_version") != FIGURES_VERSION:
        return None
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    try:
        return json.loads(_figures_path(reports_dir, period, sha256).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def intact(published_pdf: Path, entry: Mapping[str, Any] | None) -> bool:
    """The publish folder still holds the PDF the ledger says was copied there."""
    try:
        data = published_pdf.read_bytes()
    except OSError:
        return False
    return entry is not None and hashlib.sha256(data).hexdigest() == entry.get("pdf_sha256")


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
