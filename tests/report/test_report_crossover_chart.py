"""The per-model crossover chart: parses, carries the data it claims, marks the crossover where it
is, projects only when there is a projection, escapes names, and keeps ids apart per prefix.

Positions are checked against the chart's own axes: the y mapping is read from the tick labels a
reader sees (value and gridline), the x mapping from where the first and last days are drawn, so
the tests fail if a line, marker or tick is drawn somewhere its number does not say.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import numpy as np
import pytest

from pipeline.disclosure.model_figures import ModelFigures
from pipeline.formatting import fmt, fmt_date, fmt_number
from pipeline.method.lifecycle import crossover, cumulative, with_amortisation
from pipeline.method.results import Crossover, CumulativePoint
from pipeline.report.crossover_chart import crossover_svg
from pipeline.report.phases import phase_style
from tests.report_sample import sample_disclosure

SVG = "{http://www.w3.org/2000/svg}"
START = date(2025, 3, 1)
UNIT_KWH = {"kWh": 1.0, "MWh": 1e3, "GWh": 1e6}


def _base() -> ModelFigures:
    return next(m for m in sample_disclosure().models if m.name == "atlas-7b-chat")


def _model(
    training_kwh: list[float],
    inference_kwh: list[float],
    *,
    start: date = START,
    days: list[date] | None = None,
    name: str = "atlas-7b-chat",
) -> ModelFigures:
    """A model whose crossover and cumulative points come from the pipeline's own functions."""
    days = days or [start + timedelta(days=i) for i in range(len(training_kwh))]
    t, i = np.array(training_kwh, dtype=float), np.array(inference_kwh, dtype=float)
    return _base().model_copy(
        update={
            "name": name,
            "crossover": with_amortisation(crossover(days, t, i), 1_000_000),
            "cumulative": cumulative(days, t, i),
        }
    )


# 14 days: a training run on days 0-4, inference growing; crosses on day 8 = 2025-03-09
REACHED = ([5000.0] * 5 + [0.0] * 9, [1500.0 + 400 * k for k in range(14)])
# inference catches up in about 10 more days at the trailing rate (within the axis)
PROJECTED = ([4000.0] * 5 + [0.0] * 9, [400.0 + 20 * k for k in range(14)])
# no inference at all: not reached, no projection
NEVER = ([300.0] * 6, [0.0] * 6)


def _root(m: ModelFigures, prefix: str = "xo-1") -> ET.Element:
    svg = crossover_svg(m, prefix)
    assert svg is not None
    return ET.fromstring(svg)


def _find(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if css in (e.get("class") or "").split()]


def _series(root: ET.Element, key: str) -> ET.Element:
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("data-series") == key and _is_series(g)]
    return group


def _is_series(g: ET.Element) -> bool:
    return "series" in (g.get("class") or "").split()


def _line_points(root: ET.Element, key: str) -> list[tuple[float, float]]:
    (poly,) = _series(root, key).iter(f"{SVG}polyline")
    return [tuple(map(float, xy.split(","))) for xy in poly.get("points", "").split()]  # type: ignore[misc]


def _y_kwh(root: ET.Element):
    """kWh -> y, from the printed tick labels, their gridlines and the unit in the axis label."""
    (axis,) = _find(root, "axis-y")
    label = "".join(_find(axis, "axis-label")[0].itertext())
    unit = re.fullmatch(r"Cumulative energy \((kWh|MWh|GWh)\)", label)
    assert unit, label
    ticks = []
    for tick in _find(axis, "tick"):
        value = float(tick.find(f"{SVG}text").text.replace(",", ""))  # type: ignore[union-attr]
        ticks.append((value * UNIT_KWH[unit.group(1)], float(tick.find(f"{SVG}line").get("y1"))))  # type: ignore[union-attr,arg-type]
    (v0, ya), (v1, yb) = ticks[0], ticks[-1]
    assert v0 == 0 and v1 > 0 and len(ticks) >= 3

    def y_of(kwh: float) -> float:
        return ya + (yb - ya) * kwh / v1

    for v, y in ticks:  # every tick on the same linear scale
        assert y == pytest.approx(y_of(v), abs=0.02)
    return y_of


