"""`nvidia-smi --query-gpu=... --format=csv` logs → raw_gpu_samples.

nvidia-smi writes local wall-clock time without a zone, units inside values ("250.12 W", "45 %")
unless `nounits`, "[N/A]" for readings it cannot take, and no hostname. Files run to ~100k lines,
so every check below is a polars expression over all lines at once.
"""

from __future__ import annotations

import re

import polars as pl

from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    first_content_line,
    join_reasons,
    local_to_utc,
    nonexistent_reason,
    zone_for,
)
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError

FORMAT = "nvidia-smi-csv"
TABLE = "raw_gpu_samples"
SCHEMA = pl.Schema(
    {
        "source_path": pl.String,
        "line": pl.Int64,
        "host": pl.String,
        "gpu_index": pl.Int32,
        "gpu_uuid": pl.String,
        "gpu_name": pl.String,
        "ts_utc": pl.Datetime("us"),
        "power_w": pl.Float64,
        "util_pct": pl.Float64,
        "energy_mj": pl.Float64,
        "workload": pl.String,
    }
)
NOT_NULL = ("line", "host", "gpu_index", "ts_utc")

# Preference order when a log carries several: power.draw is what most sites log, and on current
# drivers it is the 1 s average, which integrates better than the instantaneous reading.
POWER_FIELDS = ("power.draw", "power.draw.average", "power.draw.instant")
# Families of dotted `--query-gpu` field names. One of them beside `timestamp` is what marks a file
# as nvidia-smi output; plain names like `index` or `name` also occur in generic metric CSVs.
QUERY_FAMILIES = (
    "power.",
    "utilization.",
    "memory.",
    "temperature.",
    "clocks.",
    "clocks_throttle_reasons.",
    "clocks_event_reasons.",
    "enforced.power.",
    "pci.",
    "pcie.",
    "fan.",
    "ecc.",
    "mig.",
    "encoder.",
)
# Readings nvidia-smi could not take are absent values, not bad rows.
NO_READING = ("[N/A]", "N/A", "[Not Supported]", "[Not Available]")
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S%.f"

_HEADER_FIELD = re.compile(r"([a-z][a-z0-9_.]*)(?:\s*\[([^\]]*)\])?", re.IGNORECASE)


def parse_header(line: str) -> list[str] | None:
    """Lower-cased field names without units, or None when the line is not a query header."""
    names: list[str] = []
    for part in line.split(","):
        match = _HEADER_FIELD.fullmatch(part.strip())
        if match is None:
            return None
        names.append(match.group(1).lower())
    return names


def sniff(head: list[str]) -> bool:
    found = first_content_line(head)
    if found is None:
        return False
    names = parse_header(found[1])
    return (
        names is not None
        and "timestamp" in names
        and any(name.startswith(QUERY_FAMILIES) for name in names)
    )


def _quoted(raw: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("'"), raw, pl.lit("'"))


