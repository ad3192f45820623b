"""What every reader shares: loading a file as physical lines, local time to UTC, and assembling
the ReadResult so the count identity and the table's NOT NULL columns hold in one place."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from pipeline.readers.base import Problem, ReadContext, ReadResult, UnreadableFileError

# Detection only looks at the start of a file: enough for a comment block before a sacct header,
# small enough that sniffing a multi-gigabyte file stays instant.
HEAD_BYTES = 64 * 1024
HEAD_LINES = 200

NOT_TEXT_REASON = "line is not valid UTF-8 text (undecodable bytes or NUL); expected a text line"
RAW_LIMIT = 500


@dataclass(frozen=True)
class TextFile:
    """A landing file split into physical lines ('\\n' or '\\r\\n'), BOM removed.

    Undecodable lines are kept (with replacement characters) and listed in `bad`, so one corrupt
    byte quarantines one line instead of making a whole 100k-line file unreadable.

    The bytes are split into `lines` only when a reader first asks for them: detection reads the
    first lines alone (`head`, `iter_lines`), and a reader that parses `data` itself (nvidia-smi's
    polars CSV path) never pays for a million Python strings.
    """

    path: Path
    data: bytes = field(repr=False)
    max_lines: int | None = None  # a head (`load_head`): only this many lines

    @cached_property
    def _lines_and_bad(self) -> tuple[list[str], frozenset[int]]:
        lines, bad = _split(self.data)
        if self.max_lines is not None:
            lines = lines[: self.max_lines]
            bad = frozenset(i for i in bad if i < self.max_lines)
        return lines, bad

    @property
    def lines(self) -> list[str]:
        return self._lines_and_bad[0]

    @property
    def bad(self) -> frozenset[int]:
        """0-based indexes into `lines` of the lines that are not valid text."""
        return self._lines_and_bad[1]

    def iter_lines(self) -> Iterator[str]:
        """`lines` one by one, without splitting the whole file when that is not done yet."""
        if "_lines_and_bad" in self.__dict__:
            yield from self.lines
            return
        data, start, count = self.data, 0, 0
        while start < len(data) and (self.max_lines is None or count < self.max_lines):
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            # The same text as `_split` gives: '\n' never occurs inside a multi-byte UTF-8
            # sequence, so a line decodes alone as it does within the whole file.
            line = data[start:end].decode("utf-8", errors="replace")
            line = line[:-1] if line.endswith("\r") else line
            if count == 0 and line.startswith("\ufeff"):
                line = line[1:]
            yield line
            start, count = end + 1, count + 1

    def head(self) -> list[str]:
        """The first lines, as many as fit HEAD_LINES and HEAD_BYTES characters (a one-line JSON
        document of megabytes is cut), which is all a sniffer may look at."""
        head, budget = [], HEAD_BYTES
        for line in islice(self.iter_lines(), HEAD_LINES):
            if budget <= 0:
                break
            head.append(line[:budget])
            budget -= len(line) + 1
        return head


def _split(data: bytes) -> tuple[list[str], frozenset[int]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        lines = text.split("\n")
        bad: set[int] = set()
    else:
        lines, bad = [], set()
        for i, chunk in enumerate(data.split(b"\n")):
            try:
                line = chunk.decode("utf-8")
            except UnicodeDecodeError:
                line = chunk.decode("utf-8", errors="replace")
                bad.add(i)
            if "\x00" in line:
                bad.add(i)
            lines.append(line)
    # A final newline ends the last line; it does not start an empty one.
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines, frozenset(bad)


def _read_bytes(path: Path, limit: int | None) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read() if limit is None else fh.read(limit)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot open file: {exc.strerror or exc}") from exc
    return transcoded(path, data, cut=limit is not None and len(data) == limit)


# Windows tools (PowerShell's `>` and Out-File, Excel's "Unicode text") write UTF-16 with a byte
# order mark; the readers parse UTF-8, so such a file is decoded to UTF-8 once, here.
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
)


def transcoded(path: Path, data: bytes, cut: bool = False) -> bytes:
    """`data` as UTF-8: UTF-16/UTF-32 with a byte order mark decoded (a head `cut` at a byte
    limit loses its partial last character); UTF-16 without one refused with what to do; any
    other bytes as they are (lines that are not UTF-8 are quarantined one by one)."""
    for bom, codec, unit in BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if cut:
                body = body[: len(body) - len(body) % unit]
            return body.decode(codec, errors="replace").encode("utf-8")
    probe = data[:4096]
    if probe.count(0) * 3 > len(probe):  # text with NUL in every other byte: UTF-16
        pairs = len(probe) // 2
        odd = sum(1 for i in range(1, 2 * pairs, 2) if probe[i] == 0)
        even = sum(1 for i in range(0, 2 * pairs, 2) if probe[i] == 0)
        if max(odd, even) > 0.4 * pairs and min(odd, even) < 0.05 * pairs:
            order = "little-endian" if odd > even else "big-endian"
            raise UnreadableFileError(
                f"{path}: the file is UTF-16 ({order}) text without a byte order mark; expected "
                "UTF-8: save it as UTF-8 (or as UTF-16 with a byte order mark, which is read)"
            )
    return data


def load(path: Path) -> TextFile:
    return TextFile(path, _read_bytes(path, None))


def load_head(path: Path) -> TextFile:
    data = _read_bytes(path, HEAD_BYTES)
    if len(data) == HEAD_BYTES:
        # The byte limit probably cut the last line; a partial line must not mislead a sniffer.
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else data
    return TextFile(path, data, max_lines=HEAD_LINES)


def first_content_line(lines: Iterable[str]) -> tuple[int, str] | None:
    """(0-based index, text) of the first line that is not blank."""
    for i, line in enumerate(lines):
        if line.strip():
            return i, line
    return None


def zone_for(path: Path, ctx: ReadContext) -> str:
    tz = ctx.timezone_for_path(path)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise UnreadableFileError(
            f"{path}: time zone {tz!r} given for this file is not an IANA zone name "
            "(expected e.g. 'Europe/Stockholm')"
        ) from exc
    return tz


def local_to_utc(naive_local: pl.Expr, tz: str) -> pl.Expr:
    """Naive local wall-clock time → naive UTC.

    In the autumn repeated hour the earlier instant is taken (the first pass through the hour is
    what a log written in order meets first); times skipped in spring become null so the caller
    can quarantine them rather than invent an instant.
    """
    return (
        naive_local.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )


def nonexistent_reason(field: str, raw: pl.Expr, tz: str) -> pl.Expr:
    return pl.concat_str(
        pl.lit(f"{field}: '"),
        raw,
        pl.lit(
            f"' does not exist in {tz} (skipped by the daylight-saving change); "
            "expected a local time that the site's clock showed"
        ),
    )


def join_reasons(reasons: list[pl.Expr]) -> pl.Expr:
    """All reasons that apply to a row, '; '-joined; null when the row is fine."""
    if not reasons:
        return pl.lit(None, dtype=pl.String)
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def problem(line: int, reason: str, raw: str) -> Problem:
    return Problem(line=line, reason=reason, raw=raw[:RAW_LIMIT])


class Source(Protocol):
    """A loaded landing file: a TextFile, or a `_parquet.ParquetFile`."""

    path: Path


def assemble(
    source: Source,
    fmt: str,
    table: str,
    schema: pl.Schema,
    not_null: Iterable[str],
    candidates: pl.DataFrame,
    problems: list[Problem],
) -> ReadResult:
    """Split candidate rows into the accepted frame and quarantine.

    `candidates` carries `line`, `reason` (null = fine), the schema's value columns and `raw` (the
    row's text for quarantine; when absent, as with large Parquet files, a quarantined row's raw
    text is its value columns as JSON, computed for the bad rows only);
    `problems` are rows already rejected before they could become candidates. A NOT NULL column
    left empty quarantines its row here, so no reader can hand the loader a row the table refuses.
    """
    value_cols = [c for c in schema.names() if c != "source_path"]
    missing = [
        pl.when(pl.col(c).is_null()).then(pl.lit(f"{c}: no value; this column is required"))
        for c in not_null
        if c != "source_path"
    ]
    # Only as a last resort: a row with a specific reason already says why the value is missing.
    checked = candidates.with_columns(
        reason=pl.coalesce(pl.col("reason"), join_reasons(missing)) if missing else pl.col("reason")
    )
    bad = checked.filter(pl.col("reason").is_not_null())
    if "raw" not in bad.columns:
        shown = [c for c in value_cols if c in bad.columns and c != "line"]
        bad = bad.with_columns(raw=pl.struct(shown).struct.json_encode() if shown else pl.lit(""))
    all_problems = problems + [
        problem(line, reason, raw)
        for line, reason, raw in bad.select("line", "reason", "raw").iter_rows()
    ]
    all_problems.sort(key=lambda p: p.line)
    frame = (
        checked.filter(pl.col("reason").is_null())
        .with_columns(source_path=pl.lit(str(source.path), dtype=pl.String))
        .select([pl.col(c).cast(schema[c]) for c in ["source_path", *value_cols]])
    )
    return ReadResult(
        path=source.path,
        format=fmt,
        table=table,
        frame=frame,
        problems=all_problems,
        rows_read=candidates.height + len(problems),
    )
