"""Prototype: the report's two main charts drawn with matplotlib's SVG backend (issue 19).

The daily phase-energy chart and the per-model crossover chart of `pipeline.report.charts` and
`pipeline.report.crossover_chart`, from the same `Disclosure`, at the same size (720 x 320 and
720 x 220 user units), font (DejaVu Sans), colours, hatches, dashes and markers. Only for the
measurement in `benchmarks.chart_libraries`: matplotlib is not a dependency of the pipeline
(install it by hand to run this). `text_as_paths` picks matplotlib's `svg.fonttype`: "path"
(glyphs as outlines, nothing for WeasyPrint to shape) or "none" (`<text>` elements).
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from datetime import date

import matplotlib

matplotlib.use("svg")
from matplotlib import rcParams  # noqa: E402
from matplotlib.backends.backend_svg import FigureCanvasSVG  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from pipeline.disclosure.model import Disclosure  # noqa: E402
from pipeline.disclosure.model_figures import ModelFigures  # noqa: E402
from pipeline.formatting import fmt_date, fmt_number  # noqa: E402
from pipeline.report.charts import _period_days  # noqa: E402
from pipeline.report.crossover_chart import _points  # noqa: E402
from pipeline.report.crossover_layout import (  # noqa: E402
    INFERENCE_COLOUR,
    MAX_MARKERS,
    TRAINING_COLOUR,
)
from pipeline.report.crossover_layout import date_ticks as _x_ticks  # noqa: E402
from pipeline.report.crossover_layout import energy_scale as _energy_scale  # noqa: E402
from pipeline.report.phases import ordered_phases, phase_label, phase_style  # noqa: E402
from pipeline.report.svg import shorten as _short  # noqa: E402
from pipeline.report.svg import xml_text as _text  # noqa: E402

_HATCH = {"diagonal": "////", "dots": "..", "cross": "++", "horizontal": "--"}
PX = 1 / 72  # one SVG user unit in inches (matplotlib writes pt)


def configure(text_as_paths: bool) -> None:
    rcParams.update(
        {
            "svg.fonttype": "path" if text_as_paths else "none",
            "svg.hashsalt": "wattprint",  # stable ids: the same chart gives the same bytes
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.edgecolor": "#555555",
            "axes.linewidth": 1.0,
            "xtick.color": "#555555",
            "ytick.color": "#555555",
            "xtick.labelcolor": "#333333",
            "ytick.labelcolor": "#333333",
            "hatch.linewidth": 1.4,
        }
    )


def _svg(fig: Figure, css: str, title: str) -> str:
    """The figure as an `<svg>` element to inline: no XML prolog, the report's class and title."""
    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    head, rest = svg.split(">", 1)
    return f'{head} class="chart {css}" role="img"><title>{_text(title)}</title>{rest}'


def _plain_axes(ax) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=10)
    ax.tick_params(axis="x", length=4, labelsize=10)
    ax.grid(axis="y", color="#d0d0d0", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))


def daily_phase_energy_svg(d: Disclosure) -> str:
    """Stacked bars of facility energy per day and phase, legend on the right."""
    per_day: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in d.daily:
        if math.isfinite(row.energy_kwh):
            per_day[row.day][row.phase] += max(row.energy_kwh, 0.0)
    phases = ordered_phases(row.phase for row in d.daily)
    days = _period_days(d)
    max_total = max((sum(per_day[day].values()) for day in days), default=0.0)
    scale, unit = (1000.0, "MWh") if max_total >= 10_000 else (1.0, "kWh")

    fig = Figure(figsize=(720 * PX, 320 * PX))
    ax = fig.add_axes((70 / 720, 58 / 320, 490 / 720, 246 / 320))
    _plain_axes(ax)
    xs = list(range(len(days)))
    bottom = [0.0] * len(days)
    for phase in phases:
        style = phase_style(phase, phases)
        values = [per_day[day].get(phase, 0.0) / scale for day in days]
        ax.bar(
            xs,
            values,
            0.78,
            bottom=bottom,
            color=style.colour,
            edgecolor="#ffffff",
            linewidth=0.4,
            hatch=_HATCH.get(style.hatch or ""),
            hatchcolor=style.hatch_colour,
            label=_short(phase_label(phase), 20),
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlim(-0.5, len(days) - 0.5)
    ax.set_ylim(0, None)
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    every = max(1, math.ceil(len(days) / 10))
    ax.set_xticks(xs[::every], [day.strftime("%m-%d") for day in days[::every]])
    ax.set_ylabel(f"Facility energy per day ({unit})", fontsize=11)
    ax.set_xlabel(f"Day (UTC, month-day), {d.period.start.year}", fontsize=11)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        labels[::-1],
        title="Phase",
        loc="upper left",
        bbox_to_anchor=(1.03, 1.0),
        frameon=False,
        fontsize=10,
        title_fontproperties={"weight": "bold", "size": 11},
        alignment="left",
    )
    title = (
        f"Daily facility energy by phase, {fmt_date(d.period.start)} to {fmt_date(d.period.end)}"
    )
    return _svg(fig, "chart-daily", title)


