"""Per-model crossover chart: cumulative training (+ fine-tuning) vs cumulative inference energy.

One compact SVG per model (small multiples on an A4 page). The x axis is calendar days (the model's
`cumulative` points may skip days with no activity, so points are placed by date, not by index);
the y axis is lifecycle energy in kWh, MWh or GWh, as its label says.

The lines keep the phase colours of the other charts (`phases.phase_style`) and differ in dash
pattern and point marker too (training: solid with circles; inference: dashed with squares), so the
chart reads in greyscale print. The crossover is a vertical marker at `crossover.date`; a model that
has not crossed over gets a dotted projection of the inference line at the trailing rate to the
projected crossover (`crossover.projected_days`), or a "not reached" note.

Text from the data (model names) goes through `svg.xml_text`/`svg.xml_attr`. Element ids carry the
caller's `prefix`, so several charts can be inlined in one HTML document.
"""

from __future__ import annotations

import math
import re
from datetime import date

from pipeline.disclosure.model_figures import ModelFigures
from pipeline.formatting import fmt_date, fmt_number
from pipeline.method.lifecycle import TRAILING_DAYS
from pipeline.method.results import CumulativePoint
from pipeline.printable import shorten
from pipeline.report.crossover_layout import (
    HEIGHT,
    INFERENCE_COLOUR,
    INFERENCE_DASH,
    LEFT,
    PLOT_H,
    PLOT_W,
    PROJECTION_DASH,
    TOP,
    TRAINING_COLOUR,
    TRAINING_DASH,
    chart_open,
    circle,
    date_ticks,
    energy_scale,
    marker_indices,
    square,
    text_width,
    vertical_marker,
)
from pipeline.report.svg import nice_ceiling, xml_text

# A projection longer than this many times the observed span is cut at the right edge of the plot
# (with the axis extended by half the span), so the observed lines keep most of the width.
_MAX_PROJECTION_SPANS = 2.0
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _points(m: ModelFigures) -> list[CumulativePoint]:
    """The drawable points, by day: finite values only, negatives drawn at zero."""
    good = [
        CumulativePoint(
            day=p.day,
            training_kwh=max(p.training_kwh, 0.0),
            inference_kwh=max(p.inference_kwh, 0.0),
        )
        for p in m.cumulative
        if math.isfinite(p.training_kwh) and math.isfinite(p.inference_kwh)
    ]
    return sorted(good, key=lambda p: p.day)


