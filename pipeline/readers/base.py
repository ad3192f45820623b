"""What every reader returns, and the rules every reader keeps.

A reader turns one landing file into accepted rows (a polars frame whose columns are exactly the
target raw table's columns, `source_path` and `line` included) and quarantined rows (line, reason,
raw text). The identity `rows_read == accepted + quarantined` always holds; a file that cannot be
read at all raises `UnreadableFileError` naming the file and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl


class UnreadableFileError(ValueError):
    """The file as a whole cannot be read (unknown format, not text, missing header...)."""


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based physical line number in the file
    reason: str  # what was wrong and what was expected
    raw: str  # the offending text, cut to 500 characters

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ReadContext:
    """What a reader may need to know beyond the file: the time zone of local timestamps."""

    timezone_for_path: Callable[[Path], str] = field(default=lambda p: "UTC")


@dataclass
class ReadResult:
    path: Path
    format: str  # e.g. "nvidia-smi-csv", "slurm-sacct", "focus-csv"
    table: str  # target raw table
    frame: pl.DataFrame
    problems: list[Problem]
    rows_read: int

    def __post_init__(self) -> None:
        accepted = self.frame.height
        if self.rows_read != accepted + len(self.problems):
            raise AssertionError(
                f"{self.path}: reader {self.format} lost rows: read {self.rows_read}, "
                f"accepted {accepted}, quarantined {len(self.problems)}"
            )

    @property
    def rows_accepted(self) -> int:
        return self.frame.height

    @property
    def rows_quarantined(self) -> int:
        return len(self.problems)

    def quarantine_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "source_path": [str(self.path)] * len(self.problems),
                "line": [p.line for p in self.problems],
                "reason": [p.reason for p in self.problems],
                "raw_text": [p.raw[:500] for p in self.problems],
            },
            schema={
                "source_path": pl.String,
                "line": pl.Int64,
                "reason": pl.String,
                "raw_text": pl.String,
            },
        )
