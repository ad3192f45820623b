"""The input manifest as the PDF prints it: one paragraph, not a table.

Management does not read a SHA-256 per input file (258 of them filled 4 of the demo report's 15
pages), so the PDF says how many files, how many bytes, and gives one SHA-256: that of the
manifest's own CSV file, `tables/inputs.csv` (path, format, rows, size and SHA-256 of each
file), which anyone can recompute with `sha256sum tables/inputs.csv` in the report folder.
report.html and the CSV list every file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pipeline.disclosure.model import Disclosure
from pipeline.report.tables import TABLES_DIR_NAME, report_table, table_csv

MANIFEST_STEM = "inputs"


@dataclass(frozen=True)
class ManifestSummary:
    files: int
    size_bytes: int | None  # None when a file's size was not recorded (older reports)
    sha256: str  # of the bytes of `csv_path`
    csv_path: str  # relative to the report folder


def manifest_summary(d: Disclosure) -> ManifestSummary:
    table = report_table(d, MANIFEST_STEM)
    sizes = [f.size_bytes for f in d.inputs]
    return ManifestSummary(
        files=len(d.inputs),
        size_bytes=None if None in sizes else sum(s for s in sizes if s is not None),
        sha256=hashlib.sha256(table_csv(table)).hexdigest(),
        csv_path=f"{TABLES_DIR_NAME}/{table.filename}",
    )
