"""Compare two disclosures field by field: every leaf of the JSON, named by its path
(`totals.energy_kwh`, `models[2].inference.wh_per_request`). Numbers match within a tolerance
(the same data summed in another order differs in the last bits); flags, dates and nulls must be
equal, and text too, except the numbers it prints, which match within the same tolerance (a
check's detail prints its largest difference, 2.8e-14 one time and 5.7e-14 the next); a field
that only one side has is a mismatch."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# Fields expected to differ between a disclosure and its recompute, and why (docs/outputs.md):
# when it was built; the code version and the config's SHA-256, which `verify` compares with
# the current code and the config file before it recomputes (the recompute reads a copy of the
# config that points at its scratch folder, so its own SHA-256 differs by construction). A field
# of these names is ignored at any depth: each lifecycle statement (`lifecycle[i]`) carries them.
IGNORED_FIELDS: tuple[str, ...] = ("generated_at", "code_version", "config_sha256")

REL_TOL = 1e-9
ABS_TOL = 1e-9

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a number printed in text: 2,522 or -0.5 or 2.8e-14
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()  # a field one side lacks


@dataclass(frozen=True)
class FieldDiff:
    path: str
    recorded: object
    recomputed: object

    def line(self) -> str:
        before, after = _show(self.recorded), _show(self.recomputed)
        return f"mismatch {self.path}: disclosure.json {before}, recomputed {after}"


@dataclass
class DiffSummary:
    figures: int = 0  # numeric fields compared
    figures_mismatched: int = 0
    other_fields: int = 0  # text, flags, dates, nulls compared
    other_mismatched: int = 0
    mismatches: list[FieldDiff] = field(default_factory=list)

    @property
    def figures_matched(self) -> int:
        return self.figures - self.figures_mismatched

    @property
    def ok(self) -> bool:
        return not self.mismatches


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def leaves(value: object, path: str = "") -> Iterator[tuple[str, object]]:
    """(path, value) of every leaf under `value`; empty objects and lists have none."""
    if isinstance(value, dict):
        for key, child in value.items():
            name = key if _NAME.fullmatch(key) else f"[{key!r}]"
            yield from leaves(child, f"{path}.{name}" if path and name[0] != "[" else path + name)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from leaves(child, f"{path}[{i}]")
    else:
        yield path, value


def _ignored(path: str, ignored: tuple[str, ...]) -> bool:
    return any(
        path == f or path.startswith((f + ".", f + "[")) or path.endswith("." + f) for f in ignored
    )


def compare(
    recorded: dict,
    recomputed: dict,
    rel_tol: float = REL_TOL,
    abs_tol: float = ABS_TOL,
    ignored: tuple[str, ...] = IGNORED_FIELDS,
) -> DiffSummary:
    """Every leaf of `recorded` against the same path in `recomputed`, and the leaves only
    `recomputed` has, in the recorded document's order. Two numbers match when
    |a − b| ≤ max(rel_tol × max(|a|, |b|), abs_tol)."""
    before = {p: v for p, v in leaves(recorded) if not _ignored(p, ignored)}
    after = {p: v for p, v in leaves(recomputed) if not _ignored(p, ignored)}
    summary = DiffSummary()
    for path in [*before, *(p for p in after if p not in before)]:
        a, b = before.get(path, ABSENT), after.get(path, ABSENT)
        numeric = is_number(a) or is_number(b)
        if numeric:
            summary.figures += 1
            same = (
                is_number(a)
                and is_number(b)
                and math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
            )
        else:
            summary.other_fields += 1
            same = _same_text(a, b, rel_tol, abs_tol) if isinstance(a, str) else a == b
            same = same and type(a) is type(b)
        if not same:
            summary.mismatches.append(FieldDiff(path, a, b))
            if numeric:
                summary.figures_mismatched += 1
            else:
                summary.other_mismatched += 1
    return summary


def _same_text(a: str, b: object, rel_tol: float, abs_tol: float) -> bool:
    """Equal text, but for the numbers in it, which match within the tolerance."""
    if not isinstance(b, str):
        return False
    if a == b:
        return True
    if _NUMBER.split(a) != _NUMBER.split(b):
        return False
    numbers = zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True)
    return all(
        math.isclose(
            float(x.replace(",", "")), float(y.replace(",", "")), rel_tol=rel_tol, abs_tol=abs_tol
        )
        for x, y in numbers
    )


def _show(value: object) -> str:
    if value is ABSENT:
        return "absent"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    return "null" if value is None else repr(value)
