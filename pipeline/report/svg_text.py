"""Faster SVG text in the PDF: shape a chart label as one run, not one code point at a time.

WeasyPrint 70 draws every SVG `<text>`/`<tspan>` code point by code point (a Pango layout and a
text-show operation per character) because SVG allows each glyph its own position. The report's
charts never use per-glyph positions, and their ~1,000 labels (axis ticks, legends, headings) cost
about a second of a 50-model report that way. WeasyPrint's own issue (Kozea/WeasyPrint#2249)
proposes the same fix: shape the whole text when no glyph has a position of its own; that also
keeps kerning, ligatures and combining marks together.

`install()` wraps WeasyPrint's SVG text handler: a text node with at most one x and one y and
no `dx`, `dy`, `rotate`, `textLength` or `letter-spacing` is handed to the stock handler with
its text wrapped so that iterating it yields the whole string once, so the stock code lays it
out, positions it (text-anchor included) and draws it as one run. Any other node takes the stock
path unchanged. It installs only where the stock handler is the per-code-point one this was
written against (its source iterates `node.text`), so a WeasyPrint that changes it keeps its own
drawing.
"""

from __future__ import annotations

import inspect
import logging
import sys
from typing import Any

from weasyprint import svg as weasy_svg
from weasyprint.svg.utils import normalize

log = logging.getLogger(__name__)

_stock_text = sys.modules["weasyprint.svg.text"].text
PER_GLYPH_ATTRIBUTES = ("dx", "dy", "rotate", "textLength", "letter-spacing")


class _OneRun(str):
    """A string that iterates as one piece: the stock handler's per-character loop runs once."""

    __slots__ = ()

    def __iter__(self):  # type: ignore[override]
        yield str(self)


def one_run(node: Any) -> bool:
    """Whether no glyph of `node` has a position of its own (so the text can be one run)."""
    if any(node.get(name) for name in PER_GLYPH_ATTRIBUTES):
        return False
    return all(len(normalize(node.get(name) or "").split()) <= 1 for name in ("x", "y"))


def text(svg: Any, node: Any, font_size: float) -> None:
    """WeasyPrint's SVG text handler, drawing a node without per-glyph positions as one run."""
    element = getattr(node, "_etree_node", None)
    chars = getattr(element, "text", None)
    if not isinstance(chars, str) or len(chars) < 2 or not one_run(node):
        return _stock_text(svg, node, font_size)
    element.text = _OneRun(chars)  # type: ignore[union-attr]
    try:
        return _stock_text(svg, node, font_size)
    finally:
        element.text = chars  # type: ignore[union-attr]


def _stock_is_per_code_point() -> bool:
    try:
        return "for char in node.text" in inspect.getsource(_stock_text)
    except (OSError, TypeError):
        return False


def install() -> bool:
    """Route WeasyPrint's SVG `<text>`/`<tspan>` through `text`; True if it is in place."""
    tags = getattr(weasy_svg, "TAGS", None)
    if not isinstance(tags, dict):
        return False
    if tags.get("text") is text:
        return True
    stock = (tags.get("text"), tags.get("tspan"), getattr(weasy_svg, "text", None))
    if any(handler is not _stock_text for handler in stock) or not _stock_is_per_code_point():
        log.info("WeasyPrint's SVG text handler is not the per-code-point one; left as it is")
        return False
    # draw_node compares TAGS[tag] with the module's `text` to apply text-anchor: set both
    tags["text"] = tags["tspan"] = weasy_svg.text = text
    return True
