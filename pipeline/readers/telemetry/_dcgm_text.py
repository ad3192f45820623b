"""Prometheus text lines → samples of the three DCGM metrics, for the text reader (dcgm_prometheus).

Lines are parsed by prometheus_client's text parser (prometheus_client.parser), never
by hand, and every problem names its physical line. To keep large appended files fast, a line
is split in polars into its series part (name and label block) and its value and timestamp
tokens: each distinct series part is parsed once by prometheus_client (a day of scrapes repeats
a handful of series thousands of times), the plain number tokens are cast in polars with the
same grammar, and any line the split does not recognise is parsed whole by prometheus_client,
whose verdict decides whether it is quarantined. Lines of other families that are plainly
well-formed are skipped without parsing; any other line goes to prometheus_client too.
`# HELP`/`# TYPE` lines are metadata; one prometheus_client refuses is quarantined as
unparseable, other `#` lines are comments.
"""

from __future__ import annotations

import polars as pl
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, problem
from pipeline.readers.base import Problem
from pipeline.readers.telemetry._dcgm_labels import LABEL_SCHEMA, LABELS, METRICS

SAMPLE_EXAMPLE = '\'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-...",Hostname="node-1"} 250.5\''
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity|nan)"

_OURS = "|".join(METRICS)
_LABEL_BLOCK = r'\{(?:[^"{}\\]|"(?:[^"\\]|\\.)*")*\}'
# A line naming one of our families: `NAME{...} value [timestamp]` or `NAME value [timestamp]`.
_OURS_NAME = rf"^(?:{_OURS})(?:[ \t{{]|$)"
# Its value and optional timestamp: the whitespace-separated tokens after the last `}` (a label
# value may hold spaces, never an unquoted `}`). What is left before them is the series part.
_TAIL = r"[ \t]+[^ \t}]+(?:[ \t]+[^ \t}]+)?[ \t]*$"
_VALUE_TOKEN = rf"^(?:{NUMBER})$"
_TS_TOKEN = r"^[+-]?[0-9]+$"
# Another family's plainly well-formed line: not our data, skipped without parsing.
_OTHER_LINE = rf"^{NAME}[ \t]*(?:{_LABEL_BLOCK})?[ \t]+(?:{NUMBER})(?:[ \t]+[+-]?[0-9]+)?[ \t]*$"
# `# HELP name text` and `# TYPE name type`, as prometheus_client accepts them.
_META = r"^#[ \t]+(?:HELP|TYPE)(?:[ \t]|$)"
_META_OK = rf"^#[ \t]+(?:HELP[ \t]+{NAME}(?:[ \t].*)?|TYPE[ \t]+{NAME}[ \t]+\S.*)$"


def _unparseable(why: str) -> str:
    return f"not a Prometheus text line ({why}); expected a sample like {SAMPLE_EXAMPLE}"


def _parse(text: str) -> list[Sample]:
    """prometheus_client's samples for a piece of text (raises on what it cannot parse)."""
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _why(exc: Exception) -> str:
    return str(exc).strip()[:200] or f"prometheus_client: {type(exc).__name__}"


def _sample_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "pos": pl.Int64,
            "metric": pl.String,
            "value": pl.Float64,
            "value_text": pl.String,
            "ts_us": pl.Int64,
            "ts_text": pl.String,
            "raw": pl.String,
            **LABEL_SCHEMA,
        },
    )


def _as_float(number: float | int) -> float:
    try:
        return float(number)
    except OverflowError:  # an integer token too long for a double
        return float("inf") if number > 0 else float("-inf")


def _slow_row(line: int, raw: str, sample: Sample) -> dict:
    ts = sample.timestamp  # seconds (the parser divides the written ms by 1000), or None
    seconds = None if ts is None else _as_float(ts)
    ts_us = None
    if seconds is not None and abs(seconds) < 9e12:  # NaN fails this too
        ts_us = round(seconds * 1_000_000)
    value = _as_float(sample.value)
    return {
        "pos": line,
        "metric": sample.name,
        "value": value,
        "value_text": str(value),
        "ts_us": ts_us,
        "ts_text": None if seconds is None else format(seconds * 1000, ".15g"),
        "raw": raw,
        **{name: sample.labels.get(name) for name in LABELS},
    }