def _x_day(m: ModelFigures, root: ET.Element):
    """date -> x, from where the first and last cumulative days are drawn."""
    pts = _line_points(root, "training")
    d_first, d_last = m.cumulative[0].day, m.cumulative[-1].day
    (xa, _), (xb, _) = pts[0], pts[-1]

    def x_of(day: date | float) -> float:
        offset = (day - d_first).days if isinstance(day, date) else day
        return xa + (xb - xa) * offset / (d_last - d_first).days

    return x_of


def test_sample_models_chart_only_with_cumulative_points():
    d = sample_disclosure()
    assert d.models
    for i, m in enumerate(d.models):
        assert m.cumulative, m.name
        svg = crossover_svg(m, f"xo-{i}")
        assert svg is not None and ET.fromstring(svg) is not None
        assert crossover_svg(m.model_copy(update={"cumulative": []}), "xo-1") is None


def test_none_without_drawable_points():
    m = _model(*REACHED)
    assert crossover_svg(m.model_copy(update={"cumulative": []}), "xo-1") is None
    nan = [CumulativePoint(day=START, training_kwh=math.nan, inference_kwh=1.0)]
    assert crossover_svg(m.model_copy(update={"cumulative": nan}), "xo-1") is None


def test_parses_with_title_desc_and_two_distinct_lines():
    m = _model(*REACHED)
    root = _root(m)
    assert root.tag == f"{SVG}svg"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and "atlas-7b-chat" in (title.text or "")
    assert desc is not None and fmt_date(date(2025, 3, 9)) in (desc.text or "")
    t_line = _series(root, "training").find(f"{SVG}polyline")
    i_line = _series(root, "inference").find(f"{SVG}polyline")
    assert t_line is not None and i_line is not None
    assert t_line.get("stroke") == phase_style("training").colour
    assert i_line.get("stroke") == phase_style("inference").colour
    assert t_line.get("stroke-dasharray") != i_line.get("stroke-dasharray")
    # different point markers too: circles for training, squares for inference
    assert _series(root, "training").findall(f"{SVG}circle")
    assert not _series(root, "training").findall(f"{SVG}rect")
    assert _series(root, "inference").findall(f"{SVG}rect")
    assert not _series(root, "inference").findall(f"{SVG}circle")
    # sized like the other charts: the stylesheet scales `svg.chart` to the text width
    assert "chart" in root.get("class", "").split()
    w, h = float(root.get("width")), float(root.get("height"))  # type: ignore[arg-type]
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert 0.25 <= h / w <= 0.35  # 178 mm wide on A4 -> 45-60 mm high


@pytest.mark.parametrize(
    "series",
    [
        REACHED,
        PROJECTED,
        NEVER,
        ([2.5, 0.0, 0.0], [0.1, 0.2, 0.4]),  # small: kWh axis with decimals
        ([4.2e6] * 3 + [0.0] * 7, [1e5 * k for k in range(10)]),  # GWh axis
    ],
)
def test_every_point_is_drawn_at_its_cumulative_value(series):
    m = _model(*series)
    root = _root(m)
    y_of, x_of = _y_kwh(root), _x_day(m, root)
    for key in ("training", "inference"):
        drawn = _line_points(root, key)
        assert len(drawn) == len(m.cumulative)
        for (x, y), p in zip(drawn, m.cumulative, strict=True):
            kwh = p.training_kwh if key == "training" else p.inference_kwh
            assert y == pytest.approx(y_of(kwh), abs=1.0)
            assert x == pytest.approx(x_of(p.day), abs=0.02)
        # the legend prints the last cumulative value, in the axis unit
        entry = next(
            g for g in _find(root, "legend-entry") if g.get("data-series") == key
        ).itertext()
        label = "".join(entry)
        unit = re.search(r"\((kWh|MWh|GWh)\)", "".join(_find(root, "axis-label")[0].itertext()))
        assert unit
        last = (
            m.cumulative[-1].training_kwh if key == "training" else m.cumulative[-1].inference_kwh
        )
        assert label.endswith(fmt(last / UNIT_KWH[unit.group(1)], unit.group(1)))