def crossover_svg(m: ModelFigures, prefix: str) -> str | None:
    """The crossover chart of one model, or None when it has no cumulative points to draw.

    `prefix` starts every element id in the SVG (letters, digits, '-', '_'; a letter first); give
    each chart in one HTML document its own, e.g. f"xo-{loop.index}".
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"crossover_svg: prefix {prefix!r} is not a usable id; expected a letter followed by "
            "letters, digits, '-' or '_'"
        )
    pts = _points(m)
    if not pts:
        return None
    c = m.crossover
    first, last = pts[0], pts[-1]
    span_days = max((last.day - first.day).days, 1)

    # --- what to mark: the crossover date, a projection, or a note
    cross_day = c.date if c.reached else None
    proj_days = c.projected_days
    project = (
        not c.reached
        and proj_days is not None
        and math.isfinite(proj_days)
        and proj_days > 0
        and last.training_kwh > last.inference_kwh
    )

    # --- x domain (days after `d0`, floats so a projection can end mid-day)
    d0 = min(first.day, cross_day) if cross_day else first.day
    x_end = float(max((last.day - d0).days, 1))
    if cross_day:
        x_end = max(x_end, float((cross_day - d0).days))
    proj_cut = False
    if project:
        assert proj_days is not None
        if proj_days <= _MAX_PROJECTION_SPANS * span_days:
            x_end = (last.day - d0).days + proj_days
        else:
            x_end = (last.day - d0).days + 0.5 * span_days
            proj_cut = True

    def x_of(day: date | float) -> float:
        offset = (day - d0).days if isinstance(day, date) else day
        return LEFT + offset / x_end * PLOT_W

    # --- y domain
    max_kwh = max(max(p.training_kwh, p.inference_kwh) for p in pts)
    scale = energy_scale(max_kwh)
    top_value, step = nice_ceiling(max_kwh / scale.divisor)
    y0 = TOP + PLOT_H

    def y_of(kwh: float) -> float:
        return y0 - (kwh / scale.divisor) / top_value * PLOT_H

    # --- title, description (accessible summary with the figures)
    t_total, i_total = scale.text(last.training_kwh), scale.text(last.inference_kwh)
    if cross_day:
        status = f"crossover {fmt_date(cross_day)}"
        outcome = f"Cumulative inference energy passed training on {fmt_date(cross_day)}."
    elif c.reached:
        status = "crossover reached (date not recorded)"
        outcome = "Cumulative inference energy has passed training; the date is not recorded."
    elif project:
        status = f"projected in {fmt_number(proj_days)} days"
        outcome = (
            f"Not reached; at the trailing {TRAILING_DAYS}-day inference rate, inference is "
            f"projected to pass training in {fmt_number(proj_days)} days."
        )
    elif last.training_kwh <= 0:
        status = "not reached: no training or fine-tuning energy"
        outcome = "No training or fine-tuning energy is recorded, so there is no crossover."
    elif last.inference_kwh <= 0:
        status = "not reached: no inference energy yet"
        outcome = "No inference energy is recorded yet, so there is no crossover to project."
    else:
        status = "not reached, no projection"
        outcome = "Not reached, and no projection is possible (no recent inference energy)."
    name = shorten(m.name)  # as the tables print it: a 100 kB name would fill the PDF
    title = f"{name}: cumulative training and inference energy"
    desc = (
        f"Line chart of lifecycle energy from {fmt_date(first.day)} to {fmt_date(last.day)}, "
        f"in {scale.unit}. Training and fine-tuning reach {t_total}; inference reaches "
        f"{i_total}. {outcome}"
    )
    out = [chart_open(prefix, title, desc)]

    # --- heading: the model name (the crossover status is written at its marker or as a note)
    out.append(
        f'<text class="heading" x="8" y="14" font-size="11" font-weight="bold" fill="#222">'
        f"{xml_text(name)}</text>"
    )

    # --- legend row
    legend = [
        ("training", f"Training + fine-tuning: {t_total}"),
        ("inference", f"Inference: {i_total}"),
    ]
    if project:
        legend.append(("projection", f"Inference projected at the {TRAILING_DAYS}-day rate"))
    out.append('<g class="legend" font-size="10" fill="#222">')
    lx, ly = float(LEFT), 30.0
    for key, label in legend:
        colour = TRAINING_COLOUR if key == "training" else INFERENCE_COLOUR
        dash = {"training": TRAINING_DASH, "inference": INFERENCE_DASH}.get(key, PROJECTION_DASH)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        width = 1.4 if key == "projection" else 2.0
        out.append(
            f'<g class="legend-entry" data-series="{key}">'
            f'<line x1="{lx:.1f}" y1="{ly - 3.5:.1f}" x2="{lx + 26:.1f}" y2="{ly - 3.5:.1f}" '
            f'stroke="{colour}" stroke-width="{width}"{dash_attr} stroke-linecap="round"/>'
        )
        if key == "training":
            out.append(circle(lx + 13, ly - 3.5, TRAINING_COLOUR, filled=True))
        elif key == "inference":
            out.append(square(lx + 13, ly - 3.5, INFERENCE_COLOUR, filled=True))
        else:
            out.append(square(lx + 13, ly - 3.5, INFERENCE_COLOUR, filled=False))
        out.append(f'<text x="{lx + 32:.1f}" y="{ly:.1f}">{xml_text(label)}</text></g>')
        lx += 32 + text_width(label) + 18
    out.append("</g>")

    # --- y axis: grid, ticks, label with unit
    out.append('<g class="axis axis-y" font-size="10" fill="#333">')
    for i in range(int(round(top_value / step)) + 1):
        v = i * step
        y = y0 - v / top_value * PLOT_H
        out.append(
            f'<g class="tick" data-value="{v:g}"><line x1="{LEFT}" y1="{y:.2f}" '
            f'x2="{LEFT + PLOT_W}" y2="{y:.2f}" stroke="#d0d0d0" '
            f'stroke-width="{0.8 if i else 1.2}"/><text x="{LEFT - 6}" y="{y + 3.5:.2f}" '
            f'text-anchor="end">{xml_text(fmt_number(v))}</text></g>'
        )
    label_y = TOP + PLOT_H / 2
    out.append(
        f'<text class="axis-label" x="14" y="{label_y:.2f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {label_y:.2f})">'
        f"{xml_text(f'Cumulative energy ({scale.unit})')}</text></g>"
    )

    # --- x axis: date ticks
    out.append('<g class="axis axis-x" font-size="10" fill="#333">')
    out.append(
        f'<line x1="{LEFT}" y1="{y0}" x2="{LEFT + PLOT_W}" y2="{y0}" stroke="#555" '
        'stroke-width="1"/>'
    )
    for tick_day in date_ticks(d0, x_end):
        x = x_of(tick_day)
        anchor = "end" if x > LEFT + PLOT_W - 30 else "middle"
        out.append(
            f'<line x1="{x:.2f}" y1="{y0}" x2="{x:.2f}" y2="{y0 + 4}" stroke="#555"/>'
            f'<text x="{x:.2f}" y="{y0 + 15}" text-anchor="{anchor}">'
            f"{xml_text(fmt_date(tick_day))}</text>"
        )
    out.append(
        f'<text class="axis-label" x="{LEFT + PLOT_W / 2:.2f}" y="{HEIGHT - 5}" '
        f'text-anchor="middle">{xml_text("Day (UTC)")}</text></g>'
    )

    # --- the crossover marker (below the lines)
    if cross_day:
        at = min(pts, key=lambda p: abs((p.day - cross_day).days))  # the crossover day's point
        y_at = y_of(at.training_kwh)
        out.append(vertical_marker("crossover-marker", x_of(cross_day), status, y_at))

    # --- projection (dotted inference to the training level; thin dotted training level)
    if project:
        assert proj_days is not None
        x_last = x_of(last.day)
        x_proj = x_of((last.day - d0).days + proj_days)
        y_i, y_t = y_of(last.inference_kwh), y_of(last.training_kwh)
        x_stop, y_stop = x_proj, y_t
        if proj_cut:
            x_stop = float(LEFT + PLOT_W)
            y_stop = y_i + (y_t - y_i) * (x_stop - x_last) / (x_proj - x_last)
        out.append(
            f'<g class="projection-group">'
            f'<line class="training-level" x1="{x_last:.2f}" y1="{y_t:.2f}" x2="{x_stop:.2f}" '
            f'y2="{y_t:.2f}" stroke="{TRAINING_COLOUR}" stroke-width="1" '
            f'stroke-dasharray="{PROJECTION_DASH}"/>'
            f'<polyline class="projection" points="{x_last:.2f},{y_i:.2f} {x_stop:.2f},'
            f'{y_stop:.2f}" fill="none" stroke="{INFERENCE_COLOUR}" stroke-width="1.6" '
            f'stroke-dasharray="{PROJECTION_DASH}" stroke-linecap="round"/>'
        )
        if proj_cut:
            cut_label = f"{status} (beyond the axis) \u2192"
            out.append(
                f'<text class="projection-label" x="{x_stop - 4:.2f}" y="{y_t + 13:.2f}" '
                f'text-anchor="end" font-size="10" fill="#222">{xml_text(cut_label)}</text>'
            )
        else:
            out.append(square(x_stop, y_stop, INFERENCE_COLOUR, filled=False))
            out.append(vertical_marker("projection-marker", x_proj, status, y_t, dotted=True))
        out.append("</g>")
    elif not cross_day:
        out.append(
            f'<text class="note" x="{LEFT + 8}" y="{TOP + 12}" font-size="10" '
            f'fill="#222">{xml_text(status)}</text>'
        )

    # --- the two cumulative lines, training first so inference is drawn on top
    idx = marker_indices(len(pts))
    for key, colour, dash in (
        ("training", TRAINING_COLOUR, TRAINING_DASH),
        ("inference", INFERENCE_COLOUR, INFERENCE_DASH),
    ):
        values = [p.training_kwh if key == "training" else p.inference_kwh for p in pts]
        coords = " ".join(
            f"{x_of(p.day):.2f},{y_of(v):.2f}" for p, v in zip(pts, values, strict=True)
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<g class="series series-{key}" data-series="{key}">'
            f'<polyline class="line" points="{coords}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash_attr} stroke-linejoin="round"/>'
        )
        what = "training + fine-tuning" if key == "training" else "inference"
        for i in idx:
            x, y = x_of(pts[i].day), y_of(values[i])
            tip = f"{fmt_date(pts[i].day)}: {what} {scale.text(values[i])} cumulative"
            shape = circle if key == "training" else square
            out.append(shape(x, y, colour, filled=True, tip=tip))
        out.append("</g>")

    out.append("</svg>")
    return "".join(out)
