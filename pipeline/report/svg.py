"""SVG building blocks shared by the report's charts.

Every piece of text that reaches the SVG goes through `xml_text`/`xml_attr`, which XML-escape it
and drop characters XML 1.0 forbids, so names from the data can neither break the markup nor
inject elements.
"""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape, quoteattr

from pipeline.report.phases import PhaseStyle, phase_style

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def xml_text(text: object) -> str:
    """Escape for XML character data."""
    return escape(_clean(text))


def xml_attr(text: object) -> str:
    """Escape and quote for an XML attribute value."""
    return quoteattr(_clean(text))


def shorten(label: str, limit: int = 24) -> str:
    """Chart labels are cut to fit; the tables print names in full."""
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def _pattern_id(prefix: str, index: int) -> str:
    return f"{prefix}-pat-{index}"


def pattern_def(pid: str, style: PhaseStyle) -> str:
    bg = f'<rect width="6" height="6" fill={xml_attr(style.colour)}/>'
    hc = xml_attr(style.hatch_colour)
    if style.hatch == "diagonal":
        body = f'{bg}<line x1="3" y1="0" x2="3" y2="6" stroke={hc} stroke-width="1.6"/>'
        return (
            f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)">{body}</pattern>'
        )
    if style.hatch == "dots":
        body = f'{bg}<circle cx="3" cy="3" r="1.2" fill={hc}/>'
    elif style.hatch == "cross":
        body = (
            f'{bg}<line x1="0" y1="3" x2="6" y2="3" stroke={hc} stroke-width="0.9"/>'
            f'<line x1="3" y1="0" x2="3" y2="6" stroke={hc} stroke-width="0.9"/>'
        )
    else:  # horizontal
        body = f'{bg}<line x1="0" y1="3" x2="6" y2="3" stroke={hc} stroke-width="1.4"/>'
    return (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="6" height="6">{body}</pattern>'
    )


class Paints:
    """Fill values per phase for one SVG document (pattern ids are unique per document)."""

    def __init__(self, prefix: str, phases: list[str]):
        self.defs: list[str] = []
        self.fill: dict[str, str] = {}
        for i, phase in enumerate(phases):
            style = phase_style(phase, phases)
            if style.hatch:
                pid = _pattern_id(prefix, i)
                self.defs.append(pattern_def(pid, style))
                self.fill[phase] = f"url(#{pid})"
            else:
                self.fill[phase] = style.colour

    def defs_markup(self) -> str:
        return f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round axis maximum >= value and its tick step (about 5 ticks)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.2
    raw_step = value / 5
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude
        if step * 5 >= value * 0.999999:
            break
    top = step * math.ceil(value / step - 1e-9)
    return top, step


def svg_open(width: int, height: int, title: str, desc: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class={xml_attr(css_class)} '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-family={xml_attr(FONT)}>'
        f"<title>{xml_text(title)}</title><desc>{xml_text(desc)}</desc>"
    )
