"""Landing-file readers: detect a file's format from its content and read it into its raw table.

    from pipeline.readers import detect_format, read_file
    result = read_file(Path("landing/gpu-node-07/smi.csv"), ReadContext(cfg.timezone_for_path))

Detection never trusts the file name: landing folders collect `.log`, `.txt` and `.csv` files
whose names say little, so each format is recognised by its content. A file starting with the
Parquet magic bytes is matched against the Parquet formats by its column names; any other file is
read as text and matched by its first lines (a CSV header, a sacct header after any comment block,
Prometheus `# TYPE` lines, or the keys near the start of a JSON document).

A text format module has `FORMAT`, `TABLE`, `sniff(head_lines)` and `read(TextFile, ctx)`; a
Parquet format module also has `CONTAINER = "parquet"`, and its `sniff(column_names)` and
`read(path, ctx)` take the file's column names and path.

The format modules sit in folders by what they fill: `telemetry/` (raw_gpu_samples),
`scheduler/` (raw_slurm_jobs, raw_k8s_pods), `billing/` (raw_billing), `grid/`
(raw_grid_intensity), `serving/` (raw_serving; per-request logs: raw_requests), `power/`
(raw_node_power) and `declared/` (raw_declared_usage). What they share (`base`, `_text`,
`_csv*`, `_parquet`) and this registry stay here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pipeline.readers import _parquet, _text
from pipeline.readers.base import (
    Problem,
    ReadContext,
    ReadResult,
    UnreadableFileError,
)
from pipeline.readers.billing import aws_cur, aws_cur2, azure_cost, focus, focus_parquet, oci_cost
from pipeline.readers.declared import declared_usage
from pipeline.readers.grid import electricitymaps, gb_carbon_intensity, grid_csv
from pipeline.readers.power import node_power
from pipeline.readers.scheduler import k8s_pods, k8s_pods_csv, slurm_sacct
from pipeline.readers.serving import requests_csv, requests_jsonl
from pipeline.readers.serving import serving as serving_csv
from pipeline.readers.telemetry import (
    dcgm_prometheus,
    nvidia_smi,
    prometheus_json,
    telemetry_parquet,
)

__all__ = [
    "FORMATS",
    "READER_MODULES",
    "Format",
    "Problem",
    "ReadContext",
    "ReadResult",
    "UnreadableFileError",
    "detect_format",
    "format_names",
    "read_file",
]


@dataclass(frozen=True)
class Format:
    name: str
    table: str
    # text: first lines of the file → is it this format?  parquet: column names → is it?
    sniff: Callable[[list[str]], bool]
    # text: (TextFile, ctx) → result;  parquet: (Path, ctx) → result
    read: Callable[[Any, ReadContext], ReadResult]
    container: str = "text"  # "text" or "parquet"


def _format(module: ModuleType) -> Format:
    return Format(
        module.FORMAT,
        module.TABLE,
        module.sniff,
        module.read,
        getattr(module, "CONTAINER", "text"),
    )


# Tried in order; the first whose sniff accepts the file reads it. Each sniff keys on header names
# the others never contain, so the order only matters for deliberately odd files.
READER_MODULES: tuple[ModuleType, ...] = (
    nvidia_smi,
    slurm_sacct,
    focus,
    electricitymaps,
    serving_csv,
    requests_csv,
    node_power,
    grid_csv,
    gb_carbon_intensity,
    aws_cur,
    aws_cur2,
    azure_cost,
    oci_cost,
    dcgm_prometheus,
    prometheus_json,
    focus_parquet,
    telemetry_parquet,
    k8s_pods,
    k8s_pods_csv,
    requests_jsonl,
    declared_usage,
)
FORMATS: tuple[Format, ...] = tuple(_format(m) for m in READER_MODULES)


def format_names() -> list[str]:
    return [f.name for f in FORMATS]


def _detect_parquet(path: Path) -> Format:
    names = _parquet.columns(path)
    candidates = [f for f in FORMATS if f.container == "parquet"]
    for fmt in candidates:
        if fmt.sniff(names):
            return fmt
    tried = ", ".join(f.name for f in candidates) or "none"
    raise UnreadableFileError(
        f"{path}: unrecognised Parquet file (columns {', '.join(names[:12])}"
        f"{'...' if len(names) > 12 else ''}); tried {tried}"
    )


def _detect(source: _text.TextFile) -> Format:
    head = source.head()
    for fmt in FORMATS:
        if fmt.container == "text" and fmt.sniff(head):
            return fmt
    tried = ", ".join(f.name for f in FORMATS if f.container == "text")
    found = _text.first_content_line(head)
    if found is None:
        what = "the file is empty" if not source.lines else "the file has only blank lines"
    else:
        what = f"line {found[0] + 1} starts {found[1][:120]!r}"
    raise UnreadableFileError(f"{source.path}: unrecognised file format ({what}); tried {tried}")


def detect_format(path: Path) -> str:
    """The format name of the file at `path`, judged from its first lines or Parquet columns."""
    path = Path(path)
    if _parquet.is_parquet(path):
        return _detect_parquet(path).name
    return _detect(_text.load_head(path)).name


# ReadContext is frozen, so one shared default instance is safe.
DEFAULT_CONTEXT = ReadContext()


def read_file(path: Path, ctx: ReadContext = DEFAULT_CONTEXT) -> ReadResult:
    """Read one landing file into its raw table's columns, with its quarantined rows.

    Raises UnreadableFileError (naming the file) when the file cannot be opened or its format is
    not recognised; bad rows never raise, they come back in `problems`.
    """
    path = Path(path)
    if _parquet.is_parquet(path):
        return _detect_parquet(path).read(path, ctx)
    source = _text.load(path)
    return _detect(source).read(source, ctx)
