"""Landing-file readers: detect a file's format from its content and read it into its raw table.

    from pipeline.readers import detect_format, read_file
    result = read_file(Path("landing/gpu-node-07/smi.csv"), ReadContext(cfg.timezone_for_path))

Detection never trusts the file name: landing folders collect `.log`, `.txt` and `.csv` files
whose names say little, so each format is recognised by its header (or, for sacct, by a header
line after any comment block).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.readers import (
    _text,
    electricitymaps,
    focus,
    node_power,
    nvidia_smi,
    serving,
    slurm_sacct,
)
from pipeline.readers.base import (
    Problem,
    ReadContext,
    ReadResult,
    UnreadableFileError,
)

__all__ = [
    "FORMATS",
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
    sniff: Callable[[list[str]], bool]  # first lines of the file → is it this format?
    read: Callable[[_text.TextFile, ReadContext], ReadResult]


# Tried in order; the first whose sniff accepts the file reads it. Each sniff keys on header names
# the others never contain, so the order only matters for deliberately odd files.
FORMATS: tuple[Format, ...] = tuple(
    Format(m.FORMAT, m.TABLE, m.sniff, m.read)
    for m in (nvidia_smi, slurm_sacct, focus, electricitymaps, serving, node_power)
)


def format_names() -> list[str]:
    return [f.name for f in FORMATS]


def _detect(source: _text.TextFile) -> Format:
    head = source.head()
    for fmt in FORMATS:
        if fmt.sniff(head):
            return fmt
    tried = ", ".join(format_names())
    found = _text.first_content_line(head)
    if found is None:
        what = "the file is empty" if not source.lines else "the file has only blank lines"
    else:
        what = f"line {found[0] + 1} starts {found[1][:120]!r}"
    raise UnreadableFileError(f"{source.path}: unrecognised file format ({what}); tried {tried}")


def detect_format(path: Path) -> str:
    """The format name of the file at `path`, judged from its first lines."""
    return _detect(_text.load_head(Path(path))).name


# ReadContext is frozen, so one shared default instance is safe.
DEFAULT_CONTEXT = ReadContext()


def read_file(path: Path, ctx: ReadContext = DEFAULT_CONTEXT) -> ReadResult:
    """Read one landing file into its raw table's columns, with its quarantined rows.

    Raises UnreadableFileError (naming the file) when the file cannot be opened or its format is
    not recognised; bad rows never raise, they come back in `problems`.
    """
    source = _text.load(Path(path))
    return _detect(source).read(source, ctx)
