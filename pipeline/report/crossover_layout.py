"""The crossover chart's geometry and parts: its size and margins, line colours and dash
patterns, the energy unit of the y axis, date ticks, and the point and vertical markers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.formatting import fmt
from pipeline.report.phases import phase_style
from pipeline.report.svg import FONT, xml_attr, xml_text

# viewBox in user units; the report stylesheet scales `svg.chart` to the text width (178 mm on A4),
# so 720 x 220 prints at about 178 x 54 mm.
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 62, 18, 44, 34
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM

TRAINING_COLOUR = phase_style("training").colour
INFERENCE_COLOUR = phase_style("inference").colour
TRAINING_DASH: str | None = None  # solid
INFERENCE_DASH = "6 3"
PROJECTION_DASH = "1.5 3"
MARKER_DASH = "3 2"
MAX_MARKERS = 10  # point markers per line; the polyline itself has every point


@dataclass(frozen=True)
class EnergyScale:
    divisor: float
    unit: str

    def text(self, kwh: float) -> str:
        """`kwh` in the axis unit, so every figure on the chart reads in one unit."""
        return fmt(kwh / self.divisor, self.unit)


def energy_scale(max_kwh: float) -> EnergyScale:
    """kWh below 10,000 kWh, then MWh, then GWh, so tick labels stay short."""
    if max_kwh >= 1e7:
        return EnergyScale(1e6, "GWh")
    if max_kwh >= 1e4:
        return EnergyScale(1e3, "MWh")
    return EnergyScale(1.0, "kWh")


def date_ticks(d0: date, span_days: float) -> list[date]:
    """Dates for at most 8 x ticks (a date label is about 56 units wide): every 1, 2, 7 or 14 days
    from the first day, else on the first of every 1, 2, 3, 6, 12, ... months."""
    for step in (1, 2, 7, 14):
        if span_days / step <= 7:
            return [d0 + timedelta(days=k * step) for k in range(int(span_days // step) + 1)]
    end = d0 + timedelta(days=math.floor(span_days))
    months = next((m for m in (1, 2, 3, 6, 12, 24, 60) if span_days / (m * 30.44) <= 7), 120)
    index = d0.year * 12 + d0.month - 1  # the first month start on or after d0
    if d0.day > 1:
        index += 1
    index = math.ceil(index / months) * months  # aligned: Jan/Apr/Jul/Oct for quarters, etc.
    ticks = []
    while (tick := date(index // 12, index % 12 + 1, 1)) <= end:
        ticks.append(tick)
        index += months
    return ticks


def marker_indices(n: int) -> list[int]:
    m = min(n, MAX_MARKERS)
    if m <= 1:
        return list(range(n))
    return sorted({round(k * (n - 1) / (m - 1)) for k in range(m)})


def text_width(text: str, font_px: float = 10.0) -> float:
    """Rough width of sans-serif text, for laying out the legend."""
    return len(text) * font_px * 0.56


def circle(x: float, y: float, colour: str, filled: bool, tip: str = "") -> str:
    fill = colour if filled else "#ffffff"
    title = f"<title>{xml_text(tip)}</title>" if tip else ""
    return (
        f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="2.8" fill="{fill}" '
        f'stroke="{colour}" stroke-width="1">{title}</circle>'
    )


def square(x: float, y: float, colour: str, filled: bool, tip: str = "") -> str:
    fill = colour if filled else "#ffffff"
    title = f"<title>{xml_text(tip)}</title>" if tip else ""
    # a dark outline keeps the light inference colour visible on white and in greyscale
    return (
        f'<rect class="point" x="{x - 2.8:.2f}" y="{y - 2.8:.2f}" width="5.6" height="5.6" '
        f'fill="{fill}" stroke="{"#5a3a00" if filled else colour}" stroke-width="'
        f'{0.7 if filled else 1.4}">{title}</rect>'
    )


def vertical_marker(css: str, x: float, label: str, y_lines: float, dotted: bool = False) -> str:
    """A vertical line over the plot height, labelled away from where the lines meet it
    (`y_lines`): at the bottom when they meet it in the upper half, else at the top; and on the
    left of the line near the right edge."""
    y0 = TOP + PLOT_H
    on_right = x > LEFT + PLOT_W * 0.65
    tx, anchor = (x - 4, "end") if on_right else (x + 4, "start")
    ty = y0 - 6 if y_lines < TOP + PLOT_H / 2 else TOP + 12
    dash = PROJECTION_DASH if dotted else MARKER_DASH
    return (
        f'<g class="{css}"><line x1="{x:.2f}" y1="{TOP + 2}" x2="{x:.2f}" y2="{y0}" '
        f'stroke="#333333" stroke-width="1" stroke-dasharray="{dash}"/>'
        f'<text x="{tx:.2f}" y="{ty:.2f}" text-anchor="{anchor}" font-size="10" '
        f'fill="#222">{xml_text(label)}</text></g>'
    )


def chart_open(prefix: str, title: str, desc: str) -> str:
    """Like `svg.svg_open`, plus ids on title/desc that `aria-labelledby` points at."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{prefix}" class="chart chart-crossover" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family={xml_attr(FONT)}>'
        f'<title id="{prefix}-title">{xml_text(title)}</title>'
        f'<desc id="{prefix}-desc">{xml_text(desc)}</desc>'
    )
