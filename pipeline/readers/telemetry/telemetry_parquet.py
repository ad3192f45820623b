"""Canonical GPU telemetry Parquet (the "telemetry lake" layout) → raw_gpu_samples.

The layout (documented for users in docs/telemetry-parquet.md) is one row per GPU per sample:

| column | type | required |
|---|---|---|
| `ts_utc` | timestamp (s/ms/us/ns); zone-less = UTC, with a zone = converted to UTC | yes |
| `host` | string | yes |
| `gpu_index` | integer (any width, signed or unsigned), 0 .. 2^31-1 | yes |
| `power_w` | float (or integer/decimal), W | at least one of |
| `energy_mj` | float (or integer/decimal), mJ counter since boot/driver load | the three |
| `util_pct` | float (or integer/decimal), 0..100 | readings |
| `gpu_uuid`, `gpu_name` | string | no |
| `workload` | string: the job id as its allocation spells it (Slurm `4211`, k8s `ns/pod`) | no |

Names are exact (lower case). Other columns are ignored and never read. String columns may be
string, large_string or binary holding UTF-8, plain or dictionary-encoded.

The file is recognised by its column names: `gpu_index` or `gpu_uuid`, or `ts_utc` beside
`energy_mj`/`util_pct` (a node-power file has `ts_utc`, `host`, `power_w` and no GPU, so it is not
taken for GPU telemetry). Once recognised, a missing required column, a file with none of the
three readings, or a column of the wrong type makes the file unreadable with a message naming the
column, what type it has and what was expected.

Row rules (each failure quarantines the row with its 1-based row number as `line`):
- `ts_utc`, `host` and `gpu_index` must be present; `ts_utc` within 2000-01-01 .. 2100-01-01 (an
  epoch-zero or garbage time is a missing reading, not a sample); `gpu_index` non-negative and
  fitting INTEGER;
- `power_w` and `energy_mj` finite and non-negative; `util_pct` finite and within 0..100;
- a null reading is an absent reading (as nvidia-smi's `[N/A]`), so a row with power null but
  energy or utilisation present is kept; a row with no reading at all is quarantined (with only a
  `power_w` column, a null power is therefore quarantined);
- '' in a string column is null.

Lean on memory and time for 50M+ rows: only the needed columns are read (through
`_parquet.read_frame`: dictionary-decoded strings, numbers without a copy); the checks are one
boolean column; the frame is filtered only when some row is bad, and reason texts are built for
the bad rows only. This is why the reader does not go through `_text.assemble`, which builds a
reason column for every row: the same rules (count identity, NOT NULL columns) hold here by
construction, `ok` requiring every NOT NULL column. The row checks are in _telemetry_checks.py.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
from polars.exceptions import PanicException

from pipeline.readers import _parquet
from pipeline.readers._text import problem
from pipeline.readers.base import ReadContext, ReadResult, UnreadableFileError
from pipeline.readers.telemetry import nvidia_smi
from pipeline.readers.telemetry._telemetry_checks import (
    INT32_MAX,
    row_ok,
    row_reasons,
    time_text,
    timestamps,
)

FORMAT = "telemetry-parquet"
TABLE = "raw_gpu_samples"
CONTAINER = "parquet"
SCHEMA = nvidia_smi.SCHEMA  # the raw_gpu_samples columns
NOT_NULL = nvidia_smi.NOT_NULL

REQUIRED = ("ts_utc", "host", "gpu_index")
READINGS = ("power_w", "energy_mj", "util_pct")
OPTIONAL = ("gpu_uuid", "gpu_name", "workload")
TEXT = ("host", "gpu_uuid", "gpu_name", "workload")
DOC = "docs/telemetry-parquet.md"


def sniff(names: list[str]) -> bool:
    found = set(names)
    return bool(
        {"gpu_index", "gpu_uuid"} & found
        or ("ts_utc" in found and {"energy_mj", "util_pct"} & found)
    )


def _is_text(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_binary(dtype)
        or pa.types.is_large_binary(dtype)
    )


def _is_number(dtype: pa.DataType) -> bool:
    return pa.types.is_floating(dtype) or pa.types.is_integer(dtype) or pa.types.is_decimal(dtype)


# column → (type check, what is expected)
EXPECTED = {
    "ts_utc": (pa.types.is_timestamp, "a timestamp column (s, ms, us or ns; zone-less = UTC)"),
    "host": (_is_text, "a string column"),
    "gpu_index": (pa.types.is_integer, "an integer column (int8..int64 or unsigned)"),
    "power_w": (_is_number, "a float column of W"),
    "energy_mj": (_is_number, "a float column of mJ"),
    "util_pct": (_is_number, "a float column of % (0..100)"),
    "gpu_uuid": (_is_text, "a string column"),
    "gpu_name": (_is_text, "a string column"),
    "workload": (_is_text, "a string column"),
}


def _check_columns(path: Path, found: pa.Schema) -> list[str]:
    """The columns to read, after checking names and types; UnreadableFileError otherwise."""
    names = set(found.names)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        near = {n.lower(): n for n in found.names}
        hints = [f"found {near[c]!r}" for c in missing if c in near]
        hint = f" ({'; '.join(hints)}; names are lower case)" if hints else ""
        raise UnreadableFileError(
            f"{path}: telemetry Parquet without required column "
            f"{', '.join(missing)}{hint}; expected columns ts_utc, host, gpu_index and at least "
            f"one of power_w, energy_mj, util_pct (see {DOC})"
        )
    if not names & set(READINGS):
        raise UnreadableFileError(
            f"{path}: telemetry Parquet without a reading; expected at least one of the columns "
            f"power_w, energy_mj, util_pct beside ts_utc, host, gpu_index (see {DOC})"
        )
    wanted = [c for c in (*REQUIRED, *READINGS, *OPTIONAL) if c in names]
    for name in wanted:
        dtype = found.field(name).type
        accept, expected = EXPECTED[name]
        optional_and_empty = pa.types.is_null(dtype) and name not in REQUIRED
        if not (accept(dtype) or optional_and_empty):
            raise UnreadableFileError(
                f"{path}: column {name} is {dtype}; expected {expected} (see {DOC})"
            )
    return wanted


def _column(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    if name in frame.columns and frame.schema[name] != pl.Null:
        return pl.col(name).cast(dtype)
    return pl.lit(None, dtype=dtype)


def read(path: Path, ctx: ReadContext) -> ReadResult:
    path = Path(path)
    try:
        return _read(path)
    except PanicException as exc:  # a polars panic on garbage values: the file, not the process
        raise UnreadableFileError(
            f"{path}: Parquet values cannot be processed ({str(exc)[:300]}); "
            "expected a valid telemetry Parquet file"
        ) from exc


def _read(path: Path) -> ReadResult:
    wanted = _check_columns(path, _parquet.schema(path))
    raw = _parquet.read_frame(path, wanted, TEXT, empty_as_null=True)
    has = set(wanted)

    def reading(name: str) -> pl.Expr:
        return _column(raw, name, pl.Float64)

    frame = raw.select(
        line=pl.int_range(1, raw.height + 1, dtype=pl.Int64),
        host=pl.col("host").cast(pl.String),
        gpu_index=pl.when(pl.col("gpu_index").is_between(0, INT32_MAX))
        .then(pl.col("gpu_index"))
        .cast(pl.Int32),
        gpu_uuid=_column(raw, "gpu_uuid", pl.String),
        gpu_name=_column(raw, "gpu_name", pl.String),
        ts_utc=timestamps(raw),
        power_w=reading("power_w"),
        util_pct=reading("util_pct"),
        energy_mj=reading("energy_mj"),
        workload=_column(raw, "workload", pl.String),
    )
    readings = [n for n in READINGS if n in has]
    ok = row_ok(readings)
    bad_rows = frame.select((~ok).sum()).item()
    problems = []
    if bad_rows:
        flags = frame.select(ok=ok).to_series()
        as_read = raw.filter(~flags)
        stored_ts = raw.schema["ts_utc"]
        assert isinstance(stored_ts, pl.Datetime)
        # the stored instant (UTC) as text, without the range check, to show what was refused
        ts_text = time_text(pl.col("ts_utc").cast(pl.Int64), stored_ts.time_unit)
        as_read = as_read.with_columns(ts_utc=ts_text)
        bad = frame.filter(~flags).with_columns(
            ts_raw=as_read["ts_utc"],
            index_raw=as_read["gpu_index"],
            # the row as stored in the file, for the quarantine's raw text
            stored=as_read.select(pl.struct(pl.all()).struct.json_encode()).to_series(),
        )
        bad = bad.select("line", reason=row_reasons(readings), raw="stored")
        problems = [problem(*row) for row in bad.iter_rows()]
        frame = frame.filter(flags)
    accepted = frame.select(
        pl.lit(str(path), dtype=pl.String).alias("source_path"), *SCHEMA.names()[1:]
    )
    return ReadResult(
        path=path,
        format=FORMAT,
        table=TABLE,
        frame=accepted,
        problems=problems,
        rows_read=raw.height,
    )
