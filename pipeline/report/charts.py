"""Hand-built SVG charts for the disclosure report (no plotting library).

Every piece of text that reaches the SVG goes through `_text`/`_attr`, which XML-escape it and drop
characters XML 1.0 forbids, so phase names from the data can neither break the markup nor inject
elements. The functions return complete `<svg>` documents that parse as XML on their own and are
inlined into the HTML report.

Phases keep one colour everywhere (chart, legend, share bars, table swatches). The colours are
spread in lightness and the mid-tone ones also carry a hatch/dot pattern, so the stack still reads
when the PDF is printed in greyscale.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from pipeline.disclosure.model import Disclosure
from pipeline.formatting import fmt_date, fmt_number, fmt_pct

# Stacking order, bottom to top; also the row order of the phase tables.
PHASE_ORDER: tuple[str, ...] = (
    "training",
    "fine_tuning",
    "inference",
    "evaluation",
    "development",
    "unclassified",
    "idle",
)

PHASE_LABELS: dict[str, str] = {
    "training": "Training",
    "fine_tuning": "Fine-tuning",
    "inference": "Inference",
    "evaluation": "Evaluation",
    "development": "Development",
    "unclassified": "Unclassified",
    "idle": "Idle (no job)",
}


@dataclass(frozen=True)
class PhaseStyle:
    colour: str
    hatch: str | None = None  # None | "diagonal" | "dots" | "cross" | "horizontal"
    hatch_colour: str = "#ffffff"


# Relative luminance (greyscale value) in brackets:
# training 0.03 solid, evaluation 0.09 dots, fine_tuning 0.15 diagonal, development 0.26 solid,
# unclassified 0.26 cross-hatch, inference 0.44 solid, idle 0.69 solid.
PHASE_STYLES: dict[str, PhaseStyle] = {
    "training": PhaseStyle("#08306b"),
    "fine_tuning": PhaseStyle("#2f6db5", "diagonal"),
    "inference": PhaseStyle("#f0a02a"),
    "evaluation": PhaseStyle("#6a3d9a", "dots"),
    "development": PhaseStyle("#1b9e77"),
    "unclassified": PhaseStyle("#8c8c8c", "cross"),
    "idle": PhaseStyle("#d9d9d9"),
}
_FALLBACK_STYLES: tuple[PhaseStyle, ...] = (
    PhaseStyle("#a6611a", "horizontal"),
    PhaseStyle("#c2a5cf", "horizontal", "#333333"),
    PhaseStyle("#4d4d4d", "horizontal"),
)

_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def _text(text: object) -> str:
    """Escape for XML character data."""
    return escape(_clean(text))


def _attr(text: object) -> str:
    """Escape and quote for an XML attribute value."""
    return quoteattr(_clean(text))


def _short(label: str, limit: int = 24) -> str:
    """Chart labels are cut to fit; the tables print names in full."""
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def phase_label(phase: str) -> str:
    """Human label of a phase; unknown phases keep their own (escaped at output) name."""
    return PHASE_LABELS.get(phase, phase.replace("_", " ").capitalize() if phase else "(none)")


def ordered_phases(phases: object) -> list[str]:
    """Known phases in the canonical order, then any other phases alphabetically."""
    names = list(dict.fromkeys(phases))  # type: ignore[call-overload]
    known = [p for p in PHASE_ORDER if p in names]
    return known + sorted(p for p in names if p not in PHASE_ORDER)


def phase_style(phase: str, all_phases: list[str] | None = None) -> PhaseStyle:
    if phase in PHASE_STYLES:
        return PHASE_STYLES[phase]
    extras = sorted(p for p in (all_phases or [phase]) if p not in PHASE_STYLES)
    idx = extras.index(phase) if phase in extras else 0
    return _FALLBACK_STYLES[idx % len(_FALLBACK_STYLES)]


def _pattern_id(prefix: str, index: int) -> str:
    return f"{prefix}-pat-{index}"


def _pattern_def(pid: str, style: PhaseStyle) -> str:
    bg = f'<rect width="6" height="6" fill={_attr(style.colour)}/>'
    hc = _attr(style.hatch_colour)
    if style.hatch == "diagonal":
        body = f'{bg}<line x1="3" y1="0" x2="3" y2="6" stroke={hc} stroke-width="1.6"/>'
        return (
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)">{body}</pattern>'
        )
    if style.hatch == "dots":
        body = f'{bg}<circle cx="3" cy="3" r="1.2" fill={hc}/>'
    elif style.hatch == "cross":
        body = (
            f'{bg}<line x1="0" y1="3" x2="6" y2="3" stroke={hc} stroke-width="0.9"/>'
            f'<line x1="3" y1="0" x2="3" y2="6" stroke={hc} stroke-width="0.9"/>'
        )
    else:  # horizontal
        body = f'{bg}<line x1="0" y1="3" x2="6" y2="3" stroke={hc} stroke-width="1.4"/>'
    return (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6">{body}</pattern>'
    )


class _Paints:
    """Fill values per phase for one SVG document (pattern ids are unique per document)."""

    def __init__(self, prefix: str, phases: list[str]):
        self.defs: list[str] = []
        self.fill: dict[str, str] = {}
        for i, phase in enumerate(phases):
            style = phase_style(phase, phases)
            if style.hatch:
                pid = _pattern_id(prefix, i)
                self.defs.append(_pattern_def(pid, style))
                self.fill[phase] = f"url(#{pid})"
            else:
                self.fill[phase] = style.colour

    def defs_markup(self) -> str:
        return f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""


def _nice_ceiling(value: float) -> tuple[float, float]:
    """A round axis maximum >= value and its tick step (about 5 ticks)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.2
    raw_step = value / 5
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step * 5 >= value * 0.999999:
            break
    top = step * math.ceil(value / step - 1e-9)
    return top, step


