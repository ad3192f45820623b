"""The delivery ledger `<reports_dir>/.delivery-ledger.json`: per period and channel, what was
delivered (PDF SHA-256, figures fingerprint) and when; read and written under a lock."""

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
from pipeline.delivery.report_files import Report
from pipeline.delivery.results import DeliveryError

LEDGER_NAME = ".delivery-ledger.json"


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
    if entry.get("content_sha256") == report.content_sha256:
        return (
            f"unchanged since its delivery at {when} (same figures; only the PDF was "
            "re-rendered), not resent"
        )
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
