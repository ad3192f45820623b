"""What every reader returns, and the rules every reader keeps.

A reader turns one landing file into accepted rows (a polars frame whose columns are exactly the
target raw table's columns, `source_path` and `line` included) and quarantined rows (line, reason,
raw text). The identity `rows_read == accepted + quarantined` always holds; a file that cannot be
read at all raises `UnreadableFileError` naming the file and why.

What `line` means depends on the container:
- text formats (CSV, sacct, Prometheus text): the 1-based physical line where the record starts;
- JSON formats: the 1-based physical line where the record's JSON value starts when the reader can
  tell, else the record's 1-based ordinal in the file; the reason then names the JSON path
  (e.g. `data.result[2].values[17]`);
- Parquet formats: the 1-based row number in the file (row groups in order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    """What a reader may need to know beyond the file.

    - `timezone_for_path`: the IANA zone of a file's local timestamps (its site's zone);
    - `nvidia_smi_fields`: the `--query-gpu` field list of `csv,noheader` logs, which carry no
      header to say which column is which (config `telemetry.nvidia_smi_fields`);
    - `sacct_fields`: the `--format` field list of `sacct --noheader` exports, likewise
      (config `scheduler.sacct_fields`);
    - `gpus_per_host`: the inventory's GPU count per host (config `host_groups`); None when there
      is no inventory at all (`wattprint validate` without `--config`). The nvidia-smi reader
      numbers GPUs without an index column against it and never past it; every other format's
      GPU indices are held to the same count at ingest (`pipeline.plausibility`). A host missing
      from it keeps the GPUs its telemetry shows.
    """

    timezone_for_path: Callable[[Path], str] = field(default=lambda p: "UTC")
    nvidia_smi_fields: tuple[str, ...] | None = None
    sacct_fields: tuple[str, ...] | None = None
    gpus_per_host: Mapping[str, int] | None = None


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