def _svg_open(width: int, height: int, title: str, desc: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class={_attr(css_class)} '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-family={_attr(_FONT)}>'
        f"<title>{_text(title)}</title><desc>{_text(desc)}</desc>"
    )


def _period_days(d: Disclosure) -> list[date]:
    days: set[date] = {row.day for row in d.daily}
    if d.period.end >= d.period.start:
        n = (d.period.end - d.period.start).days + 1
        days.update(d.period.start + timedelta(days=i) for i in range(n))
    return sorted(days)


def daily_phase_energy_svg(d: Disclosure) -> str:
    """Stacked bars of facility energy per day, one segment per phase, with axes and legend."""
    width, height = 720, 320
    left, right_legend, top, bottom = 70, 150, 16, 58
    plot_w = width - left - right_legend - 10
    plot_h = height - top - bottom
    x0, y0 = left, top + plot_h  # origin of the plot area (bottom-left)

    per_day: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in d.daily:
        if math.isfinite(row.energy_kwh):
            per_day[row.day][row.phase] += max(row.energy_kwh, 0.0)
    phases = ordered_phases(row.phase for row in d.daily)
    days = _period_days(d)
    max_total = max((sum(per_day[day].values()) for day in days), default=0.0)

    # Switch the axis to MWh for large fleets so tick labels stay short.
    scale, unit = (1000.0, "MWh") if max_total >= 10_000 else (1.0, "kWh")
    top_value, step = _nice_ceiling(max_total / scale)

    title = (
        f"Daily facility energy by phase, {fmt_date(d.period.start)} to {fmt_date(d.period.end)}"
    )
    desc = "Stacked bar chart; one bar per day, one segment per phase; energy in " + unit + "."
    out = [_svg_open(width, height, title, desc, "chart chart-daily")]
    paints = _Paints("daily", phases)
    out.append(paints.defs_markup())

    def y_of(v: float) -> float:
        return y0 - (v / top_value) * plot_h

    # grid lines and y ticks
    out.append('<g class="axis axis-y" font-size="10" fill="#333">')
    n_ticks = int(round(top_value / step))
    for i in range(n_ticks + 1):
        v = i * step
        y = y_of(v)
        out.append(
            f'<line x1="{x0}" y1="{y:.2f}" x2="{x0 + plot_w}" y2="{y:.2f}" '
            f'stroke="#d0d0d0" stroke-width="{0.8 if i else 1.2}"/>'
        )
        out.append(
            f'<text x="{x0 - 6}" y="{y + 3.5:.2f}" text-anchor="end">{_text(fmt_number(v))}</text>'
        )
    label_y = top + plot_h / 2
    out.append(
        f'<text x="16" y="{label_y:.2f}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 16 {label_y:.2f})">{_text(f"Facility energy per day ({unit})")}'
        "</text></g>"
    )

    # bars
    out.append('<g class="bars">')
    n = max(len(days), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.78, 1.0)
    for i, day in enumerate(days):
        x = x0 + i * slot + (slot - bar_w) / 2
        acc = 0.0
        for phase in phases:
            v = per_day[day].get(phase, 0.0) / scale
            if v <= 0:
                continue
            y_top, y_bottom = y_of(acc + v), y_of(acc)
            out.append(
                f'<rect x="{x:.2f}" y="{y_top:.2f}" width="{bar_w:.2f}" '
                f'height="{max(y_bottom - y_top, 0.0):.2f}" fill={_attr(paints.fill[phase])} '
                f'stroke="#ffffff" stroke-width="0.4"><title>'
                f"{_text(f'{fmt_date(day)} {phase_label(phase)}: {fmt_number(v)} {unit}')}"
                "</title></rect>"
            )
            acc += v
    out.append("</g>")

    # x axis: labels on at most ~10 days, always including the first
    out.append('<g class="axis axis-x" font-size="10" fill="#333">')
    out.append(
        f'<line x1="{x0}" y1="{y0}" x2="{x0 + plot_w}" y2="{y0}" stroke="#555" stroke-width="1"/>'
    )
    label_every = max(1, math.ceil(len(days) / 10))
    for i, day in enumerate(days):
        if i % label_every:
            continue
        cx = x0 + (i + 0.5) * slot
        out.append(f'<line x1="{cx:.2f}" y1="{y0}" x2="{cx:.2f}" y2="{y0 + 4}" stroke="#555"/>')
        out.append(
            f'<text x="{cx:.2f}" y="{y0 + 16}" text-anchor="middle">'
            f"{_text(day.strftime('%m-%d'))}</text>"
        )
    out.append(
        f'<text x="{x0 + plot_w / 2:.2f}" y="{height - 14}" text-anchor="middle" font-size="11">'
        f"{_text(f'Day (UTC, month-day), {d.period.start.year}')}</text></g>"
    )

    # legend, top of the stack first so it reads in the same order as the bars
    lx = x0 + plot_w + 18
    out.append(
        f'<g class="legend" font-size="10" fill="#222"><text x="{lx}" y="{top + 8}" '
        f'font-size="11" font-weight="bold">Phase</text>'
    )
    spacing = min(20.0, (plot_h - 16) / max(len(phases), 1))
    for j, phase in enumerate(reversed(phases)):
        ly = top + 22 + j * spacing
        label = _short(phase_label(phase), 20)
        out.append(
            f'<g class="legend-entry" data-phase={_attr(phase)}>'
            f'<rect x="{lx}" y="{ly - 9:.2f}" width="14" height="12" '
            f'fill={_attr(paints.fill[phase])} stroke="#555" stroke-width="0.5"/>'
            f'<text x="{lx + 20}" y="{ly + 1:.2f}">{_text(label)}</text></g>'
        )
    if not phases:
        out.append(f'<text x="{lx}" y="{top + 28}">{_text("no data")}</text>')
    out.append("</g></svg>")
    return "".join(out)