def crossover_svg(m: ModelFigures, prefix: str) -> str | None:
    """Cumulative training vs inference energy of one model, with the crossover marked."""
    pts = _points(m)
    if not pts:
        return None
    c = m.crossover
    first, last = pts[0], pts[-1]
    span = max((last.day - first.day).days, 1)
    cross_day = c.date if c.reached else None
    d0 = min(first.day, cross_day) if cross_day else first.day
    scale = _energy_scale(max(max(p.training_kwh, p.inference_kwh) for p in pts))
    fig = Figure(figsize=(720 * PX, 220 * PX))
    ax = fig.add_axes((62 / 720, 34 / 220, 640 / 720, 142 / 220))
    _plain_axes(ax)
    x = [(p.day - d0).days for p in pts]
    every = max(1, math.ceil(len(pts) / MAX_MARKERS))
    t_kwh = [p.training_kwh / scale.divisor for p in pts]
    i_kwh = [p.inference_kwh / scale.divisor for p in pts]
    t_label = f"Training + fine-tuning: {scale.text(last.training_kwh)}"
    i_label = f"Inference: {scale.text(last.inference_kwh)}"
    ax.plot(
        x, t_kwh, color=TRAINING_COLOUR, lw=2, marker="o", ms=5.6, markevery=every, label=t_label
    )
    ax.plot(
        x,
        i_kwh,
        color=INFERENCE_COLOUR,
        lw=2,
        ls=(0, (3, 1.5)),
        marker="s",
        ms=5.6,
        mec="#5a3a00",
        mew=0.7,
        markevery=every,
        label=i_label,
    )
    if cross_day:
        cx = (cross_day - d0).days
        ax.axvline(cx, color="#333333", lw=1, ls=(0, (3, 2)))
        ax.text(
            cx + 0.1,
            0.92,
            f"crossover {fmt_date(cross_day)}",
            fontsize=10,
            transform=ax.get_xaxis_transform(),
        )
    elif c.projected_days and last.training_kwh > last.inference_kwh:
        xe = x[-1] + min(c.projected_days, 0.5 * span)
        ax.plot([x[-1], xe], [i_kwh[-1], t_kwh[-1]], color=INFERENCE_COLOUR, lw=1.6, ls=":")
    else:
        ax.text(0.01, 0.9, "not reached", fontsize=10, transform=ax.transAxes)
    ticks = _x_ticks(d0, max(x[-1], 1))
    ax.set_xticks([(t - d0).days for t in ticks], [fmt_date(t) for t in ticks])
    ax.set_ylim(0, None)
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_ylabel(f"Cumulative energy ({scale.unit})", fontsize=10)
    ax.set_xlabel("Day (UTC)", fontsize=10, labelpad=1)
    fig.text(8 / 720, 1 - 14 / 220, _short(m.name, 90), fontsize=11, weight="bold")
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.02),
        ncols=3,
        frameon=False,
        fontsize=10,
        handlelength=2.6,
        borderaxespad=0,
    )
    return _svg(fig, "chart-crossover", f"{m.name}: cumulative training and inference energy")
