"""One table of the report as the CSV files hold it: its stem, title, columns and rows, and the
shape in which each table's builder (tables_*.py) returns them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

Cell = str | int | float | bool | date | datetime | None

# (title, columns, rows): what a table builder returns
Built = tuple[str, tuple[str, ...], list[tuple[Cell, ...]]]

_STEM = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Table:
    """One printed table: its CSV file stem, its title, column names with units, and rows."""

    stem: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...] = ()

    def __post_init__(self) -> None:
        if not _STEM.fullmatch(self.stem):
            raise ValueError(f"table stem {self.stem!r}: expected lower-case snake_case")
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"table {self.stem!r}: duplicate column names in {self.columns}")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.stem!r}, row {i}: {len(row)} cells, expected "
                    f"{len(self.columns)} ({', '.join(self.columns)})"
                )

    @property
    def filename(self) -> str:
        return f"{self.stem}.csv"


def pick(obj: object, names: Iterable[str]) -> tuple[Cell, ...]:
    return tuple(getattr(obj, name) for name in names)
