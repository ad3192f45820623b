"""nvidia-smi logs split into the fields a sample is made of: the fast path (polars' CSV split of a
well-formed log) and the line-by-line path (ragged lines, sections with other field lists,
undecodable bytes), which give the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, UnreadableFileError
from pipeline.readers.telemetry import _smi_fast
from pipeline.readers.telemetry._smi_header import (
    CONFIG_KEY,
    LINES_SCHEMA,
    Layout,
    configured_fields,
    header_lines,
)
from pipeline.readers.telemetry._smi_time import parse_times
from pipeline.readers.telemetry._smi_values import absent


def wanted(layout: Layout) -> list[str]:
    """The fields of `layout` a sample is made of."""
    wanted = {"timestamp", "hostname", "index", "uuid", "name", "utilization.gpu"}
    wanted |= {f for f in (layout.power, layout.identity) if f}
    return sorted(wanted & set(layout.col))


def extract(rows: pl.DataFrame, layout: Layout, layout_id: int, host: str) -> pl.DataFrame:
    """The fields a sample needs, as text, in columns every layout shares."""
    col = layout.col
    # Split each line once; the fields are taken from the materialised list.
    rows = rows.with_columns(
        parts=pl.col("raw").str.split(","),
    ).with_columns(
        n_fields=pl.col("parts").list.len().cast(pl.Int32),
        **{
            f"f_{name}": pl.col("parts").list.get(col[name], null_on_oob=True).str.strip_chars()
            for name in wanted(layout)
        },
    )
    return sample_fields(rows, layout, layout_id, host)


def sample_fields(rows: pl.DataFrame, layout: Layout, layout_id: int, host: str) -> pl.DataFrame:
    """`rows` (`line`, `segment`, `n_fields`, the stripped `f_<name>` of `wanted(layout)`, and
    `raw` or `ts_local` where known) → the columns every layout shares."""
    col = layout.col
    power, identity = layout.power, layout.identity

    def field(name: str | None) -> pl.Expr:
        if name is not None and name in col:
            return pl.col(f"f_{name}")
        return pl.lit(None, dtype=pl.String)

    def text(name: str) -> pl.Expr:
        raw = field(name)
        return pl.when(absent(raw) | (raw == "")).then(None).otherwise(raw)

    has_index = "index" in col
    return rows.select(
        "line",
        *[c for c in ("raw", "ts_local") if c in rows.columns],
        "segment",
        "n_fields",
        layout=pl.lit(layout_id, dtype=pl.Int32),
        count_ok=pl.col("n_fields") == len(layout.names),
        has_index=pl.lit(has_index),
        r_ts=field("timestamp"),
        host=field("hostname") if "hostname" in col else pl.lit(host, dtype=pl.String),
        r_index=field("index"),
        r_power=field(power),
        r_util=field("utilization.gpu"),
        gpu_uuid=text("uuid"),
        gpu_name=text("name"),
        # How to number GPUs without an index: by identity, else by position in the poll.
        id_key=pl.lit(None, dtype=pl.String) if has_index or not identity else text(identity),
        by_identity=pl.lit(not has_index and identity is not None),
    )


@dataclass(frozen=True)
class Rows:
    """A file's data lines as `sample_fields` columns, and how its sections were read."""

    frame: pl.DataFrame
    layouts: dict[tuple[str, ...], list[int]]  # field list → its sections
    origins: dict[int, str]  # section → where its field list came from
    bad_lines: list[int]  # 1-based lines that are not valid text
    # The fast path keeps no `raw` column: the text of the lines to quarantine, from their fields.
    raw_of: Callable[[pl.Series], pl.Series] | None = None


