"""Render a `Disclosure` to `disclosure.json`, `report.html` and `report.pdf`.

The templates read only the `Disclosure` model. Everything from the data is autoescaped by Jinja;
the only markup marked safe is what this package builds itself (the SVG charts, whose text parts
are escaped in `charts.py`, and the stylesheet read from `templates/report.css`).

WeasyPrint gets a `SafeURLFetcher` that serves files inside `templates/` and refuses every other
URL (other local files, http(s), data:, ...), so even markup that slipped through could not read
local files or reach the network while the PDF is made.

The PDF is made from the same template with each chart as an `<img>` of the same SVG document,
served from memory (`print_charts`), and with SVG labels drawn as one run each (`svg_text`):
both only make WeasyPrint faster (benchmarks/report.py); report.html keeps the charts inline.
"""

from __future__ import annotations

import gc
import logging
import mimetypes
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.atomic import write_atomic
from pipeline.disclosure.model import Disclosure, Quantiles
from pipeline.formatting import (
    fmt,
    fmt_change,
    fmt_date,
    fmt_datetime,
    fmt_energy,
    fmt_mass,
    fmt_number,
    fmt_pct,
)
from pipeline.report import charts, crossover_chart, svg_text
from pipeline.report.tables import (
    UNCERTAINTY_METRICS,
    render_tables,
    serving_models,
    uncertainty_groups,
)

log = logging.getLogger(__name__)

TEMPLATES_DIR: Path = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_NAME = "report.html.j2"
STYLESHEET_NAME = "report.css"

OUTPUT_NAMES = {"json": "disclosure.json", "html": "report.html", "pdf": "report.pdf"}
TABLES_DIR_NAME = "tables"


class FetchRefused(ValueError):
    """The report renderer refused to fetch a URL (outside the templates folder)."""


class SafeURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that only serves regular files inside `root`.

    WeasyPrint 70 expects a `URLFetcher` instance whose `fetch(url, headers=None)` returns a
    `URLFetcherResponse`; exceptions it raises are caught by WeasyPrint, logged, and the resource
    is skipped. Every URL asked for is recorded in `requested`, refusals in `refused`.
    """

    def __init__(self, root: Path = TEMPLATES_DIR, **kwargs: object):
        kwargs.setdefault("allowed_protocols", ("file",))
        kwargs.setdefault("allow_redirects", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.root = Path(root).resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def resolve(self, url: str) -> Path:
        """The local file `url` names, if it is one inside `root`; else raise FetchRefused."""
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise FetchRefused(f"malformed URL refused: {url!r}") from exc
        if parts.scheme.lower() != "file":
            raise FetchRefused(f"only files inside {self.root} may be fetched, refused: {url!r}")
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"remote file URL refused: {url!r}")
        raw = url2pathname(unquote(parts.path))
        if not raw or "\x00" in raw:
            raise FetchRefused(f"empty or invalid path refused: {url!r}")
        path = Path(raw).resolve()  # follows symlinks and removes '..'
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"file outside {self.root} refused: {url!r}")
        return path

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        try:
            path = self.resolve(url)
        except FetchRefused:
            self.refused.append(url)
            log.warning("report renderer refused to fetch %r", url)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(
            enabled_extensions=("j2", "html", "htm", "xml"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=fmt,
        change=fmt_change,
        num=fmt_number,
        pct=fmt_pct,
        energy=fmt_energy,
        mass=fmt_mass,
        isodate=fmt_date,
        utc=fmt_datetime,
        phase_label=charts.phase_label,
    )
    return env


def _stylesheet() -> Markup:
    # Our own file, inlined so report.html is self-contained; it must not close the <style>.
    css = (TEMPLATES_DIR / STYLESHEET_NAME).read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError(f"{STYLESHEET_NAME} must not contain '</'")
    return Markup(css)


def uncertainty_label(group: str) -> str:
    """How the report names an uncertainty group: 'phase:fine_tuning' -> 'Phase: Fine-tuning',
    'model:atlas:training' -> 'atlas, training', 'total' -> 'Total'."""
    kind, _, rest = group.partition(":")
    if kind == "phase":
        return f"Phase: {charts.phase_label(rest)}"
    if kind == "model":
        name, _, part = rest.rpartition(":")
        return f"{name}, {part}"
    return "Total" if group == "total" else group


def uncertainty_rows(d: Disclosure) -> list[tuple[str, dict[str, Quantiles]]]:
    """The uncertainty table as printed: `tables.uncertainty_groups` with readable labels."""
    return [(uncertainty_label(g), qs) for g, qs in uncertainty_groups(d)]


def render_charts(d: Disclosure) -> dict[str, object]:
    """The report's SVG charts and phase swatches, as the template context reads them."""
    phases = charts.ordered_phases(d.phases.keys())

    def swatches(prefix: str) -> dict[str, Markup]:
        # one set per table that shows them: a pattern id must be unique in the document
        return {
            phase: Markup(charts.phase_swatch_svg(phase, phases, f"{prefix}{i}"))
            for i, phase in enumerate(phases)
        }

    return {
        "phase_order": phases,
        "swatches": swatches(""),
        "full_swatches": swatches("full-"),
        "daily_chart": Markup(charts.daily_phase_energy_svg(d)) if d.daily else None,
        "share_chart": Markup(charts.phase_share_svg(d)) if d.phases else None,
        "crossover_charts": [
            Markup(svg) if (svg := crossover_chart.crossover_svg(m, f"xo-{i}")) else None
            for i, m in enumerate(d.models, 1)
        ],
    }


