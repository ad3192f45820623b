"""The input manifest as the PDF prints it: one paragraph, not a table.

Management does not read a SHA-256 per input file (258 of them filled 4 of the demo report's 15
pages), so the PDF says how many files, how many bytes, and gives one SHA-256: that of the
manifest's own CSV file, `tables/inputs.csv` (path, format, rows, size and SHA-256 of each
file), which anyone can recompute with `sha256sum tables/inputs.csv` in the report folder.
report.html and the CSV list every file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
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


def set_contents(exports: Iterable[str]) -> list[str]:
    """The report set's files beside the report, as the PDF lists them: each export by its path,
    a model's own documents (`models/<model>/<file>`) once per file name with the model count."""
    per_model: dict[str, int] = {}
    listed: list[str] = []
    for path in sorted(exports):
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "models":
            per_model[parts[2]] = per_model.get(parts[2], 0) + 1
        else:
            listed.append(path)
    for name, n in sorted(per_model.items()):
        listed.append(f"models/<model>/{name} ({n} model{'s' if n != 1 else ''})")
    return listed
