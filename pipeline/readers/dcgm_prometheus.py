"""dcgm-exporter Prometheus text scrapes (`curl <node>:9400/metrics > file`) → raw_gpu_samples.

What a row is. A scrape holds one line per metric family × GPU (× MIG instance); only three
families are our data:

- `DCGM_FI_DEV_POWER_USAGE` (W) → `power_w`,
- `DCGM_FI_DEV_GPU_UTIL` (%) → `util_pct`,
- `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION` (mJ since boot, a counter) → `energy_mj`, kept raw:
  counter resets and wrap are the method's business, not the reader's.

A row ("reading") is one GPU at one time: the lines of those three metrics for one host × GPU ×
timestamp, merged into one raw_gpu_samples row whose `line` is the first of them. Every other
family (clocks, temperatures, memory, `DCGM_FI_PROF_*`, `DCGM_FI_DEV_POWER_USAGE_INSTANT`, the
exporter's own metrics) is not a row. `rows_read` counts readings, plus every line that cannot
be parsed at all, each its own quarantined row (we cannot tell what it held).

Labels. host = `Hostname` (older exporters) else `hostname` (newer) else the name of the folder
the file sits in (`telemetry/<host>/`, as for nvidia-smi); `gpu` → gpu_index, `UUID` → gpu_uuid,
`modelName` → gpu_name. workload = "<namespace>/<pod>" when both `pod` and `namespace` are set
(the `container` label is not part of it), else the `hpc_job` label, else NULL. An empty label
(`pod=""`, as the exporter writes for GPUs no pod holds) counts as absent.

MIG. With MIG enabled the exporter writes one series per GPU instance (labels `GPU_I_ID`,
`GPU_I_PROFILE`), each repeating its parent GPU's device-level power and energy counter. The GPU
is counted once: its instances' lines merge into the parent's reading (key host × `gpu` × time),
and the repeated values must agree (repeats that disagree quarantine the reading, because nothing
says which one is right). `DCGM_FI_DEV_GPU_UTIL` is not supported for MIG instances (the
exporter writes 0 or nothing; dcgm-exporter issues #105, #216), so instance series give no
util_pct: a MIG GPU's util_pct is NULL rather than a false 0. workload is kept only when every
series of the reading names the same one; instances running different workloads, or a busy
instance beside an idle one, give NULL, so the whole GPU is never charged to one of its tenants
(the method then splits the GPU by scheduler allocations). The same rule covers several pods
sharing one GPU by time-slicing.

Time. A sample line may end with a timestamp (ms since 1970, UTC); it is used. A line without
one (what the exporter serves, and what all four real scrapes in shared/data hold) was read at
scrape time, which is the file's modification time (UTC): `curl ... > file` leaves exactly that.
Copy such files with their times kept (`cp -p`, `rsync -t`), or the copy time becomes the reading
time. Many scrapes appended into one file need timestamps: without them every scrape gets the same
time, their repeated series disagree and those readings are quarantined (identical repeats
merge). Times must fall in 1970-2099; a line whose time cannot be read belongs to no reading
that could be named and is quarantined as a row of its own.

Values: NaN, ±Inf or negative power or energy, and utilisation outside 0-100, quarantine the
reading with a reason naming the metric and the line.

Parsing. Lines are parsed by prometheus_client's text parser (prometheus_client.parser), never
by hand, and every problem names its physical line. To keep large appended files fast, a line
is split in polars into its series part (name and label block) and its value and timestamp
tokens: each distinct series part is parsed once by prometheus_client (a day of scrapes repeats
a handful of series thousands of times), the plain number tokens are cast in polars with the
same grammar, and any line the split does not recognise is parsed whole by prometheus_client,
whose verdict decides whether it is quarantined. Lines of other families that are plainly
well-formed are skipped without parsing; any other line goes to prometheus_client too.
`# HELP`/`# TYPE` lines are metadata; one prometheus_client refuses is quarantined as
unparseable, other `#` lines are comments.

`merge` and `label_columns` are shared with the Prometheus JSON reader (prometheus_json.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import polars as pl
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from pipeline.readers._text import NOT_TEXT_REASON, TextFile, assemble, join_reasons, problem
from pipeline.readers.base import Problem, ReadContext, ReadResult, UnreadableFileError

# raw_gpu_samples, the same table (and so the same columns) as the nvidia-smi reader.
from pipeline.readers.nvidia_smi import NOT_NULL, SCHEMA

FORMAT = "dcgm-prometheus-text"
TABLE = "raw_gpu_samples"
__all__ = ["FORMAT", "NOT_NULL", "SCHEMA", "TABLE", "read", "sniff"]

POWER = "DCGM_FI_DEV_POWER_USAGE"
UTIL = "DCGM_FI_DEV_GPU_UTIL"
ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
METRICS = {POWER: "power_w", UTIL: "util_pct", ENERGY: "energy_mj"}
# The labels we read; every other label (pci_bus_id, device, driver version...) is ignored.
LABELS = (
    "Hostname",
    "hostname",
    "gpu",
    "UUID",
    "modelName",
    "pod",
    "namespace",
    "hpc_job",
    "GPU_I_ID",
    "GPU_I_PROFILE",
)
LABEL_SCHEMA = {name: pl.String for name in LABELS}

# Sample times outside this span are corrupt, not telemetry.
FIRST_US = 0
END_US = int((datetime(2100, 1, 1) - datetime(1970, 1, 1)).total_seconds()) * 1_000_000

SAMPLE_EXAMPLE = '\'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-...",Hostname="node-1"} 250.5\''

# --- detection ------------------------------------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity|nan)"
_SNIFF_META = re.compile(r"#\s+(?:HELP|TYPE)\s+DCGM_FI_")
_SNIFF_SAMPLE = re.compile(
    rf"({_NAME})?\s*(\{{.*\}})?\s+(?:{_NUMBER})(?:\s+[+-]?[0-9]+)?", re.DOTALL
)
_SNIFF_NAME_LABEL = re.compile(r'__name__\s*=\s*"(DCGM_FI_)')


def sniff(head: list[str]) -> bool:
    """A DCGM `# HELP`/`# TYPE` line, or a `DCGM_FI_` sample line, before any line that is not
    Prometheus text (so a Markdown page quoting a scrape is not taken for one)."""
    for line in head:
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            if _SNIFF_META.match(text):
                return True
            continue  # another family's metadata, or a comment
        match = _SNIFF_SAMPLE.fullmatch(text)
        if match is None or not (match.group(1) or match.group(2)):
            return False
        if (match.group(1) or "").startswith("DCGM_FI_") or (
            match.group(1) is None and _SNIFF_NAME_LABEL.search(match.group(2))
        ):
            return True
    return False


# --- shared with the JSON reader: labels → table columns, samples → readings ------------------


def _present(name: str) -> pl.Expr:
    """A label's value, with the empty string (how the exporter writes 'no pod') as absent."""
    value = pl.col(name)
    return pl.when(value != "").then(value)


