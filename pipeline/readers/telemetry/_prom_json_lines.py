"""Which `line` each reading and each bad series of a Prometheus JSON response gets.

Prometheus writes each response on one line, but a pretty-printed export (`jq .`) puts every
`[time, "value"]` pair on its own line. When the file is laid out so (each pair and each
`"metric": {` key on a line of its own, in document order), a reading's `line` is the physical line
of its first pair and a bad series' `line` that of its `"metric"` key; otherwise `line` is the
row's 1-based ordinal in document order (a bad series before the readings that start at the same
place).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.readers._text import TextFile, problem
from pipeline.readers.base import Problem

# What marks the line where a sample pair or a series' labels start. A pair opens with `[` and
# its time, on one line (`[1700000000.123, "250.5"]`) or, as `jq .` writes it, with `[` ending
# one line and the time starting the next. Text inside label values could match too; the caller
# then finds more anchors than the document has and falls back to ordinals.
_TIME = r"-?[0-9][0-9.eE+-]*"
_PAIR_OPEN = rf"\[\s*{_TIME}\s*,"
_OPEN_AT_END = r"\[\s*$"
_TIME_FIRST = rf"^\s*{_TIME}\s*(?:,|$)"
_METRIC_KEY = r'"metric"\s*:\s*\{'
PAIR, METRIC_KEY = 1, 0

# A series that cannot be read: (anchor index of its "metric" key or None, its position in
# document order, reason, raw text).
BadSeries = tuple[int | None, int, str, str]


def _anchor_lines(source: TextFile, expected: np.ndarray) -> np.ndarray | None:
    """Physical line of each expected anchor (pair or `"metric"` key), in document order, when
    every anchor has a line of its own; else None (the caller falls back to ordinals)."""
    raw = pl.col("raw")
    found = (
        pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
        .with_row_index("line", offset=1)
        .with_columns(
            pairs=raw.str.count_matches(_PAIR_OPEN)
            + (raw.str.contains(_OPEN_AT_END) & raw.shift(-1).str.contains(_TIME_FIRST))
            .fill_null(False)
            .cast(pl.UInt32),
            keys=raw.str.count_matches(_METRIC_KEY),
        )
        .filter((pl.col("pairs") + pl.col("keys")) > 0)
    )
    if found.height != len(expected) or (found["pairs"] + found["keys"] > 1).any():
        return None
    kinds = np.where(found["pairs"].to_numpy() == 1, PAIR, METRIC_KEY)
    if not np.array_equal(kinds, expected):
        return None
    return found["line"].cast(pl.Int64).to_numpy()


def number_rows(
    source: TextFile,
    kinds: list[np.ndarray],
    readings: pl.DataFrame,
    bad_series: list[BadSeries],
) -> tuple[pl.DataFrame, list[Problem]]:
    """`readings` with their `line`, and the bad series as problems with theirs. `kinds` are the
    anchors (PAIR or METRIC_KEY) the document holds, in document order; a reading's `pos` and a
    bad series' anchor index into them."""
    expected = np.concatenate(kinds) if kinds else np.array([], dtype=int)
    lines = _anchor_lines(source, expected)
    if lines is not None and all(anchor is not None for anchor, *_ in bad_series):
        readings = readings.with_columns(
            line=pl.Series(lines, dtype=pl.Int64).gather(readings["pos"])
        )
        problems: list[Problem] = [
            problem(int(lines[anchor]), reason, raw) for anchor, _, reason, raw in bad_series
        ]
    else:
        # Ordinals in document order; a bad series comes before the readings that start at
        # the same place.
        order = pl.concat(
            [
                pl.DataFrame(
                    {"pos": [start for _, start, _, _ in bad_series], "tie": 0},
                    schema={"pos": pl.Int64, "tie": pl.Int32},
                ).with_row_index("row"),
                readings.select("pos", tie=pl.lit(1, dtype=pl.Int32)).with_row_index("row"),
            ]
        )
        ranked = order.with_row_index("n").sort(["pos", "tie", "row"], maintain_order=True)
        ordinal = ranked.with_columns(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        series_lines = ordinal.filter(pl.col("tie") == 0).sort("row")["line"].to_list()
        problems = [
            problem(line, reason, raw)
            for line, (_, _, reason, raw) in zip(series_lines, bad_series, strict=True)
        ]
        readings = readings.with_columns(
            line=ordinal.filter(pl.col("tie") == 1).sort("row")["line"]
        )
    return readings, problems
