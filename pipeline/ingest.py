"""Ingest the landing folder into the raw tables, file by file, keeping a manifest.

An unchanged file is skipped: the same size and modification time as when it was read (not read
again), or else the same SHA-256; a changed one replaces its rows; each file is one
transaction. A file no reader recognises is kept in the manifest as `unreadable` with one
quarantine row (line 0) saying why, so nothing that landed goes unaccounted for.

Each file ingested (or replaced) reports the UTC days its rows can change (`days_touched`): those
of its new rows and, for a changed file, those of the rows it replaced, read before they are
deleted (pipeline/days_touched.py). The late-data sensor recomputes those days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.days_touched import GPU_TABLE, days_touched, gpu_days_touched
from pipeline.plausibility import Limits, screen
from pipeline.readers import UnreadableFileError, read_file
from pipeline.user_errors import UserError
from pipeline.warehouse import insert_frame, lake, run, transaction

RAW_TABLES = (
    "raw_gpu_samples",
    "raw_slurm_jobs",
    "raw_serving",
    "raw_requests",
    "raw_billing",
    "raw_grid_intensity",
    "raw_node_power",
    "raw_k8s_pods",
    "raw_declared_usage",
)
# the raw tables in the warehouse; GPU samples are in the telemetry lake
WAREHOUSE_RAW_TABLES = tuple(t for t in RAW_TABLES if t != "raw_gpu_samples")
TIME_COLUMNS = {
    "raw_gpu_samples": "ts_utc",
    "raw_slurm_jobs": "start_utc",
    "raw_serving": "hour_utc",
    "raw_requests": "ts_utc",
    "raw_billing": "charge_period_start",
    "raw_grid_intensity": "datetime_utc",
    "raw_node_power": "ts_utc",
    "raw_k8s_pods": "start_utc",  # NULL for pending pods: the manifest spans started ones
    "raw_declared_usage": "start_utc",
}
# where a row's span ends in another column: the manifest's max_ts_utc (a declared run feeds
# every month it spans)
END_COLUMNS = {"raw_declared_usage": "end_utc"}


@dataclass
class FileOutcome:
    path: str
    format: str
    status: str  # "ingested", "unchanged", "unreadable"
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    message: str = ""
    days_touched: list[date] = field(default_factory=list)  # UTC days whose results may change
    table: str = ""  # the raw table its rows went to


@dataclass
class IngestSummary:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def days_touched(self) -> list[date]:
        """Every UTC day some ingested or replaced file can change, in order."""
        return sorted({d for f in self.files for d in f.days_touched})


def landing_files(landing: Path) -> list[Path]:
    """Every regular file under the landing folder, hidden ones excepted, in a stable order."""
    if not landing.is_dir():
        what = "is not a folder" if landing.exists() else "does not exist"
        raise UserError(
            f"{landing} (paths.landing) {what}: expected the landing folder of the input files "
            "(telemetry/<host>/, slurm/<site>/, billing/, grid/ ...); create it or correct "
            "paths.landing"
        )
    return sorted(
        p
        for p in landing.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(landing).parts)
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


Known = tuple[str, int, int | None, str | None]  # (sha256, size_bytes, mtime_ns, reader_sha256)


def _known(con: duckdb.DuckDBPyConnection, rel: str) -> Known | None:
    """What the manifest recorded for `rel`, or None if never read."""
    rows = run(con, "select_manifest_sha", {"source_path": rel}).fetchall()
    return rows[0] if rows else None


def manifest_index(con: duckdb.DuckDBPyConnection) -> dict[str, Known]:
    """What the manifest recorded for every landing file, in one query."""
    return {r[0]: r[1:] for r in run(con, "select_manifest_shas").fetchall()}


def _replace_file_rows(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    manifest: dict,
    frame: pl.DataFrame | None,
    table: str | None,
    quarantine: pl.DataFrame,
    replaces: bool,
    refresh: bool = True,
) -> None:
    """One transaction: the file's old rows out, its new rows, quarantine and manifest in. GPU
    samples go to the telemetry lake: written before the transaction lists them, and the old
    files removed after it forgets them (pipeline/warehouse/lake.py)."""
    store = lake.store_of(con)
    new_files = None
    if frame is not None and table == GPU_TABLE:
        new_files = lake.write(store, frame.with_columns(source_path=pl.lit(rel)))
    old_files = run(con, "select_lake_files_source", {"source_path": rel}).fetchall()
    try:
        with transaction(con):
            # a file never read before has no rows to remove (each delete scans its table)
            for t in (*WAREHOUSE_RAW_TABLES, "lake_files", "quarantine") if replaces else ():
                run(con, f"delete_{t}_source", {"source_path": rel})
            if new_files is not None:
                insert_frame(con, "lake_files", new_files)
            elif frame is not None and table is not None:
                insert_frame(con, table, frame.with_columns(source_path=pl.lit(rel)))
            insert_frame(con, "quarantine", quarantine.with_columns(source_path=pl.lit(rel)))
            run(con, "upsert_ingest_manifest", manifest)
    except BaseException:
        if new_files is not None:
            store.remove(new_files.get_column("path").to_list())
        raise
    if replaces and old_files:
        store.remove([r[0] for r in old_files])
        lake.refresh_view(con, store)  # the view must not list files that are gone
    elif new_files is not None and refresh:
        lake.refresh_view(con, store)


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    path: Path,
    force: bool = False,
    until: date | None = None,
    gpu_days_later: bool = False,
    limits: Limits | None = None,
    recorded: dict[str, Known] | None = None,
) -> FileOutcome:
    """Read one landing file into its raw table (replacing its earlier rows); `until` (default
    today, UTC) bounds the days touched by rows with no end. With `gpu_days_later` the days the
    new GPU samples touch are left to the caller (`gpu_days_touched` over all files at once).
    Rows outside their plausible range (pipeline/plausibility.py; `limits` from the config's
    inventory unless given) are quarantined with the readers' own. `recorded`: what the manifest
    held before a batch (`manifest_index`), instead of a lookup per file."""
    rel = path.relative_to(cfg.landing_dir).as_posix()
    stat = path.stat()
    known = recorded.get(rel) if recorded is not None else _known(con, rel)
    # Read with another inventory, time zone or field list: read again, whatever the bytes.
    force = force or (known is not None and known[3] != cfg.reader_sha256)
    # Same size and modification time as when it was read: unchanged without reading it again,
    # so a nightly run's cost does not grow with the history in the landing folder.
    if not force and known is not None and known[1:3] == (stat.st_size, stat.st_mtime_ns):
        return FileOutcome(rel, "", "unchanged")
    sha = sha256_of(path)
    if not force and known is not None and known[0] == sha:
        run(con, "update_manifest_mtime", {"source_path": rel, "mtime_ns": stat.st_mtime_ns})
        return FileOutcome(rel, "", "unchanged")
    until = until or datetime.now(UTC).date()
    # the days the rows about to be replaced fed, read before they are deleted
    if known is not None and gpu_days_later:
        lake.refresh_view(con)  # files this batch added are neighbours of the rows replaced
    old_days = days_touched(con, rel, RAW_TABLES, until) if known is not None else set()
    manifest = {
        "source_path": rel,
        "sha256": sha,
        "size_bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "reader_sha256": cfg.reader_sha256,
        "ingested_at": datetime.now(UTC).replace(tzinfo=None),
    }
    try:
        result = read_file(path, cfg.read_context())
        result = screen(result, limits or Limits.from_config(cfg))
    except UnreadableFileError as e:
        q = pl.DataFrame(
            {"source_path": [rel], "line": [0], "reason": [str(e)], "raw_text": [None]},
            schema={
                "source_path": pl.String,
                "line": pl.Int64,
                "reason": pl.String,
                "raw_text": pl.String,
            },
        )
        manifest |= {
            "format": "unreadable",
            "target_table": "",
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_quarantined": 0,
            "min_ts_utc": None,
            "max_ts_utc": None,
        }
        _replace_file_rows(con, rel, manifest, None, None, q, replaces=known is not None)
        return FileOutcome(
            rel, "unreadable", "unreadable", message=str(e), days_touched=sorted(old_days)
        )
    ts = result.frame.get_column(TIME_COLUMNS[result.table]) if result.frame.height else None
    last = result.frame.get_column(END_COLUMNS.get(result.table, TIME_COLUMNS[result.table]))
    manifest |= {
        "format": result.format,
        "target_table": result.table,
        "rows_read": result.rows_read,
        "rows_accepted": result.rows_accepted,
        "rows_quarantined": result.rows_quarantined,
        "min_ts_utc": ts.min() if ts is not None else None,
        "max_ts_utc": last.max() if ts is not None else None,
    }
    _replace_file_rows(
        con,
        rel,
        manifest,
        result.frame,
        result.table,
        result.quarantine_frame(),
        replaces=known is not None,
        refresh=not gpu_days_later,  # a batch opens its new files to queries once, at its end
    )
    later = gpu_days_later and result.table == GPU_TABLE
    new_days = set() if later else days_touched(con, rel, (result.table,), until)
    first = f"; first problem {result.problems[0]}" if result.problems else ""
    return FileOutcome(
        rel,
        result.format,
        "ingested",
        result.rows_read,
        result.rows_accepted,
        result.rows_quarantined,
        message=first,
        days_touched=sorted(old_days | new_days),
        table=result.table,
    )


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> IngestSummary:
    """Ingest every new or changed landing file; files removed from landing keep their rows."""
    summary = IngestSummary()
    limits = Limits.from_config(cfg)
    store = lake.locate(
        con, cfg.lake_root
    )  # the config's lake; refuses another than the one in use
    lake.collect_garbage(con, store)  # files a crashed ingest wrote, never listed
    known = manifest_index(con)  # a landing path occurs once per batch: no entry goes stale
    for path in landing_files(cfg.landing_dir):
        outcome = ingest_file(con, cfg, path, gpu_days_later=True, limits=limits, recorded=known)
        summary.files.append(outcome)
        if on_file:
            on_file(outcome)
    lake.refresh_view(con, store)
    telemetry = [f for f in summary.files if f.status == "ingested" and f.table == GPU_TABLE]
    new_days = gpu_days_touched(con, [f.path for f in telemetry])
    for f in telemetry:
        f.days_touched = sorted(set(f.days_touched) | new_days.get(f.path, set()))
    return summary
