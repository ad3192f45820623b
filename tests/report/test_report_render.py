"""Report rendering: Disclosure -> disclosure.json, report.html, report.pdf (offline)."""

from __future__ import annotations

import html as html_lib
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.disclosure.model import Disclosure
from pipeline.formatting import (
    fmt,
    fmt_change,
    fmt_date,
    fmt_datetime,
    fmt_energy,
    fmt_mass,
    fmt_pct,
)
from pipeline.report import render
from pipeline.report.charts import daily_phase_energy_svg, phase_share_svg, phase_swatch_svg
from pipeline.report.pdf import FetchRefused, SafeURLFetcher, render_pdf
from pipeline.report.phases import PHASE_ORDER, phase_style
from pipeline.report.render import render_html, write_report
from pipeline.report.templates import TEMPLATES_DIR
from tests.pdf_figures import has_number as _has_number
from tests.pdf_figures import unprinted_figures
from tests.report_sample import sample_disclosure

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE_IMG = '<img src="file:///etc/passwd">'
HOSTILE_LINK = '<link rel=stylesheet href="http://127.0.0.1:9/x.css">'


# ----------------------------------------------------------------------------- helpers


class SpyFetcher(SafeURLFetcher):
    """The real safe fetcher, recording every URL WeasyPrint asks for (inherited `requested`)."""