def _measure(
    name: str, raw: pl.Expr, unit: str, example: str, upper: float | None
) -> tuple[pl.Expr, pl.Expr]:
    """(value, reason) for a reading with an optional unit suffix; no-reading tokens give null."""
    number = raw.str.extract(rf"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:\s*{re.escape(unit)})?$", 1)
    value = number.cast(pl.Float64, strict=False)
    absent = raw.is_null() | raw.is_in(NO_READING)
    kind = "power in W" if unit == "W" else f"percentage in {unit}"
    reason = (
        pl.when(absent)
        .then(None)
        .when(value.is_null())
        .then(
            pl.concat_str(
                pl.lit(f"{name}: expected a number in {unit} like '{example}', got "), _quoted(raw)
            )
        )
        .when(value < 0)
        .then(pl.concat_str(pl.lit(f"{name}: expected a non-negative {kind}, got "), _quoted(raw)))
    )
    if upper is not None:
        reason = reason.when(value > upper).then(
            pl.concat_str(pl.lit(f"{name}: expected at most {upper:g} {unit}, got "), _quoted(raw))
        )
    return pl.when(absent).then(None).otherwise(value), reason.otherwise(None)


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    found = first_content_line(source.lines)
    names = parse_header(found[1]) if found else None
    if found is None or names is None or "timestamp" not in names:
        raise UnreadableFileError(
            f"{path}: no nvidia-smi header line; expected e.g. "
            "'timestamp, index, uuid, name, power.draw [W], utilization.gpu [%]' "
            "(--format=csv without noheader)"
        )
    header_at, header_text = found
    tz = zone_for(path, ctx)
    width = len(names)
    col = {name: i for i, name in reversed(list(enumerate(names)))}  # first occurrence wins
    power = next((f for f in POWER_FIELDS if f in col), None)
    has_util = "utilization.gpu" in col

    def field(name: str) -> pl.Expr:
        return pl.col(f"f_{name}") if name in col else pl.lit(None, dtype=pl.String)

    lines = pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
    data = (
        lines.with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
        .filter(
            (pl.col("line") > header_at + 1)
            & (pl.col("raw").str.strip_chars() != "")
            # Logs appended run after run repeat the header; a repeat is not a sample.
            & (pl.col("raw").str.strip_chars() != header_text.strip())
        )
        .with_columns(fields=pl.col("raw").str.split(","))
    )
    # Each stage materialises columns the next one reads, so every field is split and parsed once.
    data = data.with_columns(
        n_fields=pl.col("fields").list.len(),
        **{
            f"f_{name}": pl.col("fields").list.get(i, null_on_oob=True).str.strip_chars()
            for name, i in col.items()
        },
    )
    ts_raw = field("timestamp")
    host = (
        field("hostname")
        if "hostname" in col
        else pl.lit(path.resolve().parent.name, dtype=pl.String)
    )
    power_w, power_reason = (
        _measure(power, field(power), "W", "250.12 W", None)
        if power
        else (
            pl.lit(None, dtype=pl.Float64),
            pl.lit(None, dtype=pl.String),
        )
    )
    util_pct, util_reason = (
        _measure("utilization.gpu", field("utilization.gpu"), "%", "45 %", 100.0)
        if has_util
        else (pl.lit(None, dtype=pl.Float64), pl.lit(None, dtype=pl.String))
    )
    data = data.with_columns(
        host=host,
        ts_local=ts_raw.str.strptime(pl.Datetime("us"), TIMESTAMP_FORMAT, strict=False),
        power_w=power_w,
        power_reason=power_reason,
        util_pct=util_pct,
        util_reason=util_reason,
    ).with_columns(ts_utc=local_to_utc(pl.col("ts_local"), tz))

    nothing = ts_raw.is_null() | (ts_raw == "") | ts_raw.is_in(NO_READING)
    field_reasons = [
        pl.when(nothing)
        .then(pl.lit("timestamp: expected local time like '2024/01/15 10:00:00.123', got nothing"))
        .when(pl.col("ts_local").is_null())
        .then(
            pl.concat_str(
                pl.lit("timestamp: expected local time like '2024/01/15 10:00:00.123', got "),
                _quoted(ts_raw),
            )
        )
        .when(pl.col("ts_utc").is_null())
        .then(nonexistent_reason("timestamp", ts_raw, tz)),
        pl.col("power_reason"),
        pl.col("util_reason"),
        pl.when(pl.col("host").is_null() | (pl.col("host") == "")).then(
            pl.lit("hostname: expected a host name, got nothing")
        ),
    ]
    if "index" in col:
        field_reasons.append(
            pl.when(~field("index").str.contains(r"^[0-9]{1,9}$")).then(
                pl.concat_str(
                    pl.lit("index: expected a GPU index like '0', got "), _quoted(field("index"))
                )
            )
        )
    count_ok = pl.col("n_fields") == width
    reason = (
        pl.when(pl.col("line").is_in([i + 1 for i in source.bad]))
        .then(pl.lit(NOT_TEXT_REASON))
        .when(~count_ok)
        .then(
            pl.format(
                "expected {} fields separated by ', ' as in the header on line {} ({}), got {}",
                pl.lit(width),
                pl.lit(header_at + 1),
                pl.lit(", ".join(names)),
                pl.col("n_fields"),
            )
        )
        .otherwise(join_reasons(field_reasons))
    )

    if "index" in col:
        gpu_index = field("index").cast(pl.Int32, strict=False)
    else:
        # nvidia-smi lists GPUs in index order within a poll, so without an index the n rows
        # sharing a timestamp on one host are GPUs 0..n-1; lines with the wrong field count take
        # no position, so a mangled line does not renumber the GPUs after it.
        poll = pl.when(count_ok).then(ts_raw)
        position = pl.int_range(pl.len(), dtype=pl.Int32).over([pl.col("host"), poll])
        gpu_index = pl.when(poll.is_not_null()).then(position)

    def text(name: str) -> pl.Expr:
        raw = field(name)
        return pl.when(raw.is_in(NO_READING) | (raw == "")).then(None).otherwise(raw)

    candidates = data.with_columns(
        gpu_index=gpu_index,
        gpu_uuid=text("uuid"),
        gpu_name=text("name"),
        energy_mj=pl.lit(None, dtype=pl.Float64),
        workload=pl.lit(None, dtype=pl.String),
        reason=reason,
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, [])