def label_columns(samples: pl.DataFrame, fallback_host: str | None) -> pl.DataFrame:
    """host, gpu, gpu_uuid, gpu_name, workload and mig from the LABELS columns."""
    pod, namespace = _present("pod"), _present("namespace")
    return samples.with_columns(
        host=pl.coalesce(
            _present("Hostname"), _present("hostname"), pl.lit(fallback_host, dtype=pl.String)
        ),
        gpu=_present("gpu"),
        gpu_uuid=_present("UUID"),
        gpu_name=_present("modelName"),
        workload=pl.when(pod.is_not_null() & namespace.is_not_null())
        .then(pl.concat_str(namespace, pl.lit("/"), pod))
        .otherwise(_present("hpc_job")),
        mig=(_present("GPU_I_ID").is_not_null() | _present("GPU_I_PROFILE").is_not_null()),
    )


def folder_host(path: Path) -> str | None:
    """The host a file's folder names (`telemetry/<host>/scrape.prom`), as for nvidia-smi."""
    return Path(path).resolve().parent.name or None


_CHECKS = {
    # metric: (column, bad value test, what was expected)
    POWER: ("power_w", lambda v: v < 0, "a finite non-negative number in W"),
    UTIL: ("util_pct", lambda v: (v < 0) | (v > 100), "a number from 0 to 100 (%)"),
    ENERGY: ("energy_mj", lambda v: v < 0, "a finite non-negative counter in mJ"),
}


