"""nvidia-smi readings: numbers with or without units, absent readings, and each bad row's reason
(one line naming the field, what was expected and what the log says)."""

from __future__ import annotations

import polars as pl

from pipeline.readers._text import NOT_TEXT_REASON, join_reasons, nonexistent_reason
from pipeline.readers.telemetry._smi_header import Layout
from pipeline.readers.telemetry._smi_time import TIMESTAMP_EXAMPLE

# Readings nvidia-smi could not take are absent values, not bad rows.
NO_READING = ("[N/A]", "N/A", "[Not Supported]", "[Not Available]")


def quoted(raw: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("'"), raw, pl.lit("'"))


def absent(raw: pl.Expr) -> pl.Expr:
    return raw.is_null() | raw.is_in(NO_READING)


def number(raw: pl.Expr, unit: str) -> pl.Expr:
    """'250.12 W', '250.12W' or '250.12' → 250.12; anything else → null (or NaN/inf)."""
    return raw.str.strip_chars_end(f" {unit}").cast(pl.Float64, strict=False)


def reading_ok(raw: pl.Expr, value: pl.Expr, upper: float | None) -> pl.Expr:
    ok = value.is_finite() & (value >= 0)
    if upper is not None:
        ok = ok & (value <= upper)
    return absent(raw) | ok.fill_null(False)


def reading_reason(
    name: str, raw: pl.Expr, value: pl.Expr, unit: str, example: str, upper: float | None
) -> pl.Expr:
    kind = "power in W" if unit == "W" else f"percentage in {unit}"
    reason = (
        pl.when(absent(raw))
        .then(None)
        .when(value.is_null() | ~value.is_finite())
        .then(
            pl.concat_str(
                pl.lit(f"{name}: expected a number in {unit} like '{example}', got "), quoted(raw)
            )
        )
        .when(value < 0)
        .then(pl.concat_str(pl.lit(f"{name}: expected a non-negative {kind}, got "), quoted(raw)))
    )
    if upper is not None:
        reason = reason.when(value > upper).then(
            pl.concat_str(pl.lit(f"{name}: expected at most {upper:g} {unit}, got "), quoted(raw))
        )
    return reason.otherwise(None)


def reasons(layout: Layout, origins: dict[int, str], tz: str) -> pl.Expr:
    power, has_util = layout.power, "utilization.gpu" in layout.col
    ts_raw = pl.col("r_ts")
    nothing = ts_raw.is_null() | (ts_raw == "") | ts_raw.is_in(NO_READING)
    field_reasons = [
        pl.when(nothing)
        .then(pl.lit(f"timestamp: expected local time like '{TIMESTAMP_EXAMPLE}', got nothing"))
        .when(pl.col("ts_local").is_null())
        .then(
            pl.concat_str(
                pl.lit(f"timestamp: expected local time like '{TIMESTAMP_EXAMPLE}', got "),
                quoted(ts_raw),
            )
        )
        .when(pl.col("ts_utc").is_null())
        .then(nonexistent_reason("timestamp", ts_raw, tz)),
        pl.when(pl.col("host").is_null() | (pl.col("host") == "")).then(
            pl.lit("hostname: expected a host name, got nothing")
        ),
    ]
    if power:
        field_reasons.append(
            reading_reason(power, pl.col("r_power"), pl.col("power_w"), "W", "250.12 W", None)
        )
    if has_util:
        field_reasons.append(
            reading_reason(
                "utilization.gpu", pl.col("r_util"), pl.col("util_pct"), "%", "45 %", 100.0
            )
        )
    if "index" in layout.col:
        field_reasons.append(
            pl.when(pl.col("index_bad")).then(
                pl.concat_str(
                    pl.lit("index: expected a GPU index like '0', got "), quoted(pl.col("r_index"))
                )
            )
        )
    field_reasons.append(pl.col("gpu_problem"))
    if "index" not in layout.col and layout.identity:
        field_reasons.append(
            pl.when(pl.col("gpu_index").is_null() & pl.col("gpu_problem").is_null()).then(
                pl.lit(
                    f"{layout.identity}: expected the GPU's {layout.identity} (the log has no "
                    "index column, so it tells the GPUs apart), got nothing"
                )
            )
        )
    names = ", ".join(layout.names)
    origin = pl.col("segment").replace_strict(origins, return_dtype=pl.String)
    return (
        pl.when(pl.col("not_text"))
        .then(pl.lit(NOT_TEXT_REASON))
        .when(~pl.col("count_ok"))
        .then(
            pl.format(
                "expected {} fields separated by ', ' {} ({}), got {}",
                pl.lit(len(layout.names)),
                origin,
                pl.lit(names),
                pl.col("n_fields"),
            )
        )
        .otherwise(join_reasons(field_reasons))
    )
