"""What `wattprint validate` finds in landing files, without the command line: each file read as
ingest would read it (format detected, rows screened for plausibility), nothing written.

    files = expand([Path("landing")])          # folders walked as ingest walks the landing folder
    checked = [check_file(f, ctx, limits) for f in files]

A folder is walked recursively with ingest's own rules (every regular file, hidden ones skipped),
so `validate landing/` sees exactly the files `wattprint run` would ingest; a file's host and site
come from its folders, as at ingest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.plausibility import Limits, screen
from pipeline.readers import ReadContext, UnreadableFileError, read_file
from pipeline.readers._text import NOT_TEXT_REASON

GPU_TABLE = "raw_gpu_samples"
# single-byte encodings a file that is not UTF-8 is most often in, tried in this order
LEGACY_ENCODINGS = ("cp1252", "latin-1")


class PathNotFound(ValueError):
    """A path given to validate does not exist."""


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders as every regular file under them (hidden ones skipped), in order;
    PathNotFound for a path that does not exist."""
    from pipeline.ingest import landing_files

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(landing_files(p))
        elif p.exists():
            files.append(p)
        else:
            raise PathNotFound(f"{p}: no such file or folder; expected a landing file or folder")
    return files


@dataclass
class FileCheck:
    """One file's outcome. `error`: why it could not be read at all (then nothing is accepted)."""

    path: Path
    format: str | None = None
    table: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    samples: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def readable(self) -> bool:
        return self.error is None


def encoding_hint(path: Path) -> str | None:
    """For a file with lines that are not UTF-8: the encoding they are in, and what to do. Lines
    with NUL bytes (a torn write) are damage, not an encoding, and get no hint."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError:
        return None
    utf8, other = 0, []
    for line in lines:
        if b"\x00" in line or line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other.append(line)
    if not other:
        return None
    if utf8:
        return (
            f"{path}: {len(other)} line(s) are not UTF-8 while {utf8} other non-ASCII line(s) "
            "are: the file mixes encodings (two tools appending to it?); re-export it as UTF-8"
        )
    for codec in LEGACY_ENCODINGS:
        try:
            text = b"\n".join(other).decode(codec)
        except UnicodeDecodeError:
            continue
        example = next(c for c in text if ord(c) >= 0x80)
        return (
            f"{path}: {len(other)} line(s) are not UTF-8 but read as {codec} (e.g. {example!r}); "
            f"save the file as UTF-8 (iconv -f {codec} -t utf-8) and validate again"
        )
    return None


def check_file(path: Path, ctx: ReadContext, limits: Limits, show: int = 5) -> FileCheck:
    """Read `path` as ingest would and count what it would accept and quarantine."""
    try:
        r = screen(read_file(path, ctx), limits)
    except UnreadableFileError as e:
        return FileCheck(path, error=str(e))
    not_text = any(p.reason.endswith(NOT_TEXT_REASON) for p in r.problems)
    return FileCheck(
        path,
        format=r.format,
        table=r.table,
        rows_read=r.rows_read,
        rows_accepted=r.rows_accepted,
        rows_quarantined=r.rows_quarantined,
        problems=[{"line": p.line, "reason": p.reason} for p in r.problems[:show]],
        hint=encoding_hint(path) if not_text else None,
        samples=r.frame if r.table == GPU_TABLE else None,
    )


def host_rows(
    checks: Iterable[FileCheck], gpus_per_host: Mapping[str, int] | None
) -> list[dict[str, Any]]:
    """GPU telemetry per host over `checks`' files: GPUs seen against the inventory's count,
    first and last sample (UTC), cadence (median seconds between a GPU's samples), samples."""
    from pipeline.readers.telemetry.telemetry_hosts import telemetry_hosts

    frames = [c.samples for c in checks if c.samples is not None]
    if not frames:
        return []
    return telemetry_hosts(frames, gpus_per_host).to_dicts()
