"""A report's published figures, as delivery compares them: every number and yes/no of
disclosure.json rounded as the report prints it, keyed by where it stands; their fingerprint; and
what changed between two deliveries, in words with units.

Rounding as printed (3 significant figures, whole digits kept: `fmt_number`) makes the fingerprint
blind to the last digits a sum gets from the order its rows come in (DuckDB sums in parallel):
re-rendering unchanged data gives the same fingerprint, and a change that the report would print
differently gives another. Left out: the provenance stamps (generated_at, code_version,
config_sha256), free text (check details print those last digits), the input manifest and the two
counts taken over every file ingested so far (data_quality.files, .quarantined_rows), which grow as
later months land.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.formatting import fmt_number

Figure = float | int | bool | None

NOT_FIGURES = {
    "generated_at",
    "code_version",
    "config_sha256",
    "schema_version",
    "inputs",
    "data_quality.files",
    "data_quality.quarantined_rows",
}
# fields that tell the items of a list apart (a site, a model, a day and phase), in this order
_ITEM_KEYS = ("name", "model", "site", "team", "host", "group", "metric", "day", "phase", "basis")
_LABELS = {
    "totals.energy_kwh": "Facility energy",
    "totals.it_energy_kwh": "IT energy",
    "totals.gpu_hours": "GPU-hours",
    "totals.co2e_kg_location": "CO2e, location-based",
    "totals.co2e_kg_market": "CO2e, market-based",
    "totals.water_l": "Water",
    "totals.embodied_kg": "Embodied carbon",
    "totals.cost_usd": "Cost",
}
# units by the words of a figure's name (names carry units: co2e_kg_market, wh_per_request)
_UNIT_WORDS = {
    "kwh": "kWh",
    "wh": "Wh",
    "kg": "kg",
    "gco2e": "gCO2e",
    "l": "L",
    "ml": "mL",
    "usd": "USD",
    "pct": "%",
    "hours": "hours",
    "days": "days",
}


def as_printed(value: float) -> float | None:
    text = fmt_number(value)
    return None if text == "n/a" else float(text.replace(",", ""))


def _flatten(value: Any, path: str, out: dict[str, Figure]) -> None:
    if path in NOT_FIGURES:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            ids = [str(item[k]) for k in _ITEM_KEYS if isinstance(item, Mapping) and k in item]
            key = " ".join(ids) if ids else str(i)
            seen[key] = seen.get(key, 0) + 1
            _flatten(item, f"{path}[{key}{'' if seen[key] == 1 else f' #{seen[key]}'}]", out)
    elif value is None or isinstance(value, bool | int):
        out[path] = value
    elif isinstance(value, float):
        out[path] = as_printed(value)


def published_figures(disclosure: Mapping[str, Any]) -> dict[str, Figure]:
    """{"totals.energy_kwh": 12300.0, "daily[2025-03-01 training].energy_kwh": 81.3, ...}."""
    out: dict[str, Figure] = {}
    _flatten(disclosure, "", out)
    return out


def figures_sha256(figures: Mapping[str, Figure]) -> str:
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit(name: str) -> str:
    """'co2e_kg_market' -> 'kg', 'water_ml_per_1k_output_tokens' -> 'mL per 1k output tokens'."""
    words = name.rsplit(".", 1)[-1].split("_")
    if words[-2:] == ["gpu", "hours"]:
        return "GPU-hours"
    at = next((i for i, w in enumerate(words) if w in _UNIT_WORDS), None)
    if at is None:
        return ""
    per = words.index("per", at) if "per" in words[at:] else None
    rest = [_UNIT_WORDS.get(w, w) for w in words[per:]] if per is not None else []
    return " ".join([_UNIT_WORDS[words[at]], *rest])


def _text(value: Figure, unit_: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = f"{value:,d}" if isinstance(value, int) else fmt_number(value)
    return f"{number}%" if unit_ == "%" else f"{number} {unit_}".rstrip()


@dataclass(frozen=True)
class FigureChange:
    name: str  # where the figure stands in disclosure.json
    old: Figure  # None also when the figure was not there
    new: Figure

    def line(self) -> str:
        """'Facility energy: 12,300 kWh -> 13,500 kWh (+1,200 kWh, +9.76%)'."""
        u = unit(self.name)
        text = f"{_LABELS.get(self.name, self.name)}: {_text(self.old, u)} -> {_text(self.new, u)}"
        numeric = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (self.old, self.new)
        )
        if not numeric:
            return text
        diff = self.new - self.old  # type: ignore[operator]
        parts = [
            f"{'+' if diff > 0 else ''}{_text(diff, u)}" if u != "%" else f"{diff:+.3g} points"
        ]
        if self.old and u != "%":
            parts.append(f"{'+' if diff > 0 else ''}{fmt_number(diff / self.old * 100)}%")  # type: ignore[operator]
        return f"{text} ({', '.join(parts)})"


def changed_figures(old: Mapping[str, Figure], new: Mapping[str, Figure]) -> list[FigureChange]:
    """The figures that differ, the headline totals first, then in the order of `new`."""
    names = [n for n in new if old.get(n) != new[n] or n not in old]
    names += [n for n in old if n not in new]
    names.sort(key=lambda n: (n not in _LABELS, list(_LABELS).index(n) if n in _LABELS else 0))
    return [FigureChange(n, old.get(n), new.get(n)) for n in names]