def _pdf_text(path_or_bytes: Path | bytes) -> tuple[str, int]:
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    reader = PdfReader(BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return _norm(text), len(reader.pages)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _VisibleText(HTMLParser):
    """Text a reader sees: skips <head>, <style>, and SVG <title>/<desc> tooltips."""

    SKIP = {"head", "style", "title", "desc", "script"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in ("td", "th", "p", "div", "li", "text", "tr", "br", "h1", "h2", "h3", "span"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        else:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return _norm("".join(parser.parts))


def _printed_html(html: str) -> str:
    """`html` without what the print stylesheet hides (the tables of class "screen-only": the
    list of input files, which the PDF sums up in a paragraph)."""
    return re.sub(r'<table class="[^"]*\bscreen-only\b[^"]*">.*?</table>', "", html, flags=re.S)


def _number_tokens(text: str) -> set[str]:
    return set(re.findall(r"\d[\d,]*(?:\.\d+)?%?", text))


def _strip_hashes(text: str, hashes: list[str]) -> str:
    # hashes wrap across lines in the PDF, so match them with any whitespace between characters
    for h in hashes:
        text = re.sub(r"\s*".join(h), " HASH ", text)
    return text


def headline_strings(d: Disclosure) -> list[str]:
    t = d.totals
    return [
        fmt_energy(t.energy_kwh),
        fmt(t.energy_kwh, "kWh"),
        fmt_energy(t.it_energy_kwh),
        fmt(t.it_energy_kwh, "kWh"),
        fmt(t.gpu_hours, "GPU-h"),
        fmt_mass(t.co2e_kg_location, "CO2e"),
        fmt(t.co2e_kg_location, "kg CO2e"),
        fmt_mass(t.co2e_kg_market, "CO2e"),
        fmt(t.co2e_kg_market, "kg CO2e"),
        fmt(t.water_l, "L"),
        fmt_mass(t.embodied_kg, "CO2e"),
        fmt(t.embodied_kg, "kg CO2e"),
        fmt(t.cost_usd, "USD"),
    ]


def model_rows(d: Disclosure) -> list[str]:
    """Each model's rows as they read in the PDF: name then its figures, in column order."""
    rows = []
    for m in d.models:
        tr, inf, c = m.training, m.inference, m.crossover
        rows.append(
            " ".join(
                [m.name]
                + [
                    fmt(v)
                    for v in (tr.gpu_hours, tr.energy_kwh, tr.co2e_kg_location, tr.co2e_kg_market)
                ]
            )
        )
        rows.append(
            " ".join(
                [m.name]
                + [
                    fmt(v)
                    for v in (
                        inf.requests,
                        inf.output_tokens,
                        inf.gpu_hours,
                        inf.energy_kwh,
                        inf.co2e_kg_location,
                        inf.co2e_kg_market,
                        inf.water_l,
                        inf.cost_usd,
                        inf.wh_per_request,
                        inf.wh_per_1k_output_tokens,
                    )
                ]
            )
        )
        rows.append(
            " ".join(
                [
                    m.name,
                    "yes" if c.reached else "no",
                    fmt_date(c.date),
                    fmt(c.projected_days),
                    fmt(c.lifecycle_training_kwh),
                    fmt(c.lifecycle_inference_kwh),
                ]
            )
        )
    return rows


def all_figures(d: Disclosure, manifest: bool = True) -> list[str]:
    """Every figure of the model as the report prints it (table cells use plain `fmt`);
    `manifest=False`: without the rows of each input file (the HTML lists them, the PDF only
    counts the files)."""
    out = headline_strings(d)
    t = d.totals
    out += [
        fmt(v)
        for v in (t.energy_kwh, t.it_energy_kwh, t.gpu_hours, t.co2e_kg_location, t.co2e_kg_market)
    ]
    for p in d.phases.values():
        out += [
            fmt(p.energy_kwh),
            fmt(p.it_energy_kwh),
            fmt(p.gpu_hours),
            fmt(p.co2e_kg_location),
            fmt(p.co2e_kg_market),
            fmt_pct(p.share_pct / 100),
        ]
    for m in d.models:
        out += [fmt(v) for v in m.training.model_dump().values()]
        out += [fmt(v) for v in m.inference.model_dump().values()]
        c = m.crossover
        out += [
            fmt_date(c.date),
            fmt(c.projected_days),
            fmt(c.lifecycle_training_kwh),
            fmt(c.lifecycle_inference_kwh),
        ]
    for s in d.sites:
        out += [
            fmt(v)
            for v in (s.pue, s.mean_gco2e_per_kwh, s.gpu_hours, s.energy_kwh, s.co2e_kg_location)
        ]
    for tm in d.teams:
        out += [fmt(tm.gpu_hours), fmt(tm.energy_kwh), fmt(tm.co2e_kg_location)]
    q = d.data_quality
    out += [
        fmt_pct(q.measured_share),
        fmt(q.quarantined_rows),
        fmt(q.grid_fallback_hours),
        fmt(q.unclassified_jobs),
        fmt(q.files),
    ]
    out += [fmt(f.rows) for f in d.inputs] if manifest else [fmt(len(d.inputs))]
    out += [f.value for f in d.factors]
    return out


def _with(d: Disclosure, **changes) -> Disclosure:
    data = d.model_dump()
    data.update(changes)
    return Disclosure.model_validate(data)


def hostile_disclosure() -> Disclosure:
    d = sample_disclosure()
    data = d.model_dump()
    data["title"] = f"Disclosure {HOSTILE_IMG}"
    data["organisation"] = f"Org {HOSTILE_LINK}"
    data["models"][0]["name"] = HOSTILE_IMG
    data["models"][1]["name"] = HOSTILE_LINK
    data["teams"][0]["team"] = HOSTILE_IMG
    data["teams"][1]["team"] = HOSTILE_LINK
    data["sites"][0]["site"] = HOSTILE_IMG
    data["sites"][1]["grid_zone"] = HOSTILE_LINK
    data["factors"][0]["source"] = HOSTILE_LINK
    data["inputs"][0]["path"] = HOSTILE_IMG
    data["notes"].append(f"note {HOSTILE_IMG} {HOSTILE_LINK}")
    # a hostile phase name reaches the SVG chart, the legend and the phase table
    data["phases"][HOSTILE_IMG] = dict(data["phases"]["unclassified"])
    data["daily"] += [
        {"day": row["day"], "phase": HOSTILE_IMG, "energy_kwh": 12.5}
        for row in data["daily"]
        if row["phase"] == "idle"
    ]
    return Disclosure.model_validate(data)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample() -> Disclosure:
    return sample_disclosure()


@pytest.fixture(scope="module")
def rendered(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    fetcher = SpyFetcher()
    paths = write_report(sample, out, url_fetcher=fetcher)
    html = paths["html"].read_text(encoding="utf-8")
    pdf_text, pages = _pdf_text(paths["pdf"])
    return {
        "paths": paths,
        "out": out,
        "html": html,
        "html_text": _html_text(html),
        "pdf_text": pdf_text,
        "pages": pages,
        "fetcher": fetcher,
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = hostile_disclosure()
    out = tmp_path_factory.mktemp("hostile")
    fetcher = SpyFetcher()
    paths = write_report(d, out, url_fetcher=fetcher)
    html = paths["html"].read_text(encoding="utf-8")
    pdf_bytes = paths["pdf"].read_bytes()
    pdf_text, _ = _pdf_text(pdf_bytes)
    return {"d": d, "html": html, "pdf_text": pdf_text, "pdf": pdf_bytes, "fetcher": fetcher}


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (12345.6, "kWh", "12,346 kWh"),
        (0.01234, "", "0.0123"),
        (None, "kWh", "n/a"),
        (float("nan"), "", "n/a"),
        (0, "", "0"),
        (0.0, "kg", "0 kg"),
        (1.5, "", "1.5"),
        (100.0, "", "100"),
        (999.96, "", "1,000"),
        (99.96, "", "100"),
        (12.345, "", "12.3"),
        (1234567, "", "1,234,567"),
        (1234567.0, "", "1,234,567"),
        (-0.0001234, "", "-0.000123"),
        (-2500.4, "USD", "-2,500 USD"),
    ],
)
def test_fmt(value, unit, expected):
    assert fmt(value, unit) == expected


def test_fmt_pct_and_scaled_units():
    assert fmt_pct(0.4567) == "45.7%"
    assert fmt_pct(1) == "100%"
    assert fmt_pct(0.001234) == "0.123%"
    assert fmt_pct(None) == "n/a"
    assert fmt(0.01234, sig=2) == "0.012"
    assert fmt_energy(850) == "850 kWh"
    assert fmt_energy(135_944) == "136 MWh"
    assert fmt_energy(2.5e6) == "2.5 GWh"
    assert fmt_mass(4560, "CO2e") == "4.56 t CO2e"
    assert fmt_mass(45.6, "CO2e") == "45.6 kg CO2e"
    assert fmt_date(date(2025, 3, 1)) == "2025-03-01"
    assert fmt_date(None) == "n/a"


# ----------------------------------------------------------------------------- outputs


def test_writes_three_files_and_the_tables_and_nothing_else(rendered):
    paths = rendered["paths"]
    assert {k: p.name for k, p in paths.items()} == {
        "json": "disclosure.json",
        "html": "report.html",
        "pdf": "report.pdf",
        "tables": "tables",
    }
    assert sorted(p.name for p in rendered["out"].iterdir()) == [
        "disclosure.json",
        "report.html",
        "report.pdf",
        "tables",
    ]
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    csvs = sorted(p.name for p in paths["tables"].iterdir())
    assert "index.csv" in csvs and "models_training.csv" in csvs and len(csvs) > 20
    assert not [n for n in csvs if not n.endswith(".csv")]  # no temp files left


def test_json_round_trips(rendered, sample):
    again = Disclosure.model_validate_json(rendered["paths"]["json"].read_text(encoding="utf-8"))
    assert again == sample
    assert again.models[1].crossover.date == date(2025, 3, 9)


def test_pdf_is_a4_with_page_x_of_y(rendered):
    reader = PdfReader(str(rendered["paths"]["pdf"]))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(595.28, abs=0.5)
    assert float(box.height) == pytest.approx(841.89, abs=0.5)
    n = rendered["pages"]
    assert n >= 2
    for i in range(1, n + 1):
        assert f"page {i} of {n}" in rendered["pdf_text"]


def test_title_block(rendered, sample):
    text = rendered["pdf_text"]
    for s in (
        sample.organisation.upper(),
        sample.title,
        fmt_date(sample.period.start),
        fmt_date(sample.period.end),
        fmt_datetime(sample.generated_at),
        sample.code_version,
    ):
        assert s in text, s
    assert sample.config_sha256 in re.sub(r"\s+", "", text)


def test_headline_totals_in_pdf_and_html(rendered, sample):
    for s in headline_strings(sample):
        assert _has_number(rendered["pdf_text"], s), f"{s!r} not in PDF"
        assert _has_number(rendered["html_text"], s), f"{s!r} not in HTML"


def test_model_rows_in_pdf_and_html(rendered, sample):
    rows = model_rows(sample)
    assert len(rows) == 3 * len(sample.models)
    for row in rows:
        assert row in rendered["pdf_text"], f"row {row!r} not in PDF"
        assert row in rendered["html_text"], f"row {row!r} not in HTML"


def test_every_figure_in_pdf_and_html(rendered, sample):
    printed = all_figures(sample, manifest=False)
    missing_pdf = [s for s in printed if not _has_number(rendered["pdf_text"], s)]
    missing_html = [s for s in all_figures(sample) if not _has_number(rendered["html_text"], s)]
    assert missing_pdf == []
    assert missing_html == []


def test_html_and_pdf_print_the_same_numbers(rendered, sample):
    hashes = [f.sha256 for f in sample.inputs] + [sample.config_sha256]
    html_text = _html_text(_printed_html(rendered["html"]))
    html_numbers = _number_tokens(_strip_hashes(html_text, hashes))
    pdf_numbers = _number_tokens(_strip_hashes(rendered["pdf_text"], hashes))
    assert html_numbers, "no numbers found in HTML"
    assert html_numbers <= pdf_numbers, sorted(html_numbers - pdf_numbers)
    page_numbers = {str(i) for i in range(1, rendered["pages"] + 1)}
    assert pdf_numbers - html_numbers <= page_numbers, sorted(pdf_numbers - html_numbers)


def test_manifest_in_html_and_factors_in_pdf(rendered, sample):
    text = rendered["pdf_text"]
    compact = re.sub(r"\s+", "", text)
    for f in sample.inputs:  # the PDF sums the manifest up (test_report_pages.py)
        assert f.sha256 not in compact
        assert f.sha256 in rendered["html_text"]
        assert f.path in rendered["html_text"]
        assert f.format in rendered["html_text"]
    assert f"from {len(sample.inputs)} input files" in text
    for f in sample.factors:
        assert f.name in text and f.source in text
    for note in sample.notes:
        assert note in text


def test_normal_render_fetches_only_inside_templates(rendered):
    fetcher = rendered["fetcher"]
    assert fetcher.refused == []
    for url in fetcher.requested:
        assert fetcher.resolve(url).is_relative_to(TEMPLATES_DIR.resolve())


def test_write_is_atomic_and_keeps_old_files_on_failure(tmp_path, sample, monkeypatch):
    paths = write_report(sample, tmp_path)

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*.*")}

    before = snapshot()
    assert paths["pdf"].name in before and any(k.startswith("tables/") for k in before)

    def boom(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(render, "render_pdf", boom)
    changed = _with(sample, title="Changed title")
    with pytest.raises(RuntimeError):
        write_report(changed, tmp_path)
    assert snapshot() == before  # report files and tables, no temp files


# ----------------------------------------------------------------------------- empty sections


def test_empty_sections_say_why(tmp_path, sample):
    empty = _with(
        sample, models=[], sites=[], teams=[], daily=[], phases={}, factors=[], inputs=[], notes=[]
    )
    html_text = _html_text(render_html(empty))
    for message in (
        "No model-attributed jobs in this period",
        "No site figures in this period",
        "No team attribution in this period",
        "No daily energy series in this period",
        "No phase figures in this period",
        "No factors recorded",
        "No input files were read for this period",
        "No method caveats for this period",
    ):
        assert message in html_text
    pdf_text, _ = _pdf_text(render_pdf(render_html(empty)))
    assert "No model-attributed jobs in this period" in pdf_text

    data = sample.model_dump()
    for m in data["models"]:
        m["inference"].update(
            requests=0,
            output_tokens=0,
            energy_kwh=0.0,
            gpu_hours=0.0,
            co2e_kg_location=0.0,
            wh_per_request=None,
            wh_per_1k_output_tokens=None,
        )
    no_serving = Disclosure.model_validate(data)
    assert "No serving statistics in this period" in _html_text(render_html(no_serving))
    assert "No serving statistics in this period" not in _html_text(render_html(sample))


# ----------------------------------------------------------------------------- hostile input


def test_hostile_names_are_escaped_in_html(hostile):
    html = hostile["html"]
    assert HOSTILE_IMG not in html
    assert HOSTILE_LINK not in html
    assert "&lt;img src=" in html
    assert "&lt;link rel=stylesheet" in html
    # the only tags are ours: no <img>/<link>/<base> anywhere, not even inside the SVG
    assert re.search(r"<(img|link|base|script|iframe|object)\b", html, re.I) is None


def test_hostile_names_print_as_text_in_pdf(hostile):
    compact = re.sub(r"\s+", "", hostile["pdf_text"])  # long names wrap anywhere in the PDF
    assert re.sub(r"\s+", "", HOSTILE_IMG) in compact
    assert re.sub(r"\s+", "", HOSTILE_LINK) in compact
    assert b"root:x:0:0" not in hostile["pdf"]


def test_hostile_render_fetches_nothing_outside_templates(hostile):
    fetcher = hostile["fetcher"]
    assert fetcher.refused == []
    for url in fetcher.requested:
        assert "passwd" not in url and "127.0.0.1" not in url
        assert fetcher.resolve(url).is_relative_to(TEMPLATES_DIR.resolve())


def test_fetcher_refuses_markup_that_slipped_through():
    """Unescaped hostile markup given straight to WeasyPrint: the fetcher is asked and refuses."""
    fetcher = SpyFetcher()
    raw = (
        "<html><head>"
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<link rel="stylesheet" href="report.css">'
        "</head><body><p>x</p>"
        '<img src="file:///etc/passwd"><img src="../pyproject.toml">'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        "</body></html>"
    )
    pdf = render_pdf(raw, url_fetcher=fetcher)
    assert pdf.startswith(b"%PDF-")
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://127.0.0.1:9/x.css" in fetcher.refused
    assert any(u.endswith("/pyproject.toml") for u in fetcher.refused)
    assert any(u.startswith("data:") for u in fetcher.refused)
    served = [u for u in fetcher.requested if u not in fetcher.refused]
    assert served == [(TEMPLATES_DIR / "report.css").resolve().as_uri()]
    assert b"root:x:0:0" not in pdf


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "data:text/css,body{}",
        "file://evil.example/etc/passwd",
        (TEMPLATES_DIR / "..").as_uri() + "/pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/%2e%2e/pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/../../../../etc/passwd",
        TEMPLATES_DIR.as_uri() + "/no-such-file.css",
        TEMPLATES_DIR.as_uri(),
        "report.css",
    ],
)
def test_safe_fetcher_refuses(url):
    with pytest.raises(FetchRefused):
        SafeURLFetcher().fetch(url)


def test_safe_fetcher_refuses_symlink_out_of_root(tmp_path):
    root = tmp_path / "templates"
    root.mkdir()
    (root / "ok.css").write_text("p{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "link.css").symlink_to(secret)
    fetcher = SafeURLFetcher(root=root)
    with pytest.raises(FetchRefused):
        fetcher.fetch((root / "link.css").as_uri())
    response = fetcher.fetch((root / "ok.css").as_uri())
    assert response.read() == b"p{}"
    assert response.content_type == "text/css"
    assert fetcher.refused == [(root / "link.css").as_uri()]


def test_safe_fetcher_serves_the_stylesheet():
    response = SafeURLFetcher().fetch((TEMPLATES_DIR / "report.css").as_uri())
    assert b"@page" in response.read()


# ----------------------------------------------------------------------------- charts


def _legend(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [
        g.get("data-phase") for g in root.iter(f"{SVG_NS}g") if g.get("class") == "legend-entry"
    ]


def test_daily_chart_is_wellformed_with_one_legend_entry_per_phase(sample):
    svg = daily_phase_energy_svg(sample)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    legend = _legend(svg)
    present = {row.phase for row in sample.daily}
    assert sorted(legend) == sorted(present)
    assert len(legend) == len(set(legend)) == 7
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    assert "(MWh)" in texts or "(kWh)" in texts  # y axis label carries the unit
    assert "Day (UTC" in texts
    # one bar segment per (day, phase) with energy > 0
    bars = [r for r in root.iter(f"{SVG_NS}rect") if r.find(f"{SVG_NS}title") is not None]
    assert len(bars) == sum(1 for row in sample.daily if row.energy_kwh > 0)


def test_daily_chart_legend_follows_the_data(sample):
    only_two = _with(
        sample, daily=[r.model_dump() for r in sample.daily if r.phase in ("training", "inference")]
    )
    assert sorted(_legend(daily_phase_energy_svg(only_two))) == ["inference", "training"]


def test_phase_paints_differ_in_colour_or_pattern():
    styles = [phase_style(p) for p in PHASE_ORDER]
    assert len({(s.colour, s.hatch) for s in styles}) == len(PHASE_ORDER)

    def grey(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    # phases that share a greyscale tone (within 0.08) must differ in pattern
    for i, a in enumerate(styles):
        for b in styles[i + 1 :]:
            if abs(grey(a.colour) - grey(b.colour)) < 0.08:
                assert a.hatch != b.hatch, (a, b)


def test_charts_escape_hostile_phase_names():
    d = hostile_disclosure()
    for svg in (
        daily_phase_energy_svg(d),
        phase_share_svg(d),
        phase_swatch_svg(HOSTILE_IMG, [HOSTILE_IMG], "x"),
    ):
        root = ET.fromstring(svg)  # well-formed despite the markup in the data
        assert not [e for e in root.iter() if e.tag.split("}")[-1] in ("img", "link")]
    svg = daily_phase_energy_svg(d)
    assert HOSTILE_IMG in _legend(svg)
    assert html_lib.escape(HOSTILE_IMG, quote=False) in svg


def test_share_chart_is_wellformed(sample):
    root = ET.fromstring(phase_share_svg(sample))
    rows = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "share-row"]
    assert [g.get("data-phase") for g in rows] == [p for p in PHASE_ORDER if p in sample.phases]
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    for p in sample.phases.values():
        assert fmt_pct(p.share_pct / 100) in texts


# ----------------------------------------------------------------------------- JSON -> PDF


def test_every_headline_and_model_number_in_json_is_printed(rendered, sample):
    """Walks disclosure.json itself (not a hand-picked list): each numeric leaf of `totals`,
    `previous` and `models[]` must appear, formatted, in the PDF and in the HTML."""
    data = json.loads(rendered["paths"]["json"].read_text(encoding="utf-8"))
    checked, missing_pdf = unprinted_figures(data, rendered["pdf_text"])
    assert checked > 100
    assert missing_pdf == []
    assert unprinted_figures(data, rendered["html_text"])[1] == []


def test_cover_has_contents_with_page_numbers(rendered):
    reader = PdfReader(str(rendered["paths"]["pdf"]))
    cover = _norm(reader.pages[0].extract_text())
    assert "At a glance" in cover and "Contents" in cover
    n = rendered["pages"]
    # each contents line ends with the page its section starts on
    for title in ("Headline figures", "Models", "Input manifest"):
        m = re.search(rf"\d+ {title} (\d+)", cover)
        assert m, f"{title!r} not in the contents"
        page = int(m.group(1))
        assert 2 <= page <= n
        assert title in _norm(reader.pages[page - 1].extract_text())


def test_change_against_previous_period_printed(rendered, sample):
    text = rendered["pdf_text"]
    prev = sample.previous
    assert prev is not None and prev.totals is not None and prev.period is not None
    assert fmt_date(prev.period.start) in text
    assert _has_number(text, fmt_change(prev.change_pct["energy_kwh"]))
    assert prev.change_pct["cost_usd"] is None  # previous cost 0 in the sample: no ratio
    assert "Change against the previous period" in text


def test_no_previous_period_says_why(tmp_path, sample):
    d = _with(
        sample,
        previous={"basis": "the same days of the previous month", "reason": "no computed data"},
    )
    text, _ = _pdf_text(render_pdf(render_html(d)))
    assert "No comparison: no computed data." in text
    assert "no previous period" in text
