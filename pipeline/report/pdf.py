"""The PDF: WeasyPrint renders the report's HTML with a fetcher that serves only files inside
templates/, the charts as SVG images served from memory, and the cyclic collector paused.

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
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from markupsafe import Markup
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.report import svg_text
from pipeline.report.templates import TEMPLATES_DIR

log = logging.getLogger(__name__)


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


def lay_out(
    html: str, url_fetcher: URLFetcher | None = None, images: Mapping[str, bytes] | None = None
) -> Document:
    """`html` laid out in pages, as the PDF is written from them (`render_pdf`); relative URLs
    resolve in `templates/` through the safe fetcher.

    `images` are the chart images of `print_charts`, by URL, served from memory."""
    fetcher = url_fetcher if url_fetcher is not None else SafeURLFetcher()
    if images:
        fetcher = _ChartImages(images, fetcher)
    svg_text.install()  # chart labels shaped as one run each, not one code point at a time
    with _no_cyclic_gc():
        html_doc = HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=fetcher)
        return html_doc.render(pdf_tags=True)


def render_pdf(
    html: str, url_fetcher: URLFetcher | None = None, images: Mapping[str, bytes] | None = None
) -> bytes:
    """PDF bytes of `html` (see `lay_out`)."""
    with _no_cyclic_gc():
        pdf = lay_out(html, url_fetcher, images).write_pdf(pdf_tags=True)
    assert pdf is not None
    return pdf