def render_html(d: Disclosure, chart_markup: dict[str, object] | None = None) -> str:
    """The report as one self-contained HTML document (stylesheet and charts inline).

    `chart_markup` is `render_charts(d)`, made here when not given."""
    context = {
        "d": d,
        "css": _stylesheet(),
        **(chart_markup if chart_markup is not None else render_charts(d)),
        "serving_models": serving_models(d),
        "uncertainty_rows": uncertainty_rows(d),
        "uncertainty_metrics": UNCERTAINTY_METRICS,
    }
    return _environment().get_template(TEMPLATE_NAME).render(**context)


CHART_IMAGES_DIR = "charts"  # under templates/, in memory only: never read from disk
_SVG_TITLE = "{http://www.w3.org/2000/svg}title"


def print_charts(chart_markup: dict[str, object]) -> tuple[dict[str, object], dict[str, bytes]]:
    """`render_charts` output for the PDF: each chart an `<img>` of the same SVG document.

    WeasyPrint parses inline SVG with the HTML parser and runs the CSS cascade over every SVG
    node; as an image the same document is parsed as XML and skips the cascade, which saves
    ~0.8 s on a 50-model report. Returns (the template context's chart entries, the SVG
    bytes by image URL) for `render_pdf`. The image's alt text is the chart's own title, as the
    tagged PDF took it from the inline SVG; the phase swatches stay inline.
    """
    images: dict[str, bytes] = {}

    def image(svg: object, name: str) -> Markup | None:
        if svg is None:
            return None
        url = (TEMPLATES_DIR / CHART_IMAGES_DIR / f"{name}.svg").as_uri()
        images[url] = str(svg).encode("utf-8")
        root = ET.fromstring(str(svg))
        return Markup('<img class="{}" src="{}" alt="{}">').format(
            root.get("class", ""), url, root.findtext(_SVG_TITLE) or ""
        )

    out = dict(chart_markup)
    out["daily_chart"] = image(chart_markup.get("daily_chart"), "daily")
    out["share_chart"] = image(chart_markup.get("share_chart"), "share")
    out["crossover_charts"] = [
        image(svg, f"xo-{i}")
        for i, svg in enumerate(chart_markup.get("crossover_charts") or (), 1)  # type: ignore[arg-type]
    ]
    return out, images


class _ChartImages(URLFetcher):
    """Serves `print_charts`'s images from memory; every other URL goes to `fetcher`, so a
    caller's fetcher sees (and may refuse) exactly what it saw with inline charts."""

    def __init__(self, images: Mapping[str, bytes], fetcher: URLFetcher):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.images = images
        self.fetcher = fetcher
        self._fail_on_errors = getattr(fetcher, "_fail_on_errors", False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        data = self.images.get(url)
        if data is None:
            return self.fetcher.fetch(url, headers)
        return URLFetcherResponse(url, data, headers={"Content-Type": "image/svg+xml"})


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """CPython's cyclic garbage collector off while WeasyPrint lays out and writes the PDF.

    A 50-model report builds ~400,000 objects that live until the PDF is written, and the
    collector's full passes rescan them again and again: about a quarter of the render time.
    With the collector off, short-lived objects are still freed by reference counting; the
    render's reference cycles (~250,000 more objects at 50 models, ~15 MB) wait until the
    collector, switched back on afterwards (unless it was off already), next runs.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_pdf(
    html: str, url_fetcher: URLFetcher | None = None, images: Mapping[str, bytes] | None = None
) -> bytes:
    """PDF bytes of `html`; relative URLs resolve in `templates/` through the safe fetcher.

    `images` are the chart images of `print_charts`, by URL, served from memory."""
    fetcher = url_fetcher if url_fetcher is not None else SafeURLFetcher()
    if images:
        fetcher = _ChartImages(images, fetcher)
    svg_text.install()  # chart labels shaped as one run each, not one code point at a time
    with _no_cyclic_gc():
        document = HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=fetcher)
        pdf = document.write_pdf(pdf_tags=True)
    assert pdf is not None
    return pdf


def write_report(
    d: Disclosure, out_dir: Path, url_fetcher: URLFetcher | None = None
) -> dict[str, Path]:
    """Write `disclosure.json`, `report.html`, `report.pdf` and `tables/*.csv` into `out_dir`.

    Everything is rendered in memory first, so a rendering error leaves the folder as it was;
    each file is then replaced atomically. Returns {"json", "html", "pdf", "tables": path}.
    """
    out_dir = Path(out_dir)
    chart_markup = render_charts(d)
    print_markup, images = print_charts(chart_markup)
    payload = {
        "json": (d.model_dump_json(indent=2) + "\n").encode("utf-8"),
        "html": render_html(d, chart_markup).encode("utf-8"),
        "pdf": render_pdf(render_html(d, print_markup), url_fetcher, images),
    }
    csv_files = render_tables(d)
    tables_dir = out_dir / TABLES_DIR_NAME
    tables_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, data in csv_files.items():
        write_atomic(tables_dir / name, data)
    for key, data in payload.items():
        path = out_dir / OUTPUT_NAMES[key]
        write_atomic(path, data)
        paths[key] = path
    paths["tables"] = tables_dir
    return paths
