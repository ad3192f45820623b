"""nvidia-smi logs: which lines are headers, which field is which, and what marks a file as one.

The header line names the `--query-gpu` fields (units in brackets, aliases resolved); a
`--format=csv,noheader` log takes its field list from the config (`telemetry.nvidia_smi_fields`).
`Layout` is one field list and what a sample is made of in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from pipeline.readers._text import first_content_line
from pipeline.readers.base import ReadContext, UnreadableFileError

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
_HEADER_FIELD = re.compile(r"([a-z][a-z0-9_.]*)(?:\s*\[([^\]]*)\])?", re.IGNORECASE)
# A whole line of header-like fields: the vectorised pre-filter before `parse_header`.
_HEADER_LINE = (
    r"^\s*[A-Za-z][A-Za-z0-9_.]*(?:\s*\[[^\]]*\])?"
    r"(?:\s*,\s*[A-Za-z][A-Za-z0-9_.]*(?:\s*\[[^\]]*\])?)*\s*$"
)
LINES_SCHEMA = {"line": pl.Int64, "raw": pl.String}
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
class Layout:
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


def header_lines(lines: pl.DataFrame) -> dict[int, list[str]]:
    """{1-based line: field names} of every header line in the file."""
    candidates = lines.filter(pl.col("raw").str.contains("(?i)timestamp"))
    candidates = candidates.filter(pl.col("raw").str.contains(_HEADER_LINE))
    names = {text: header_names(text) for text in candidates["raw"].unique().to_list()}
    return {
        line: found
        for line, text in candidates.select("line", "raw").iter_rows()
        if (found := names[text]) is not None
    }
