"""Hand-built SVG charts for the disclosure report (no plotting library): daily facility energy
by phase, each phase's share, and the phase swatches of the tables.

The functions return complete `<svg>` documents that parse as XML on their own and are inlined
into the HTML report; text from the data is escaped in `svg.py`.

Phases keep one colour everywhere (chart, legend, share bars, table swatches). The colours are
spread in lightness and the mid-tone ones also carry a hatch/dot pattern, so the stack still reads
when the PDF is printed in greyscale (`phases.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta

from pipeline.disclosure.model import Disclosure
from pipeline.formatting import fmt_date, fmt_number, fmt_pct
from pipeline.report.phases import ordered_phases, phase_label, phase_style
from pipeline.report.svg import (
    Paints,
    nice_ceiling,
    pattern_def,
    shorten,
    svg_open,
    xml_attr,
    xml_text,
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
    top_value, step = nice_ceiling(max_total / scale)

    title = (
        f"Daily facility energy by phase, {fmt_date(d.period.start)} to {fmt_date(d.period.end)}"
    )
    desc = "Stacked bar chart; one bar per day, one segment per phase; energy in " + unit + "."
    out = [svg_open(width, height, title, desc, "chart chart-daily")]
    paints = Paints("daily", phases)
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
            f'<text x="{x0 - 6}" y="{y + 3.5:.2f}" text-anchor="end">'
            f"{xml_text(fmt_number(v))}</text>"
        )
    label_y = top + plot_h / 2
    out.append(
        f'<text x="16" y="{label_y:.2f}" text-anchor="middle" font-size="11" '
        f'transform="rotate(-90 16 {label_y:.2f})">{xml_text(f"Facility energy per day ({unit})")}'
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
                f'height="{max(y_bottom - y_top, 0.0):.2f}" fill={xml_attr(paints.fill[phase])} '
                f'stroke="#ffffff" stroke-width="0.4"><title>'
                f"{xml_text(f'{fmt_date(day)} {phase_label(phase)}: {fmt_number(v)} {unit}')}"
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
            f"{xml_text(day.strftime('%m-%d'))}</text>"
        )
    out.append(
        f'<text x="{x0 + plot_w / 2:.2f}" y="{height - 14}" text-anchor="middle" font-size="11">'
        f"{xml_text(f'Day (UTC, month-day), {d.period.start.year}')}</text></g>"
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
        label = shorten(phase_label(phase), 20)
        out.append(
            f'<g class="legend-entry" data-phase={xml_attr(phase)}>'
            f'<rect x="{lx}" y="{ly - 9:.2f}" width="14" height="12" '
            f'fill={xml_attr(paints.fill[phase])} stroke="#555" stroke-width="0.5"/>'
            f'<text x="{lx + 20}" y="{ly + 1:.2f}">{xml_text(label)}</text></g>'
        )
    if not phases:
        out.append(f'<text x="{lx}" y="{top + 28}">{xml_text("no data")}</text>')
    out.append("</g></svg>")
    return "".join(out)


def phase_share_svg(d: Disclosure) -> str:
    """Horizontal bars: each phase's share of facility energy (`PhaseFigures.share_pct`)."""
    phases = ordered_phases(d.phases.keys())
    width, row_h, label_w, value_w = 720, 20, 170, 70
    height = max(len(phases), 1) * row_h + 8
    bar_max = width - label_w - value_w - 10
    out = [
        svg_open(
            width,
            height,
            "Share of facility energy by phase",
            "Horizontal bar per phase; length is the share of facility energy in the period.",
            "chart chart-shares",
        )
    ]
    paints = Paints("share", phases)
    out.append(paints.defs_markup())
    out.append('<g font-size="10" fill="#222">')
    for i, phase in enumerate(phases):
        share = d.phases[phase].share_pct / 100.0
        y = 4 + i * row_h
        w = bar_max * min(max(share, 0.0), 1.0) if math.isfinite(share) else 0.0
        label = shorten(phase_label(phase), 28)
        out.append(
            f'<g class="share-row" data-phase={xml_attr(phase)}>'
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{xml_text(label)}'
            f'</text><rect x="{label_w}" y="{y + 3}" width="{bar_max}" height="{row_h - 6}" '
            f'fill="#f2f2f2"/><rect x="{label_w}" y="{y + 3}" width="{w:.2f}" '
            f'height="{row_h - 6}" fill={xml_attr(paints.fill[phase])} stroke="#555" '
            f'stroke-width="0.4"/><text x="{label_w + bar_max + 6}" y="{y + 13}">'
            f"{xml_text(fmt_pct(share))}</text></g>"
        )
    if not phases:
        out.append(f'<text x="8" y="16">{xml_text("No phase figures in this period")}</text>')
    out.append("</g></svg>")
    return "".join(out)


def phase_swatch_svg(phase: str, all_phases: list[str], prefix: str) -> str:
    """A small square in the phase's paint, for table rows (prefix makes pattern ids unique)."""
    style = phase_style(phase, all_phases)
    if style.hatch:
        pid = f"sw-{prefix}"
        defs = f"<defs>{pattern_def(pid, style)}</defs>"
        fill = f"url(#{pid})"
    else:
        defs, fill = "", style.colour
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="swatch" width="10" height="10" '
        f'viewBox="0 0 10 10" aria-hidden="true">{defs}<rect x="0.25" y="0.25" width="9.5" '
        f'height="9.5" fill={xml_attr(fill)} stroke="#555" stroke-width="0.5"/></svg>'
    )
