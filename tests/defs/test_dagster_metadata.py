"""Markdown metadata of the assets: text from input data cannot break or restyle a table.

(The metadata of a real run, as the UI shows it, is checked in test_dagster_webserver.py.)"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from pipeline.defs.metadata import PREVIEW_ROWS, md_escape, md_table

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
HOSTILE = [
    "train|llama`7b`",
    "line one\nline two\r\nthree",
    "**bold** _it_ [link](http://x) <b>html</b>",
    "back\\slash|",
    "ordinary name",
]


def _unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell)


def test_hostile_names_stay_in_their_cell_and_read_back_as_written() -> None:
    df = pl.DataFrame({"job_name": HOSTILE, "energy_kwh": [1.5] * len(HOSTILE)})
    text = md_table(df).value
    lines = text.split("\n")
    assert lines[0] == r"| job\_name | energy\_kwh |"
    rows = lines[2:]
    assert len(rows) == len(HOSTILE)  # no name added a line
    for row, name in zip(rows, HOSTILE, strict=True):
        cells = UNESCAPED_PIPE.split(row)
        assert len(cells) == 4, row  # '', name, energy, '': no name added a column
        assert _unescape(cells[1].strip()) == " ".join(name.splitlines())
        assert "`" not in re.sub(r"\\`", "", row)  # every backtick escaped: no code span


def test_escape_leaves_plain_text_alone() -> None:
    assert md_escape("sto-h100-001 2026-10-01.csv") == "sto-h100-001 2026-10-01.csv"
    assert md_escape(r"a\|b") == r"a\\\|b"


def test_preview_is_capped_and_says_how_many_rows_it_left_out() -> None:
    n = PREVIEW_ROWS + 7
    df = pl.DataFrame({"day": [date(2026, 10, 1)] * n, "energy_kwh": [float(i) for i in range(n)]})
    lines = md_table(df).value.split("\n")
    body = [line for line in lines[2:] if line.startswith("|")]
    assert len(body) == PREVIEW_ROWS
    assert lines[-1] == "… 7 more rows"
    assert md_table(df.head(0)).value.endswith("(no rows)")
