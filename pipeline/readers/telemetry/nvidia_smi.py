"""`nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` logs → raw_gpu_samples.

What nvidia-smi writes, and how each shape is read:

- `csv`: a header line (`timestamp, index, power.draw [W], utilization.gpu [%]`) and values with
  units (`250.12 W`, `45 %`); `csv,nounits`: the same header (units still in brackets), values
  bare. Fields come in whatever order and subset `--query-gpu` named; names are matched without
  case and units, with nvidia-smi's aliases (`gpu_uuid`, `gpu_name`, `gpu_bus_id`, `gpu_serial`).
- `csv,noheader[,nounits]`: no header, so which column is which comes from the config
  (`telemetry.nvidia_smi_fields`, `ReadContext.nvidia_smi_fields`). Such a log is recognised by its
  first line holding an nvidia-smi timestamp (`2024/01/15 10:00:00.123`) as a comma-separated
  field. Without a configured list the file is unreadable (the columns are never guessed: a wrong
  guess would silently read memory or clocks as power); a line whose field count differs from the
  configured list is quarantined with a reason naming the list.
- Logs appended run after run repeat the header; every header line starts a new section read with
  its own field list, so a restart with a different `--query-gpu` reads correctly too. Lines
  before the first header (a noheader log that later gained one) use the configured list.
- `[N/A]`, `[Not Supported]`, `[Not Available]` are readings nvidia-smi could not take: null, not
  a bad row. A line with the wrong field count (a logger killed mid-line) is quarantined.
- Power: `power.draw`, else `power.draw.average`, else `power.draw.instant` (on current drivers
  power.draw is the 1 s average, which integrates best). A reading must be a finite, non-negative
  number of W; utilisation a number in 0..100.
- Host: an optional `hostname` column, else the name of the folder the file sits in.
- GPU index: the `index` column; without one, the uuid/bus id/serial, else the rows of one poll
  cut by the pauses between polls and the host's GPU count in the inventory; never more GPUs on
  a host than the inventory lists (`_smi_gpus`, which says how).
- Time: nvidia-smi writes the host's local wall-clock time without a zone; it is read in the site's
  zone (`ctx.timezone_for_path`). A time skipped by the spring change is quarantined. A time in the
  autumn repeated hour is resolved by file order per GPU: rows take the earlier (summer-time)
  instant until that GPU's wall clock steps back (or repeats) inside the repeated hour, and the
  later instant from there on, so a log written straight through the change keeps every sample
  distinct and in order. A file that starts inside the second pass cannot be told from one inside
  the first pass and is read as the first (log in UTC, or rotate files outside 02:00-03:00 local).
- Energy: `--query-gpu` has no energy-counter field (checked against the field catalogue of
  driver 590, which lists power.draw/.average/.instant but no energy), so `energy_mj` is null here;
  the DCGM exporter and the telemetry Parquet layout carry the counter.

Files run to millions of lines, so every step is a polars expression over all lines at once:
each line is split once, values are parsed with the fixed nvidia-smi formats (a slower general
timestamp parse runs only for the lines the fast one refuses), and the per-row reason text is
built only for the rows that are bad.

Two ways in, one answer. A well-formed log (its first line content, every line with that line's
field count, one field list for all sections, valid UTF-8 without NUL) is split from its bytes by
polars' CSV reader (`_smi_fast`), with no Python string per line; the text of its quarantined
lines is rebuilt from their fields. Anything else (a ragged or blank line, a restart with another
`--query-gpu`, undecodable bytes, a stray carriage return) is read line by line from
`TextFile.lines`. Quotes are plain characters on both paths (nvidia-smi never quotes), and both
feed the same checks, so a file reads the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble, first_content_line, zone_for
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.telemetry._smi_gpus import number_gpus
from pipeline.readers.telemetry._smi_header import (
    CONFIG_KEY,
    Layout,
    header_names,
    is_noheader_line,
    sniff,
)
from pipeline.readers.telemetry._smi_rows import Rows, line_rows
from pipeline.readers.telemetry._smi_rows import (
    fast_rows as _fast_rows,  # tests patch it to go line by line
)
from pipeline.readers.telemetry._smi_time import TIMESTAMP_EXAMPLE, parse_times, to_utc
from pipeline.readers.telemetry._smi_values import number, reading_ok, reasons

__all__ = ["FORMAT", "NOT_NULL", "NOT_TEXT_REASON", "SCHEMA", "TABLE", "read", "sniff"]

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


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    found = first_content_line(source.iter_lines())
    if found is None or (header_names(found[1]) is None and not is_noheader_line(found[1])):
        raise UnreadableFileError(
            f"{path}: no nvidia-smi header line; expected e.g. "
            "'timestamp, index, uuid, name, power.draw [W], utilization.gpu [%]' "
            "(--format=csv), or a first line starting with an nvidia-smi timestamp like "
            f"'{TIMESTAMP_EXAMPLE}' (--format=csv,noheader with {CONFIG_KEY} set)"
        )
    tz = zone_for(path, ctx)
    host = path.resolve().parent.name
    rows = _fast_rows(source, ctx, found[1], host) if found[0] == 0 else None
    if rows is None:
        rows = line_rows(source, ctx, host)
    return _judge(source, rows, tz, ctx.gpus_per_host)


def _judge(
    source: TextFile, rows: Rows, tz: str, gpus_per_host: Mapping[str, int] | None
) -> ReadResult:
    """Values parsed and checked, GPUs numbered, times in UTC; accepted rows and quarantine."""
    frame = rows.frame.with_row_index("_i")
    if "ts_local" not in frame.columns:
        frame = parse_times(frame)

    power_w = number(pl.col("r_power"), "W")
    util_pct = number(pl.col("r_util"), "%")
    index = pl.col("r_index").cast(pl.Int32, strict=False)
    frame = frame.with_columns(
        power_w=power_w,
        util_pct=util_pct,
        index=index,
        index_bad=pl.col("has_index") & (index.is_null() | (index < 0)),
    )
    frame = number_gpus(
        frame.with_columns(index=pl.when(pl.col("index_bad")).then(None).otherwise("index")),
        gpus_per_host,
    )
    frame = frame.with_columns(ts_utc=to_utc(frame, tz))

    bad_lines = rows.bad_lines
    ok = (
        pl.col("count_ok")
        & pl.col("ts_utc").is_not_null()
        & pl.col("host").is_not_null()
        & (pl.col("host") != "")
        & pl.col("gpu_index").is_not_null()
        & reading_ok(pl.col("r_power"), pl.col("power_w"), None)
        & reading_ok(pl.col("r_util"), pl.col("util_pct"), 100.0)
    )
    if bad_lines:
        ok = ok & ~pl.col("line").is_in(bad_lines)
    frame = frame.with_columns(ok=ok)
    values = ["line", "host", "gpu_index", "gpu_uuid", "gpu_name", "ts_utc", "power_w", "util_pct"]
    good = (
        frame.lazy()
        .filter("ok")
        .select(*values, raw=pl.lit(None, dtype=pl.String), reason=pl.lit(None, dtype=pl.String))
        .collect()
    )
    # One chunk: polars 2.1 can panic evaluating the reasons' `pl.format` over a frame in several
    # chunks (sections with other field lists are read apart and concatenated).
    bad = (
        frame.filter(~pl.col("ok")).with_columns(not_text=pl.col("line").is_in(bad_lines)).rechunk()
    )
    if rows.raw_of is not None:
        bad = bad.with_columns(raw=rows.raw_of(bad["line"]))
    judged = [good]
    for i, names in enumerate(rows.layouts):
        part = bad.filter(pl.col("layout") == i)
        if part.height:
            reason = reasons(Layout(names), rows.origins, tz)
            judged.append(part.select(*values, "raw", reason=reason))
    candidates = pl.concat(judged).with_columns(
        energy_mj=pl.lit(None, dtype=pl.Float64),
        workload=pl.lit(None, dtype=pl.String),
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, [])
