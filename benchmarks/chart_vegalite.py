"""Prototype: the report's two main charts as Vega-Lite specs rendered to SVG by vl-convert.

Same data, sizes, font and colours as `pipeline.report.charts` and `crossover_chart`. Vega-Lite
has no pattern fills, so the hatches that keep the phases apart in greyscale are missing here.
Only for the measurement in `benchmarks.chart_libraries`: vl-convert-python is not a dependency
of the pipeline (install it by hand to run this).
"""

from __future__ import annotations

import math

import vl_convert as vlc

from pipeline.disclosure.model import Disclosure
from pipeline.disclosure.model_figures import ModelFigures
from pipeline.formatting import fmt_date
from pipeline.report.charts import _period_days
from pipeline.report.crossover_chart import _points
from pipeline.report.crossover_layout import INFERENCE_COLOUR, TRAINING_COLOUR
from pipeline.report.crossover_layout import energy_scale as _energy_scale
from pipeline.report.phases import ordered_phases, phase_label, phase_style
from pipeline.report.svg import shorten as _short
from pipeline.report.svg import xml_text as _text


def _svg(svg: str, css: str, title: str) -> str:
    """vl-convert's SVG with the report's class and title on the root."""
    svg = svg[svg.index("<svg") :].replace(' class="marks"', "", 1)
    head, rest = svg.split(">", 1)
    return f'{head} class="chart {css}" role="img"><title>{_text(title)}</title>{rest}'


_CONFIG = {
    "font": "DejaVu Sans",
    "axis": {"labelFontSize": 10, "titleFontSize": 11, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 10, "titleFontSize": 11},
    "view": {"stroke": None},
}


def daily_phase_energy_svg(d: Disclosure) -> str:
    phases = ordered_phases(row.phase for row in d.daily)
    days = _period_days(d)
    max_day = max((sum(r.energy_kwh for r in d.daily if r.day == day) for day in days), default=0.0)
    scale, unit = (1000.0, "MWh") if max_day >= 10_000 else (1.0, "kWh")
    order = {p: i for i, p in enumerate(phases)}
    values = [
        {
            "day": r.day.strftime("%m-%d"),
            "phase": _short(phase_label(r.phase), 20),
            "order": order[r.phase],
            "v": max(r.energy_kwh, 0.0) / scale,
        }
        for r in d.daily
        if math.isfinite(r.energy_kwh)
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 490,
        "height": 246,
        "config": _CONFIG,
        "data": {"values": values},
        "mark": {"type": "bar", "stroke": "#ffffff", "strokeWidth": 0.4},
        "encoding": {
            "x": {
                "field": "day",
                "type": "ordinal",
                "title": f"Day (UTC, month-day), {d.period.start.year}",
                "axis": {"labelAngle": 0, "labelExpr": "datum.index % 3 ? '' : datum.label"},
                "scale": {"domain": [day.strftime("%m-%d") for day in days]},
            },
            "y": {
                "field": "v",
                "type": "quantitative",
                "aggregate": "sum",
                "title": f"Facility energy per day ({unit})",
                "axis": {"tickCount": 5, "domain": False, "ticks": False},
            },
            "color": {
                "field": "phase",
                "title": "Phase",
                "scale": {
                    "domain": [_short(phase_label(p), 20) for p in phases],
                    "range": [phase_style(p, phases).colour for p in phases],
                },
            },
            "order": {"field": "order"},
        },
    }
    return _svg(vlc.vegalite_to_svg(spec), "chart-daily", "Daily facility energy by phase")


def crossover_svg(m: ModelFigures, prefix: str) -> str | None:
    pts = _points(m)
    if not pts:
        return None
    scale = _energy_scale(max(max(p.training_kwh, p.inference_kwh) for p in pts))
    last = pts[-1]
    t_label = f"Training + fine-tuning: {scale.text(last.training_kwh)}"
    i_label = f"Inference: {scale.text(last.inference_kwh)}"
    values = [
        {"day": p.day.isoformat(), "series": label, "v": kwh / scale.divisor}
        for p in pts
        for label, kwh in ((t_label, p.training_kwh), (i_label, p.inference_kwh))
    ]
    layers: list[dict] = [
        {
            "mark": {"type": "line", "point": True, "strokeWidth": 2},
            "encoding": {
                "x": {
                    "field": "day",
                    "type": "temporal",
                    "title": "Day (UTC)",
                    "axis": {"format": "%Y-%m-%d", "tickCount": 7},
                },
                "y": {
                    "field": "v",
                    "type": "quantitative",
                    "title": f"Cumulative energy ({scale.unit})",
                    "axis": {"tickCount": 5, "domain": False, "ticks": False},
                },
                "color": {
                    "field": "series",
                    "title": None,
                    "scale": {
                        "domain": [t_label, i_label],
                        "range": [TRAINING_COLOUR, INFERENCE_COLOUR],
                    },
                    "legend": {"orient": "top", "direction": "horizontal"},
                },
                "strokeDash": {
                    "field": "series",
                    "legend": None,
                    "scale": {"domain": [t_label, i_label], "range": [[1, 0], [6, 3]]},
                },
                "shape": {
                    "field": "series",
                    "legend": None,
                    "scale": {"domain": [t_label, i_label], "range": ["circle", "square"]},
                },
            },
        }
    ]
    c = m.crossover
    if c.reached and c.date:
        layers.append(
            {
                "data": {
                    "values": [{"day": c.date.isoformat(), "t": f"crossover {fmt_date(c.date)}"}]
                },
                "layer": [
                    {
                        "mark": {"type": "rule", "strokeDash": [3, 2], "color": "#333"},
                        "encoding": {"x": {"field": "day", "type": "temporal"}},
                    },
                    {
                        "mark": {"type": "text", "align": "left", "dx": 4, "y": 12, "fontSize": 10},
                        "encoding": {
                            "x": {"field": "day", "type": "temporal"},
                            "text": {"field": "t"},
                        },
                    },
                ],
            }
        )
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": _short(m.name, 90), "anchor": "start", "fontSize": 11},
        "width": 640,
        "height": 142,
        "config": _CONFIG,
        "data": {"values": values},
        "layer": layers,
    }
    return _svg(vlc.vegalite_to_svg(spec), "chart-crossover", f"{m.name}: cumulative energy")
