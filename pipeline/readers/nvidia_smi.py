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

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from pipeline.readers import _smi_fast
from pipeline.readers._smi_gpus import number_gpus
from pipeline.readers._text import (
    NOT_TEXT_REASON,
    TextFile,
    assemble,
    first_content_line,
    join_reasons,
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
CONFIG_KEY = "telemetry.nvidia_smi_fields"

# Preference order when a log carries several: power.draw is what most sites log, and on current
# drivers it is the 1 s average, which integrates better than the instantaneous reading.
POWER_FIELDS = ("power.draw", "power.draw.average", "power.draw.instant")
# Columns that name a GPU when there is no `index` column, best first.
IDENTITY_FIELDS = ("uuid", "pci.bus_id", "serial")
# `--query-gpu` accepts these aliases; the header echoes the name as queried.
ALIASES = {
    "gpu_uuid": "uuid",
    "gpu_name": "name",
    "gpu_bus_id": "pci.bus_id",
    "gpu_serial": "serial",
}
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
# nvidia-smi's own timestamp format; the fast parser needs exactly three millisecond digits, the
# general one (run only on what the fast one refuses) takes any fraction or none.
TIMESTAMP_FAST = "%Y/%m/%d %H:%M:%S.%3f"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S%.f"
TIMESTAMP_EXAMPLE = "2024/01/15 10:00:00.123"

_HEADER_FIELD = re.compile(r"([a-z][a-z0-9_.]*)(?:\s*\[([^\]]*)\])?", re.IGNORECASE)
# A whole line of header-like fields: the vectorised pre-filter before `parse_header`.
_HEADER_LINE = (
    r"^\s*[A-Za-z][A-Za-z0-9_.]*(?:\s*\[[^\]]*\])?"
    r"(?:\s*,\s*[A-Za-z][A-Za-z0-9_.]*(?:\s*\[[^\]]*\])?)*\s*$"
)
_LINES_SCHEMA = {"line": pl.Int64, "raw": pl.String}
_TIMESTAMP_FIELD = re.compile(r"(?:^|,)\s*\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?\s*(?:,|$)")


def _canonical(name: str) -> str:
    name = name.lower()
    return ALIASES.get(name, name)


def parse_header(line: str) -> list[str] | None:
    """Lower-cased field names without units (aliases resolved), or None when not a header."""
    names: list[str] = []
    for part in line.split(","):
        match = _HEADER_FIELD.fullmatch(part.strip())
        if match is None:
            return None
        names.append(_canonical(match.group(1)))
    return names


def header_names(line: str) -> list[str] | None:
    """The field names when `line` is an nvidia-smi query header, else None."""
    names = parse_header(line)
    if (
        names is not None
        and "timestamp" in names
        and any(name.startswith(QUERY_FAMILIES) for name in names)
    ):
        return names
    return None


def is_noheader_line(line: str) -> bool:
    """A `--format=csv,noheader` data line: an nvidia-smi timestamp as one of several fields."""
    return "," in line and _TIMESTAMP_FIELD.search(line) is not None


def sniff(head: list[str]) -> bool:
    found = first_content_line(head)
    if found is None:
        return False
    return header_names(found[1]) is not None or is_noheader_line(found[1])


def configured_fields(ctx: ReadContext, path: object) -> list[str] | None:
    """The noheader field list from the config, checked; None when not configured."""
    if ctx.nvidia_smi_fields is None:
        return None
    names: list[str] = []
    for raw in ctx.nvidia_smi_fields:
        match = _HEADER_FIELD.fullmatch(str(raw).strip())
        if match is None:
            raise UnreadableFileError(
                f"{path}: {CONFIG_KEY} entry {raw!r} is not a --query-gpu field name "
                "(expected e.g. 'timestamp', 'index', 'power.draw')"
            )
        names.append(_canonical(match.group(1)))
    if "timestamp" not in names:
        raise UnreadableFileError(
            f"{path}: {CONFIG_KEY} ({', '.join(names)}) has no 'timestamp'; a noheader log can "
            "only be read when its field list includes the timestamp"
        )
    return names


@dataclass(frozen=True)
class _Layout:
    """One field list and the file sections written with it."""

    names: tuple[str, ...]

    @property
    def col(self) -> dict[str, int]:
        return {name: i for i, name in reversed(list(enumerate(self.names)))}  # first wins

    @property
    def power(self) -> str | None:
        return next((f for f in POWER_FIELDS if f in self.col), None)

    @property
    def identity(self) -> str | None:
        return next((f for f in IDENTITY_FIELDS if f in self.col), None)


def _quoted(raw: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("'"), raw, pl.lit("'"))


def _absent(raw: pl.Expr) -> pl.Expr:
    return raw.is_null() | raw.is_in(NO_READING)


def _number(raw: pl.Expr, unit: str) -> pl.Expr:
    """'250.12 W', '250.12W' or '250.12' → 250.12; anything else → null (or NaN/inf)."""
    return raw.str.strip_chars_end(f" {unit}").cast(pl.Float64, strict=False)


def _reading_ok(raw: pl.Expr, value: pl.Expr, upper: float | None) -> pl.Expr:
    ok = value.is_finite() & (value >= 0)
    if upper is not None:
        ok = ok & (value <= upper)
    return _absent(raw) | ok.fill_null(False)


def _reading_reason(
    name: str, raw: pl.Expr, value: pl.Expr, unit: str, example: str, upper: float | None
) -> pl.Expr:
    kind = "power in W" if unit == "W" else f"percentage in {unit}"
    reason = (
        pl.when(_absent(raw))
        .then(None)
        .when(value.is_null() | ~value.is_finite())
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
    return reason.otherwise(None)


def _header_lines(lines: pl.DataFrame) -> dict[int, list[str]]:
    """{1-based line: field names} of every header line in the file."""
    candidates = lines.filter(pl.col("raw").str.contains("(?i)timestamp"))
    candidates = candidates.filter(pl.col("raw").str.contains(_HEADER_LINE))
    names = {text: header_names(text) for text in candidates["raw"].unique().to_list()}
    return {
        line: found
        for line, text in candidates.select("line", "raw").iter_rows()
        if (found := names[text]) is not None
    }


def _wanted(layout: _Layout) -> list[str]:
    """The fields of `layout` a sample is made of."""
    wanted = {"timestamp", "hostname", "index", "uuid", "name", "utilization.gpu"}
    wanted |= {f for f in (layout.power, layout.identity) if f}
    return sorted(wanted & set(layout.col))


def _extract(rows: pl.DataFrame, layout: _Layout, layout_id: int, host: str) -> pl.DataFrame:
    """The fields a sample needs, as text, in columns every layout shares."""
    col = layout.col
    # Split each line once; the fields are taken from the materialised list.
    rows = rows.with_columns(
        parts=pl.col("raw").str.split(","),
    ).with_columns(
        n_fields=pl.col("parts").list.len().cast(pl.Int32),
        **{
            f"f_{name}": pl.col("parts").list.get(col[name], null_on_oob=True).str.strip_chars()
            for name in _wanted(layout)
        },
    )
    return _sample_fields(rows, layout, layout_id, host)


def _sample_fields(rows: pl.DataFrame, layout: _Layout, layout_id: int, host: str) -> pl.DataFrame:
    """`rows` (`line`, `segment`, `n_fields`, the stripped `f_<name>` of `_wanted(layout)`, and
    `raw` or `ts_local` where known) → the columns every layout shares."""
    col = layout.col
    power, identity = layout.power, layout.identity

    def field(name: str | None) -> pl.Expr:
        if name is not None and name in col:
            return pl.col(f"f_{name}")
        return pl.lit(None, dtype=pl.String)

    def text(name: str) -> pl.Expr:
        raw = field(name)
        return pl.when(_absent(raw) | (raw == "")).then(None).otherwise(raw)

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


def _parse_times(frame: pl.DataFrame, raw: str = "r_ts") -> pl.DataFrame:
    """`ts_local` from the timestamp text in column `raw`; `frame` needs a row index `_i`."""
    frame = frame.with_columns(
        ts_local=pl.col(raw).str.strptime(
            pl.Datetime("us"), TIMESTAMP_FAST, strict=False, cache=False
        )
    )
    refused = frame.filter(pl.col("ts_local").is_null() & pl.col(raw).is_not_null())
    if refused.height:
        # Other fractions (or none): the general parser, on the few lines the fast one refused.
        again = refused.select(
            "_i",
            ts=pl.col(raw).str.strptime(pl.Datetime("us"), TIMESTAMP_FORMAT, strict=False),
        )
        ts = frame["ts_local"].scatter(again["_i"], again["ts"])
        frame = frame.with_columns(ts_local=ts)
    return frame


def _fall_back_days(dates: list[date], tz: str) -> list[date]:
    """The local dates among `dates` on which `tz` turns its clocks back (a repeated hour)."""
    zone = ZoneInfo(tz)
    days = []
    for day in dates:
        start = datetime.combine(day, time(0), zone)
        end = datetime.combine(day + timedelta(days=1), time(0), zone) if day < date.max else start
        offset_start, offset_end = start.utcoffset(), end.utcoffset()
        if offset_start is not None and offset_end is not None and offset_end < offset_start:
            days.append(day)
    return days


def _to_utc(frame: pl.DataFrame, tz: str) -> pl.Series:
    """Local wall-clock → naive UTC; the autumn repeated hour resolved by file order per GPU."""
    local = frame["ts_local"]
    if tz == "UTC":
        return local.rename("ts_utc")
    chosen = local.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    first, last = local.min(), local.max()
    if first is None or last is None:
        return local.rename("ts_utc")  # no parsed time at all
    assert isinstance(first, datetime) and isinstance(last, datetime)
    if (last - first).days <= 400:
        span = range((last.date() - first.date()).days + 1)
        dates = [first.date() + timedelta(days=d) for d in span]
    else:  # a long or garbled span: only the dates that occur
        dates = local.dt.date().drop_nulls().unique().to_list()
    days = _fall_back_days(dates, tz)
    if days:
        # Only rows on a fall-back day can be ambiguous: both readings on those rows alone.
        rows = frame.select("_i", "host", "gpu_index", "ts_local").filter(
            pl.col("ts_local").dt.date().is_in(days)
        )
        rows = rows.with_columns(
            early=pl.col("ts_local").dt.replace_time_zone(
                tz, ambiguous="earliest", non_existent="null"
            ),
            late=pl.col("ts_local").dt.replace_time_zone(
                tz, ambiguous="latest", non_existent="null"
            ),
        ).filter(pl.col("early") != pl.col("late"))
        keys = ["host", "gpu_index", pl.col("ts_local").dt.date()]
        # Once a GPU's wall clock steps back (or repeats) inside the hour, the clock has fallen
        # back: that row and the GPU's later rows in the hour are the second pass.
        step = (pl.col("ts_local") <= pl.col("ts_local").shift(1).over(keys)).fill_null(False)
        second = (
            rows.with_columns(step=step)
            .filter(pl.col("step").cast(pl.Int32).cum_sum().over(keys) > 0)
            .select("_i", "late")
        )
        if second.height:
            chosen = chosen.scatter(second["_i"], second["late"])
    return chosen.dt.convert_time_zone("UTC").dt.replace_time_zone(None).rename("ts_utc")


def _reasons(layout: _Layout, origins: dict[int, str], tz: str) -> pl.Expr:
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
                _quoted(ts_raw),
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
            _reading_reason(power, pl.col("r_power"), pl.col("power_w"), "W", "250.12 W", None)
        )
    if has_util:
        field_reasons.append(
            _reading_reason(
                "utilization.gpu", pl.col("r_util"), pl.col("util_pct"), "%", "45 %", 100.0
            )
        )
    if "index" in layout.col:
        field_reasons.append(
            pl.when(pl.col("index_bad")).then(
                pl.concat_str(
                    pl.lit("index: expected a GPU index like '0', got "), _quoted(pl.col("r_index"))
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


@dataclass(frozen=True)
class _Rows:
    """A file's data lines as `_sample_fields` columns, and how its sections were read."""

    frame: pl.DataFrame
    layouts: dict[tuple[str, ...], list[int]]  # field list → its sections
    origins: dict[int, str]  # section → where its field list came from
    bad_lines: list[int]  # 1-based lines that are not valid text
    # The fast path keeps no `raw` column: the text of the lines to quarantine, from their fields.
    raw_of: Callable[[pl.Series], pl.Series] | None = None


def _fast_rows(source: TextFile, ctx: ReadContext, first: str, host: str) -> _Rows | None:
    """A log whose first line is content and whose every line has the first line's field count
    and one field list (header or configured), split by polars' CSV reader; None otherwise, and
    the line-by-line path reads it (with the same result, only slower)."""
    n = first.count(",") + 1
    found = _header_lines(pl.DataFrame({"line": [1], "raw": [first]}, schema=_LINES_SCHEMA))
    names = found.get(1) or configured_fields(ctx, source.path)
    if names is None or len(names) != n:
        return None
    fields = _smi_fast.split_fields(source.data, n)
    if fields is None:
        return None
    layout = _Layout(tuple(names))
    col = layout.col
    frame = fields.select(
        line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        **{f"f_{name}": pl.col(f"f{col[name]}").str.strip_chars() for name in _wanted(layout)},
    )
    frame = _parse_times(frame.with_row_index("_i"), "f_timestamp").drop("_i")
    # A header's timestamp column holds a field name, never a time: only lines whose time did not
    # parse can be headers, so only those are rebuilt as text and checked.
    unparsed = frame.filter(pl.col("ts_local").is_null())["line"]
    headers = _header_lines(
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
    return _Rows(
        _sample_fields(data, layout, 0, host),
        {layout.names: sorted(origins)},
        origins,
        [],
        lambda lines: _smi_fast.raw_lines(fields, lines),
    )


def _line_rows(source: TextFile, ctx: ReadContext, host: str) -> _Rows:
    """Any log, line by line: ragged lines, sections with other field lists, undecodable bytes."""
    path = source.path
    lines = (
        pl.DataFrame({"raw": source.lines}, schema={"raw": pl.String})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
    )
    headers = _header_lines(lines)
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
        _extract(
            data if len(layouts) == 1 else data.filter(pl.col("segment").is_in(segs)),
            _Layout(names),
            i,
            host,
        )
        for i, (names, segs) in enumerate(layouts.items())
    ]
    frame = parts[0] if len(parts) == 1 else pl.concat(parts).sort("line")
    return _Rows(frame, layouts, origins, sorted(i + 1 for i in source.bad))


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
        rows = _line_rows(source, ctx, host)
    return _judge(source, rows, tz, ctx.gpus_per_host)


def _judge(
    source: TextFile, rows: _Rows, tz: str, gpus_per_host: Mapping[str, int] | None
) -> ReadResult:
    """Values parsed and checked, GPUs numbered, times in UTC; accepted rows and quarantine."""
    frame = rows.frame.with_row_index("_i")
    if "ts_local" not in frame.columns:
        frame = _parse_times(frame)

    power_w = _number(pl.col("r_power"), "W")
    util_pct = _number(pl.col("r_util"), "%")
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
    frame = frame.with_columns(ts_utc=_to_utc(frame, tz))

    bad_lines = rows.bad_lines
    ok = (
        pl.col("count_ok")
        & pl.col("ts_utc").is_not_null()
        & pl.col("host").is_not_null()
        & (pl.col("host") != "")
        & pl.col("gpu_index").is_not_null()
        & _reading_ok(pl.col("r_power"), pl.col("power_w"), None)
        & _reading_ok(pl.col("r_util"), pl.col("util_pct"), 100.0)
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
            reason = _reasons(_Layout(names), rows.origins, tz)
            judged.append(part.select(*values, "raw", reason=reason))
    candidates = pl.concat(judged).with_columns(
        energy_mj=pl.lit(None, dtype=pl.Float64),
        workload=pl.lit(None, dtype=pl.String),
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, candidates, [])