def phase_share_svg(d: Disclosure) -> str:
    """Horizontal bars: each phase's share of facility energy (`PhaseFigures.share_pct`)."""
    phases = ordered_phases(d.phases.keys())
    width, row_h, label_w, value_w = 720, 20, 170, 70
    height = max(len(phases), 1) * row_h + 8
    bar_max = width - label_w - value_w - 10
    out = [
        _svg_open(
            width,
            height,
            "Share of facility energy by phase",
            "Horizontal bar per phase; length is the share of facility energy in the period.",
            "chart chart-shares",
        )
    ]
    paints = _Paints("share", phases)
    out.append(paints.defs_markup())
    out.append('<g font-size="10" fill="#222">')
    for i, phase in enumerate(phases):
        share = d.phases[phase].share_pct / 100.0
        y = 4 + i * row_h
        w = bar_max * min(max(share, 0.0), 1.0) if math.isfinite(share) else 0.0
        label = _short(phase_label(phase), 28)
        out.append(
            f'<g class="share-row" data-phase={_attr(phase)}>'
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{_text(label)}'
            f'</text><rect x="{label_w}" y="{y + 3}" width="{bar_max}" height="{row_h - 6}" '
            f'fill="#f2f2f2"/><rect x="{label_w}" y="{y + 3}" width="{w:.2f}" '
            f'height="{row_h - 6}" fill={_attr(paints.fill[phase])} stroke="#555" '
            f'stroke-width="0.4"/><text x="{label_w + bar_max + 6}" y="{y + 13}">'
            f"{_text(fmt_pct(share))}</text></g>"
        )
    if not phases:
        out.append(f'<text x="8" y="16">{_text("No phase figures in this period")}</text>')
    out.append("</g></svg>")
    return "".join(out)


def phase_swatch_svg(phase: str, all_phases: list[str], prefix: str) -> str:
    """A small square in the phase's paint, for table rows (prefix makes pattern ids unique)."""
    style = phase_style(phase, all_phases)
    if style.hatch:
        pid = f"sw-{prefix}"
        defs = f"<defs>{_pattern_def(pid, style)}</defs>"
        fill = f"url(#{pid})"
    else:
        defs, fill = "", style.colour
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="swatch" width="10" height="10" '
        f'viewBox="0 0 10 10" aria-hidden="true">{defs}<rect x="0.25" y="0.25" width="9.5" '
        f'height="9.5" fill={_attr(fill)} stroke="#555" stroke-width="0.5"/></svg>'
    )