def test_points_are_placed_by_date_when_days_are_missing():
    days = [START, START + timedelta(days=1), START + timedelta(days=9), START + timedelta(days=10)]
    m = _model([100.0, 100.0, 0.0, 0.0], [10.0, 10.0, 10.0, 10.0], days=days)
    root = _root(m)
    xs = [x for x, _ in _line_points(root, "inference")]
    step = (xs[-1] - xs[0]) / 10
    assert xs[1] - xs[0] == pytest.approx(step, abs=0.02)
    assert xs[2] - xs[1] == pytest.approx(8 * step, abs=0.02)


def test_crossover_marker_at_the_crossover_date():
    m = _model(*REACHED)
    assert m.crossover.reached and m.crossover.date == date(2025, 3, 9)  # the data's premise
    root = _root(m)
    x_of = _x_day(m, root)
    (marker,) = _find(root, "crossover-marker")
    line = marker.find(f"{SVG}line")
    assert line is not None
    assert float(line.get("x1")) == pytest.approx(x_of(date(2025, 3, 9)), abs=0.02)  # type: ignore[arg-type]
    assert float(line.get("x2")) == float(line.get("x1"))  # type: ignore[arg-type]
    assert "".join(marker.itertext()) == "crossover 2025-03-09"
    assert not _find(root, "projection") and not _find(root, "projection-marker")
    assert not _find(root, "note")
    # the x tick labels sit at their dates on the same mapping
    ticks = [
        t for t in _find(root, "axis-x")[0].iter(f"{SVG}text") if re.match(r"\d{4}-", t.text or "")
    ]
    assert len(ticks) >= 3
    for t in ticks:
        assert float(t.get("x")) == pytest.approx(x_of(date.fromisoformat(t.text)), abs=0.02)  # type: ignore[arg-type]


def test_not_reached_without_projection_says_so():
    m = _model(*NEVER)
    assert not m.crossover.reached and m.crossover.projected_days is None
    root = _root(m)
    assert not _find(root, "crossover-marker")
    assert not _find(root, "projection") and not _find(root, "projection-marker")
    (note,) = _find(root, "note")
    assert "not reached" in (note.text or "")


def test_projection_ends_at_the_training_level_after_projected_days():
    m = _model(*PROJECTED)
    c = m.crossover
    assert not c.reached and c.projected_days is not None and 0 < c.projected_days < 26
    root = _root(m)
    y_of, x_of = _y_kwh(root), _x_day(m, root)
    (proj,) = _find(root, "projection")
    (a, b) = [tuple(map(float, xy.split(","))) for xy in proj.get("points", "").split()]
    last = m.cumulative[-1]
    assert a == pytest.approx((x_of(last.day), y_of(last.inference_kwh)), abs=1.0)
    end_x = x_of((last.day - m.cumulative[0].day).days + c.projected_days)
    assert b == pytest.approx((end_x, y_of(last.training_kwh)), abs=1.0)
    assert proj.get("stroke") == phase_style("inference").colour
    assert proj.get("stroke-dasharray") not in (
        None,
        _series(root, "inference").find(f"{SVG}polyline").get("stroke-dasharray"),  # type: ignore[union-attr]
    )
    (marker,) = _find(root, "projection-marker")
    assert float(marker.find(f"{SVG}line").get("x1")) == pytest.approx(end_x, abs=0.02)  # type: ignore[union-attr,arg-type]
    assert "".join(marker.itertext()) == f"projected in {fmt_number(c.projected_days)} days"
    assert not _find(root, "crossover-marker") and not _find(root, "note")


