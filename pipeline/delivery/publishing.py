"""The publish-folder channel: the report's files copied into a folder, each atomically."""

from __future__ import annotations

from pathlib import Path

from pipeline.atomic import write_atomic
from pipeline.delivery.report_files import Report
from pipeline.delivery.results import DeliveryError
from pipeline.report.render import TABLES_DIR_NAME


def publish(report: Report, dest: Path) -> None:
    """Copy the report's files into `dest`, each replaced atomically (the PDF last); CSVs under
    dest/tables/ that the report no longer has are removed."""
    if dest.resolve() == report.folder.resolve():
        raise DeliveryError(
            f"publish folder {dest} is the report folder itself; set delivery.publish_dir to "
            "another folder",
            permanent=True,
        )
    try:
        for rel, data in report.files.items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dest / rel, data)
        tables = dest / TABLES_DIR_NAME
        if tables.is_dir():
            for p in tables.rglob("*"):
                if p.is_file() and p.relative_to(dest).as_posix() not in report.files:
                    p.unlink()
    except OSError as e:
        where = e.filename or dest
        raise DeliveryError(
            f"publishing report {report.period} to {dest} failed: {where}: {e.strerror or e}",
            permanent=isinstance(e, PermissionError),
        ) from e
