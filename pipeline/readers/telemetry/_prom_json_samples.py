"""Prometheus HTTP API series values → samples for the shared merge (_dcgm_readings), for the
JSON reader (prometheus_json.py).

Each element of a series' `values` (or its one `value`) is one sample: its time and value kept as
text, cast later; an element that is not a `[time, "value"]` pair is a sample with a
`sample_reason`, which quarantines its reading. `where` names the element's JSON path.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from pipeline.readers.telemetry._dcgm_labels import LABEL_SCHEMA, LABELS

PAIR_EXAMPLE = '[1700000000.123, "250.5"]'


def _text_of(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item)


def _pairs(values: list) -> pl.DataFrame:
    """`ts_text`, `value_text` and `n` (the element's item count) for each element.

    Well-formed pairs take polars' row constructor (numbers become their text); a series with
    any odd element (a lone time, null, a nested array...) is converted element by element so
    that each odd one becomes a row the checks quarantine instead of an error.
    """
    try:
        return pl.DataFrame(
            values,
            orient="row",
            schema=[("ts_text", pl.String), ("value_text", pl.String)],
            strict=False,
        ).with_columns(n=pl.lit(2, dtype=pl.UInt32), shown=pl.lit(None, dtype=pl.String))
    except Exception:  # noqa: BLE001 - odd shapes: the lenient path below
        pass
    items = pl.Series(
        [[_text_of(x) for x in v] if isinstance(v, list) else None for v in values],
        dtype=pl.List(pl.String),
    )
    shown = pl.Series(
        [None if isinstance(v, list) else json.dumps(v)[:60] for v in values], dtype=pl.String
    )
    return pl.DataFrame({"items": items, "shown": shown}).select(
        ts_text=pl.col("items").list.get(0, null_on_oob=True),
        value_text=pl.col("items").list.get(1, null_on_oob=True),
        n=pl.col("items").list.len(),
        shown=pl.col("shown"),
    )


def series_samples(
    values: list, at: str, values_key: str, first_pos: int, metric: dict
) -> pl.DataFrame:
    """The samples of one series of ours at JSON path `at`: `values` are its elements (the one
    `value` of a vector as a list of one), `first_pos` the document position of the first, and
    `metric` its labels."""
    where = (
        pl.format(f"{at}.values[{{}}]", pl.int_range(pl.len()))
        if values_key == "values"
        else pl.lit(f"{at}.value")
    )
    return (
        _pairs(values)
        .with_columns(
            pos=pl.int_range(pl.len(), dtype=pl.Int64) + first_pos,
            where=where,
            metric=pl.lit(metric["__name__"]),
            **{k: pl.lit(metric.get(k), dtype=pl.String) for k in LABELS},
        )
        .with_columns(
            sample_reason=pl.when(pl.col("shown").is_not_null())
            .then(
                pl.format(
                    f"{{}}: expected a [time, value] pair like {PAIR_EXAMPLE}, got {{}}",
                    pl.col("where"),
                    pl.col("shown"),
                )
            )
            .when(pl.col("n") != 2)
            .then(
                pl.format(
                    f"{{}}: expected a [time, value] pair like {PAIR_EXAMPLE}, got {{}} items",
                    pl.col("where"),
                    pl.col("n"),
                )
            ),
            raw=pl.format(
                '{}: {} [{}, "{}"]',
                pl.col("where"),
                pl.col("metric"),
                pl.coalesce(pl.col("ts_text"), pl.lit("?")),
                pl.coalesce(pl.col("value_text"), pl.lit("?")),
            ),
        )
    )


def samples_frame(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """All series' samples in one frame, with `value` and `ts_us` (µs since 1970, null when the
    time cannot be read) cast from the text."""
    seconds = pl.col("ts_text").cast(pl.Float64, strict=False)
    schema = {
        "pos": pl.Int64,
        "where": pl.String,
        "metric": pl.String,
        "ts_text": pl.String,
        "value_text": pl.String,
        "sample_reason": pl.String,
        "raw": pl.String,
        **LABEL_SCHEMA,
    }
    return (
        pl.concat([p.select(list(schema)) for p in parts]) if parts else pl.DataFrame(schema=schema)
    ).with_columns(
        value=pl.col("value_text").cast(pl.Float64, strict=False),
        ts_us=pl.when(seconds.abs() < 9e12).then((seconds * 1e6).round().cast(pl.Int64)),
    )