@pytest.mark.parametrize("projected", [None, math.inf, math.nan, 0.0, -3.0])
def test_no_projection_without_a_finite_positive_projected_days(projected):
    m = _model(*PROJECTED)
    m = m.model_copy(
        update={"crossover": m.crossover.model_copy(update={"projected_days": projected})}
    )
    root = _root(m)
    assert not _find(root, "projection") and not _find(root, "projection-marker")
    (note,) = _find(root, "note")
    assert "not reached" in (note.text or "")


def test_reached_model_gets_no_projection_even_with_projected_days():
    m = _model(*REACHED)
    m = m.model_copy(update={"crossover": m.crossover.model_copy(update={"projected_days": 5.0})})
    root = _root(m)
    assert _find(root, "crossover-marker")
    assert not _find(root, "projection") and not _find(root, "projection-marker")


def test_long_projection_is_cut_at_the_axis_on_its_slope():
    m = _model([5000.0] * 3 + [0.0] * 11, [10.0] * 14)
    c = m.crossover
    assert c.projected_days is not None and c.projected_days > 1000
    root = _root(m)
    y_of, x_of = _y_kwh(root), _x_day(m, root)
    (proj,) = _find(root, "projection")
    (a, b) = [tuple(map(float, xy.split(","))) for xy in proj.get("points", "").split()]
    axis = _find(root, "axis-x")[0].find(f"{SVG}line")
    assert b[0] == pytest.approx(float(axis.get("x2")), abs=0.02)  # type: ignore[union-attr,arg-type]
    last = m.cumulative[-1]
    days_shown = (b[0] - a[0]) / (x_of(1.0) - x_of(0.0))
    rate = (last.training_kwh - last.inference_kwh) / c.projected_days  # kWh/day
    assert b[1] == pytest.approx(y_of(last.inference_kwh + rate * days_shown), abs=1.0)
    (label,) = _find(root, "projection-label")
    assert f"projected in {fmt_number(c.projected_days)} days" in (label.text or "")
    assert not _find(root, "projection-marker")


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", '"><img src=x>', "a&b</svg><svg onload=alert(1)>\x0b\x00"],
)
def test_hostile_model_name_is_escaped(name):
    m = _model(*PROJECTED, name=name)
    svg = crossover_svg(m, "xo-1")
    assert svg is not None
    root = ET.fromstring(svg)
    for el in root.iter():
        assert el.tag.startswith(SVG), el.tag
        assert el.tag[len(SVG) :] not in ("script", "img", "foreignObject")
        assert not any(k.startswith("on") for k in el.attrib)
    heading = _find(root, "heading")[0].text or ""
    assert heading.startswith(name[:20].replace("\x0b", "\ufffd").replace("\x00", "\ufffd"))
    assert "<script" not in svg and "<img" not in svg


def test_ids_differ_between_prefixes_and_references_resolve():
    m = _model(*REACHED)
    ids = []
    for prefix in ("xo-1", "xo-2"):
        root = _root(m, prefix)
        mine = {e.get("id") for e in root.iter() if e.get("id")}
        assert mine and all(i.startswith(prefix) for i in mine)  # type: ignore[union-attr]
        assert set(root.get("aria-labelledby", "").split()) <= mine
        ids.append(mine)
    assert not ids[0] & ids[1]


@pytest.mark.parametrize("prefix", ["", "1xo", 'xo"1', "xo 1", "xo<1"])
def test_unusable_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="prefix"):
        crossover_svg(_model(*REACHED), prefix)


def test_reached_without_a_date_is_noted_not_marked():
    m = _model(*REACHED)
    hand = Crossover(reached=True, lifecycle_training_kwh=1.0, lifecycle_inference_kwh=2.0)
    root = _root(m.model_copy(update={"crossover": hand}))
    assert not _find(root, "crossover-marker") and not _find(root, "projection")
    (note,) = _find(root, "note")
    assert "date not recorded" in (note.text or "")
