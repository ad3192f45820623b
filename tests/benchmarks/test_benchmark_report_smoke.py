"""The report benchmark still runs end to end on a small monthly disclosure (figures are printed,
not asserted: timings on a shared machine are noise)."""

from __future__ import annotations

import html
import re
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from benchmarks.report import STAGES, measure, model_names, monthly_disclosure


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_report_benchmark_runs_and_prints_every_model(tmp_path: Path) -> None:
    figures = measure(models=3, repeat=1, folder=tmp_path)
    assert tuple(figures.stages_s) == STAGES
    assert all(s > 0 for s in figures.stages_s.values())
    assert figures.total_s > 0 and figures.total_cpu_s > 0 and figures.ratio > 0
    assert figures.collect_s >= 0
    assert (figures.models, figures.days) == (3, 31)
    assert figures.pages > 0 and figures.csv_files > 0
    assert {"json", "html", "pdf", "tables"} <= set(figures.paths)

    reader = PdfReader(BytesIO(figures.paths["pdf"].read_bytes()))
    assert len(reader.pages) == figures.pages
    text = _norm("\n".join(page.extract_text() or "" for page in reader.pages))
    for name in model_names(3):
        assert name in text, name
    lines = "\n".join(figures.lines())
    for stage in (*STAGES, "total", "collect", "ratio"):
        assert stage in lines


def test_monthly_disclosure_is_consistent() -> None:
    d = monthly_disclosure(models=12)
    assert len(d.models) == 12 and len({m.name for m in d.models}) == 12
    assert d.period.days == 31 and len(d.daily) == 31 * len(d.phases)
    for phase, f in d.phases.items():
        daily = sum(r.energy_kwh for r in d.daily if r.phase == phase)
        assert abs(daily - f.energy_kwh) < 1e-6 * max(f.energy_kwh, 1.0), phase
    assert abs(sum(f.energy_kwh for f in d.phases.values()) - d.totals.energy_kwh) < 0.01
    training = d.phases["training"].energy_kwh + d.phases["fine_tuning"].energy_kwh
    assert abs(sum(m.training.energy_kwh for m in d.models) - training) < 0.1
    inference = d.phases["inference"].energy_kwh
    assert abs(sum(m.inference.energy_kwh for m in d.models) - inference) < 0.1
    for m in d.models:
        assert len(m.cumulative) == 31
        last = m.cumulative[-1]
        assert last.training_kwh == m.crossover.lifecycle_training_kwh
        assert last.inference_kwh == m.crossover.lifecycle_inference_kwh
        assert m.crossover.reached == (last.inference_kwh >= last.training_kwh > 0)
    assert monthly_disclosure(models=12) == d  # deterministic


# ----------------------------------------------------------------------------- the speed-ups
# What the benchmark led to: charts reach WeasyPrint as images (render.print_charts), SVG labels
# are shaped as one run (svg_text). Both must leave the PDF's content as it was.


def _shows(pdf: bytes) -> tuple[str, int]:
    """(the page's text, how many text-show operators its content and form XObjects hold)."""
    page = PdfReader(BytesIO(pdf)).pages[0]
    data = page.get_contents().get_data()  # type: ignore[union-attr]
    for xobject in (page["/Resources"].get("/XObject") or {}).values():  # type: ignore[union-attr]
        data += xobject.get_object().get_data()
    return page.extract_text(), len(re.findall(rb"T[jJ]\b", data))


def test_svg_labels_are_one_run_unless_glyphs_are_placed() -> None:
    from weasyprint import HTML

    from pipeline.report import svg_text

    assert svg_text.install() and svg_text.install()  # idempotent
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80" font-size="10">'
        '<text x="10" y="20">Hello world</text>'
        '<text x="10" y="40" dx="0 2 2">Spaced</text>'  # per-glyph shifts: stock path
        '<text x="150" y="60" text-anchor="end">Right edge</text></svg>'
    )
    text, shows = _shows(HTML(string=f"<html><body>{svg}</body></html>").write_pdf())
    assert "Hello world" in text and "Right edge" in text
    assert shows == 1 + len("Spaced") + 1


def test_pdf_charts_are_images_of_the_inline_svg(tmp_path: Path) -> None:
    from xml.etree import ElementTree as ET

    from pipeline.report import pdf, render

    d = monthly_disclosure(models=2)
    inline = render.render_charts(d)
    printed, images = render.print_charts(inline)
    assert len(images) == 2 + len(d.models)  # daily, share and one crossover chart per model
    for key in ("daily_chart", "share_chart"):
        img = re.fullmatch(r'<img class="([^"]*)" src="([^"]*)" alt="([^"]*)">', str(printed[key]))
        assert img is not None, printed[key]
        css, src, alt = (html.unescape(part) for part in img.groups())
        svg = ET.fromstring(str(inline[key]))
        assert images[src] == str(inline[key]).encode()
        assert css == svg.get("class") and css.startswith("chart ")
        assert alt == svg.findtext("{http://www.w3.org/2000/svg}title")
    assert printed["swatches"] == inline["swatches"]  # table swatches stay inline

    fetcher = pdf.SafeURLFetcher()
    paths = render.write_report(d, tmp_path, url_fetcher=fetcher)
    assert fetcher.refused == [] and not set(fetcher.requested) & set(images)
    assert "<img" not in paths["html"].read_text(encoding="utf-8")  # report.html: inline SVG
    reader = PdfReader(BytesIO(paths["pdf"].read_bytes()))
    text = _norm("\n".join(page.extract_text() or "" for page in reader.pages))
    # the charts' own labels are drawn: the images were served and laid out
    assert "Day (UTC, month-day)" in text and "Cumulative energy (" in text
    for name in model_names(2):
        assert text.count(name) >= 2  # tables and the crossover chart heading