def fast_rows(source: TextFile, ctx: ReadContext, first: str, host: str) -> Rows | None:
    """A log whose first line is content and whose every line has the first line's field count
    and one field list (header or configured), split by polars' CSV reader; None otherwise, and
    the line-by-line path reads it (with the same result, only slower)."""
    n = first.count(",") + 1
    found = header_lines(pl.DataFrame({"line": [1], "raw": [first]}, schema=LINES_SCHEMA))
    names = found.get(1) or configured_fields(ctx, source.path)
    if names is None or len(names) != n:
        return None
    fields = _smi_fast.split_fields(source.data, n)
    if fields is None:
        return None
    layout = Layout(tuple(names))
    col = layout.col
    frame = fields.select(
        line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        **{f"f_{name}": pl.col(f"f{col[name]}").str.strip_chars() for name in wanted(layout)},
    )
    frame = parse_times(frame.with_row_index("_i"), "f_timestamp").drop("_i")
    # A header's timestamp column holds a field name, never a time: only lines whose time did not
    # parse can be headers, so only those are rebuilt as text and checked.
    unparsed = frame.filter(pl.col("ts_local").is_null())["line"]
    headers = header_lines(
        pl.DataFrame({"line": unparsed, "raw": _smi_fast.raw_lines(fields, unparsed)})
    )
    if any(tuple(found) != layout.names for found in headers.values()):
        return None  # a restart with another --query-gpu: sections with their own layouts
    header_at = sorted(headers)
    if header_at == [1]:
        data = frame.slice(1).with_columns(segment=pl.lit(1, dtype=pl.Int32))
    else:
        is_header = pl.col("line").is_in(header_at)
        data = frame.with_columns(segment=is_header.cum_sum().cast(pl.Int32)).filter(~is_header)
    origins = {k: f"as in the header on line {at}" for k, at in enumerate(header_at, start=1)}
    if not header_at or header_at[0] != 1:
        origins[0] = f"as configured in {CONFIG_KEY}"
    data = data.with_columns(n_fields=pl.lit(n, dtype=pl.Int32))
    return Rows(
        sample_fields(data, layout, 0, host),
        {layout.names: sorted(origins)},
        origins,
        [],
        lambda lines: _smi_fast.raw_lines(fields, lines),
    )


def line_rows(source: TextFile, ctx: ReadContext, host: str) -> Rows:
    """Any log, line by line: ragged lines, sections with other field lists, undecodable bytes."""
    path = source.path
    lines = (
        pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
    )
    headers = header_lines(lines)
    header_at = sorted(headers)
    data = lines.with_columns(
        segment=pl.col("line").is_in(header_at).cum_sum().cast(pl.Int32)
    ).filter(~pl.col("line").is_in(header_at) & (pl.col("raw").str.strip_chars() != ""))

    # Section k (k >= 1) follows the k-th header line; section 0 is what precedes any header.
    sections: dict[int, tuple[tuple[str, ...], str]] = {
        k: (tuple(headers[at]), f"as in the header on line {at}")
        for k, at in enumerate(header_at, start=1)
    }
    if data.height and data["segment"].min() == 0:
        configured = configured_fields(ctx, path)
        if configured is None:
            raise UnreadableFileError(
                f"{path}: nvidia-smi log without a header line (--format=csv,noheader) and no "
                f"field list configured; set {CONFIG_KEY} to the --query-gpu fields the log was "
                "written with, in order (e.g. [timestamp, index, uuid, name, power.draw, "
                "utilization.gpu]); the columns are not guessed"
            )
        sections[0] = (tuple(configured), f"as configured in {CONFIG_KEY}")
    layouts: dict[tuple[str, ...], list[int]] = {}
    for k, (names, _) in sorted(sections.items()):
        layouts.setdefault(names, []).append(k)
    origins = {k: origin for k, (_, origin) in sections.items()}

    parts = [
        extract(
            data if len(layouts) == 1 else data.filter(pl.col("segment").is_in(segs)),
            Layout(names),
            i,
            host,
        )
        for i, (names, segs) in enumerate(layouts.items())
    ]
    frame = parts[0] if len(parts) == 1 else pl.concat(parts).sort("line")
    return Rows(frame, layouts, origins, sorted(i + 1 for i in source.bad))
