"""The publish-folder channel: the report's files copied into `<publish_dir>/<YYYY-MM>`, as a set
(`atomic.replace_folder`: the period becomes a link switched in one step onto a complete copy),
so a reader of the share sees the old set or the new one, never a mix. On a share that takes no
symlinks (some SMB/CIFS mounts) each file is replaced atomically instead, the PDF last."""

from __future__ import annotations

from pathlib import Path

from pipeline.atomic import LinksUnsupported, replace_folder, write_atomic
from pipeline.delivery.report_files import SET_FOLDERS, Report
from pipeline.delivery.results import DeliveryError


def _copy_each(report: Report, dest: Path) -> None:
    """Each file replaced atomically (the PDF last); files of tables/ and focus/ that the report no
    longer has removed."""
    for rel, data in report.files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(dest / rel, data)
    for folder_name in SET_FOLDERS:
        if (dest / folder_name).is_dir():
            for p in (dest / folder_name).rglob("*"):
                if p.is_file() and p.relative_to(dest).as_posix() not in report.files:
                    p.unlink()


def publish(report: Report, dest: Path) -> None:
    """Make `dest` hold exactly the report's files, as a set where the share allows it."""
    if dest.resolve() == report.folder.resolve():
        raise DeliveryError(
            f"publish folder {dest} is the report folder itself; set delivery.publish_dir to "
            "another folder",
            permanent=True,
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            replace_folder(dest, report.files)
        except LinksUnsupported:
            _copy_each(report, dest)
    except OSError as e:
        where = e.filename or dest
        raise DeliveryError(
            f"publishing report {report.period} to {dest} failed: {where}: {e.strerror or e}",
            permanent=isinstance(e, PermissionError),
        ) from e