def merge(samples: pl.DataFrame, ts_expected: str) -> pl.DataFrame:
    """One candidate row per host × gpu × time from the samples of the three metrics.

    `samples` has `pos` (unique, in document order), `where` (the place a reason names: 'line 12'
    or 'data.result[2].values[17]'), `metric`, `value` (null when not a number), `value_text`,
    `ts_us` (µs since 1970, null when unreadable), `ts_text`, `sample_reason`, `raw` and the
    `label_columns` output. Returns `pos` (the reading's first), the table's value columns,
    `reason` (null = fine) and `raw` (its samples' text, filled for rows that fail).
    """
    value = pl.col("value")
    s = samples.sort("pos").with_columns(
        ts_utc=pl.when(pl.col("ts_us").is_between(FIRST_US, END_US, closed="left")).then(
            pl.from_epoch(pl.col("ts_us"), time_unit="us")
        ),
        nonfinite=value.is_null() | value.is_nan() | value.is_infinite(),
    )
    s = s.with_columns(
        ts_bad=pl.when(pl.col("ts_utc").is_null()).then(
            pl.coalesce(pl.col("ts_text"), pl.lit("nothing"))
        )
    )
    # A sample whose time cannot be read belongs to no reading we could name: it is a row of
    # its own (its `pos`). `over` puts nulls (a missing gpu label) in one group, like group_by.
    s = s.with_columns(
        gid=pl.col("pos")
        .min()
        .over(["host", "gpu", "ts_utc", pl.when(pl.col("ts_utc").is_null()).then(pl.col("pos"))])
    )

    aggs: list[pl.Expr] = [
        pl.col("host", "gpu", "ts_utc", "ts_bad", "where").first(),
        pl.col("sample_reason").drop_nulls().first(),
        pl.col("gpu_uuid").drop_nulls().min().alias("uuid_lo"),
        pl.col("gpu_uuid").drop_nulls().max().alias("uuid_hi"),
        pl.col("gpu_name").drop_nulls().min().alias("name_lo"),
        pl.col("gpu_name").drop_nulls().max().alias("name_hi"),
        pl.col("workload").n_unique().alias("workload_n"),
        pl.col("workload").first(),
    ]
    for metric, (column, out_of_range, _) in _CHECKS.items():
        sel = pl.col("metric") == metric
        if metric == UTIL:
            sel = sel & ~pl.col("mig")  # instances report 0 or nothing, not the GPU's util
        bad = sel & (pl.col("nonfinite") | out_of_range(value))
        good = sel & ~bad
        good_values = value.filter(good)
        aggs += [
            pl.col("where").filter(bad).first().alias(f"{column}_bad_where"),
            pl.col("value_text").filter(bad).first().alias(f"{column}_bad_text"),
            good_values.min().alias(f"{column}_lo"),
            good_values.max().alias(f"{column}_hi"),
            pl.col("where").filter(good).sort_by(good_values).first().alias(f"{column}_lo_at"),
            pl.col("where").filter(good).sort_by(good_values).last().alias(f"{column}_hi_at"),
        ]
    readings = s.group_by("gid").agg(aggs).rename({"gid": "pos"})

    where = pl.col("where")
    reasons = [
        pl.col("sample_reason"),
        pl.when(pl.col("gpu").is_null())
        .then(pl.format('gpu ({}): expected a GPU index label like gpu="0", got nothing', where))
        .when(~pl.col("gpu").str.contains(r"^[0-9]{1,9}$"))
        .then(
            pl.format(
                "gpu ({}): expected a GPU index label like gpu=\"0\", got '{}'",
                where,
                pl.col("gpu"),
            )
        ),
        pl.when(pl.col("ts_utc").is_null()).then(
            pl.format(
                f"timestamp ({{}}): expected {ts_expected} within years 1970-2099, got {{}}",
                where,
                pl.col("ts_bad"),
            )
        ),
        pl.when(pl.col("uuid_lo") != pl.col("uuid_hi")).then(
            pl.format(
                "gpu_uuid (UUID label): expected one GPU per host, gpu index and time, "
                "got '{}' and '{}'",
                pl.col("uuid_lo"),
                pl.col("uuid_hi"),
            )
        ),
        pl.when(pl.col("name_lo") != pl.col("name_hi")).then(
            pl.format(
                "gpu_name (modelName label): expected one GPU model per host, gpu index and "
                "time, got '{}' and '{}'",
                pl.col("name_lo"),
                pl.col("name_hi"),
            )
        ),
    ]
    for metric, (column, _, expected) in _CHECKS.items():
        lo, hi = pl.col(f"{column}_lo"), pl.col(f"{column}_hi")
        reasons.append(
            pl.when(pl.col(f"{column}_bad_where").is_not_null())
            .then(
                pl.format(
                    f"{column} ({metric} at {{}}): expected {expected}, got {{}}",
                    pl.col(f"{column}_bad_where"),
                    pl.coalesce(pl.col(f"{column}_bad_text"), pl.lit("nothing")),
                )
            )
            .when(lo != hi)
            .then(
                pl.format(
                    f"{column} ({metric}): expected one value per GPU and time (MIG instances "
                    "and repeated lines must agree), got {} at {} and {} at {}",
                    lo.cast(pl.String),
                    pl.col(f"{column}_lo_at"),
                    hi.cast(pl.String),
                    pl.col(f"{column}_hi_at"),
                )
            )
        )
    readings = readings.with_columns(
        reason=join_reasons(reasons),
        gpu_index=pl.when(pl.col("gpu").str.contains(r"^[0-9]{1,9}$")).then(
            pl.col("gpu").cast(pl.Int32, strict=False)
        ),
        gpu_uuid=pl.col("uuid_lo"),
        gpu_name=pl.col("name_lo"),
        workload=pl.when(pl.col("workload_n") == 1).then(pl.col("workload")),
        **{
            column: pl.when(pl.col(f"{column}_lo") == pl.col(f"{column}_hi")).then(
                pl.col(f"{column}_lo") + 0.0  # -0.0 → 0.0
            )
            for column, _, _ in _CHECKS.values()
        },
    )
    # The raw text only for rows that will be quarantined (a big file has few of them).
    failing = pl.col("reason").is_not_null()
    for column in NOT_NULL:
        if column in readings.columns:
            failing = failing | pl.col(column).is_null()
    bad_pos = readings.filter(failing)["pos"]
    raws = (
        s.filter(pl.col("gid").is_in(bad_pos.implode()))
        .group_by("gid")
        .agg(pl.col("raw").sort_by("pos").str.join("\n"))
        .rename({"gid": "pos"})
    )
    return (
        readings.join(raws, on="pos", how="left")
        .with_columns(pl.col("raw").fill_null(""))
        .sort("pos")
        .select(
            "pos",
            "reason",
            "raw",
            "host",
            "gpu_index",
            "gpu_uuid",
            "gpu_name",
            "ts_utc",
            "power_w",
            "util_pct",
            "energy_mj",
            "workload",
        )
    )