def _classified(source: TextFile) -> pl.DataFrame:
    """The file's lines (`line`, `raw`, stripped `text`) with their `kind`: bad (not UTF-8),
    blank, comment, ours (names one of our families) or other."""
    text = pl.col("text")
    return (
        pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64), text=pl.col("raw").str.strip_chars())
        .with_columns(
            kind=pl.when(pl.col("line").is_in([i + 1 for i in source.bad]))
            .then(pl.lit("bad"))
            .when(text == "")
            .then(pl.lit("blank"))
            .when(text.str.starts_with("#"))
            .then(pl.lit("comment"))
            .when(text.str.contains(_OURS_NAME))
            .then(pl.lit("ours"))
            .otherwise(pl.lit("other"))
        )
    )


def _fast_samples(ours: pl.DataFrame, problems: list[Problem]) -> pl.DataFrame:
    """The samples of lines the split recognised, each distinct series part parsed once by
    prometheus_client; a series part it refuses quarantines its lines (added to `problems`)."""
    series_rows, series_errors = [], {}
    for series in ours["series"].unique().to_list():
        try:
            [sample] = _parse(f"{series} 0")
        except Exception as exc:  # noqa: BLE001 - any parser failure quarantines the line
            series_errors[series] = _why(exc)
            continue
        series_rows.append(
            {"series": series, "metric": sample.name, **{k: sample.labels.get(k) for k in LABELS}}
        )
    series_frame = pl.DataFrame(
        series_rows, schema={"series": pl.String, "metric": pl.String, **LABEL_SCHEMA}
    )
    for line, raw, series in (
        ours.filter(pl.col("series").is_in(list(series_errors)))
        .select("line", "raw", "series")
        .iter_rows()
    ):
        problems.append(problem(line, _unparseable(series_errors[series]), raw))
    written_ms = pl.col("t").cast(pl.Int64, strict=False)
    return ours.join(series_frame, on="series", how="inner").select(
        pos=pl.col("line"),
        metric=pl.col("metric"),
        value=pl.col("v").cast(pl.Float64, strict=False),
        value_text=pl.col("v"),
        # (a written time so large that µs would overflow is left unreadable, not wrapped)
        ts_us=pl.when(written_ms.abs() < 9_000_000_000_000_000).then(written_ms * 1000),
        ts_text=pl.col("t"),
        raw=pl.col("raw"),
        **{name: pl.col(name) for name in LABELS},
    )


def read_samples(source: TextFile) -> tuple[pl.DataFrame, list[Problem]]:
    """The samples of our metrics (`pos` = physical line; `ts_text` null on a line without a
    timestamp), and the problems of the lines that cannot be parsed."""
    text = pl.col("text")
    lines = _classified(source)
    problems: list[Problem] = [
        problem(line, NOT_TEXT_REASON, raw)
        for line, raw in lines.filter(pl.col("kind") == "bad").select("line", "raw").iter_rows()
    ]
    # Each kind's finer test runs only on its own lines (long label blocks make regexes costly).
    comments = lines.filter(pl.col("kind") == "comment")
    others = lines.filter(pl.col("kind") == "other")
    tail = text.str.extract(rf"({_TAIL})", 1)
    ours = (
        lines.filter(pl.col("kind") == "ours")
        .with_columns(tail=tail)
        .with_columns(
            series=text.str.slice(0, text.str.len_chars() - pl.col("tail").str.len_chars()),
            v=pl.col("tail").str.extract(r"^[ \t]*([^ \t]+)", 1),
            t=pl.col("tail").str.extract(r"^[ \t]*[^ \t]+[ \t]+([^ \t]+)", 1),
        )
        .with_columns(
            fast=pl.col("v").str.contains(_VALUE_TOKEN).fill_null(False)
            & (pl.col("t").is_null() | pl.col("t").str.contains(_TS_TOKEN))
        )
    )
    to_check = pl.concat(
        [
            comments.filter(text.str.contains(_META) & ~text.str.contains(_META_OK)),
            others.filter(~text.str.contains(_OTHER_LINE)),
            ours.filter(~pl.col("fast")).select(lines.columns),
        ]
    ).sort("line")
    # Fast path: each distinct series part parsed once by prometheus_client.
    fast = _fast_samples(ours.filter(pl.col("fast")), problems)

    # Slow path: whatever the split did not recognise is parsed whole; the parser decides.
    slow_rows = []
    for line, raw in to_check.select("line", "raw").iter_rows():
        try:
            samples = _parse(raw)
        except Exception as exc:  # noqa: BLE001 - any parser failure quarantines the line
            problems.append(problem(line, _unparseable(_why(exc)), raw))
            continue
        slow_rows += [_slow_row(line, raw, s) for s in samples if s.name in METRICS]
    return pl.concat([fast, _sample_frame(slow_rows)], how="vertical_relaxed"), problems
