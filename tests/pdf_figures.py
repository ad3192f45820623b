"""Check that the numbers of disclosure.json are printed in a report's text (PDF or HTML).

Walks the JSON itself, not a hand-picked list, so a figure added to the headline or the model
section and left out of the template fails the tests that use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.formatting import fmt, fmt_change, fmt_pct


def has_number(text: str, figure: str) -> bool:
    """`figure` occurs in `text` not as part of a longer number ("12.3" is not in "112.35")."""
    pattern = rf"(?<![\d.,]){re.escape(figure)}(?![\d]|[.,]\d)"
    return re.search(pattern, text) is not None


# Per-model series drawn as charts, not printed as numbers (they are in disclosure.json and in
# tables/crossover CSV): excluded from the "every number is printed" walk below.
CHART_SERIES = {"cumulative"}


def _leaves(obj: object, path: str = "") -> Iterator[tuple[str, float]]:
    """(dotted path, value) for every numeric leaf of a dumped model."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in CHART_SERIES:
                yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, f"{path}[{i}]")
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield path, obj


def _printed_forms(path: str, value: float) -> set[str]:
    """How the report may print the leaf at `path`: plain `fmt`, a percentage for shares, a
    signed change for change_pct."""
    forms = {fmt(value)}
    leaf = path.rsplit(".", 1)[-1]
    if ".change_pct." in f".{path}":
        return {fmt_change(value)}
    if leaf.endswith("_pct"):
        forms.add(fmt_pct(value / 100))
    if leaf.endswith("_share"):
        forms.add(fmt_pct(value))
    return forms


SECTIONS = ("totals", "previous", "models")


def unprinted_figures(
    disclosure: dict, text: str, sections: tuple[str, ...] = SECTIONS
) -> tuple[int, list[tuple[str, float, list[str]]]]:
    """(how many numeric leaves of `sections` were checked, those not found in `text`)."""
    checked, missing = 0, []
    for section in sections:
        for path, value in _leaves(disclosure.get(section), section):
            checked += 1
            forms = _printed_forms(path, value)
            if not any(has_number(text, f) for f in forms):
                missing.append((path, value, sorted(forms)))
    return checked, missing