# --- the text reader ------------------------------------------------------------------------

_OURS = "|".join(METRICS)
_LABEL_BLOCK = r'\{(?:[^"{}\\]|"(?:[^"\\]|\\.)*")*\}'
# A line naming one of our families: `NAME{...} value [timestamp]` or `NAME value [timestamp]`.
_OURS_NAME = rf"^(?:{_OURS})(?:[ \t{{]|$)"
# Its value and optional timestamp: the whitespace-separated tokens after the last `}` (a label
# value may hold spaces, never an unquoted `}`). What is left before them is the series part.
_TAIL = r"[ \t]+[^ \t}]+(?:[ \t]+[^ \t}]+)?[ \t]*$"
_VALUE_TOKEN = rf"^(?:{_NUMBER})$"
_TS_TOKEN = r"^[+-]?[0-9]+$"
# Another family's plainly well-formed line: not our data, skipped without parsing.
_OTHER_LINE = rf"^{_NAME}[ \t]*(?:{_LABEL_BLOCK})?[ \t]+(?:{_NUMBER})(?:[ \t]+[+-]?[0-9]+)?[ \t]*$"
# `# HELP name text` and `# TYPE name type`, as prometheus_client accepts them.
_META = r"^#[ \t]+(?:HELP|TYPE)(?:[ \t]|$)"
_META_OK = rf"^#[ \t]+(?:HELP[ \t]+{_NAME}(?:[ \t].*)?|TYPE[ \t]+{_NAME}[ \t]+\S.*)$"


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


def _mtime_us(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns // 1000
    except OSError as exc:
        raise UnreadableFileError(
            f"{path}: cannot read the file's modification time, which dates samples written "
            f"without a timestamp: {exc.strerror or exc}"
        ) from exc


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    path = source.path
    text = pl.col("text")
    lines = (
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
    ours = ours.filter(pl.col("fast"))
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
    fast = ours.join(series_frame, on="series", how="inner").select(
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

    # Slow path: whatever the split did not recognise is parsed whole; the parser decides.
    slow_rows = []
    for line, raw in to_check.select("line", "raw").iter_rows():
        try:
            samples = _parse(raw)
        except Exception as exc:  # noqa: BLE001 - any parser failure quarantines the line
            problems.append(problem(line, _unparseable(_why(exc)), raw))
            continue
        slow_rows += [_slow_row(line, raw, s) for s in samples if s.name in METRICS]

    samples = pl.concat([fast, _sample_frame(slow_rows)], how="vertical_relaxed")
    if samples.filter(pl.col("ts_text").is_null()).height:
        # No timestamp on the line: read at scrape time, i.e. when the file was written.
        samples = samples.with_columns(
            ts_us=pl.when(pl.col("ts_text").is_null())
            .then(pl.lit(_mtime_us(path), dtype=pl.Int64))
            .otherwise(pl.col("ts_us"))
        )
    samples = label_columns(samples, folder_host(path)).with_columns(
        where=pl.format("line {}", pl.col("pos")),
        sample_reason=pl.lit(None, dtype=pl.String),
    )
    readings = merge(samples, "a sample timestamp in ms since 1970-01-01 UTC").rename(
        {"pos": "line"}
    )
    return assemble(source, FORMAT, TABLE, SCHEMA, NOT_NULL, readings, problems)
