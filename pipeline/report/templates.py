"""The one Jinja environment of the report: templates/ with autoescaping on, every filter the
templates use (the formatting functions and phase labels), and the stylesheet inlined into the
HTML. Every renderer takes its templates from `environment()`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from pipeline.formatting import (
    fmt,
    fmt_change,
    fmt_date,
    fmt_datetime,
    fmt_energy,
    fmt_flop,
    fmt_mass,
    fmt_number,
    fmt_pct,
)
from pipeline.printable import shorten
from pipeline.report.phases import phase_label

TEMPLATES_DIR: Path = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE_NAME = "report.html.j2"
WRAP_FROM_CHARS = 24  # a longer name may break anywhere: ~115 pt at 8 pt without a break
STYLESHEET_NAME = "report.css"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment: templates/ autoescaped, strict undefined, the filter table."""
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
        flop=fmt_flop,
        change=fmt_change,
        num=fmt_number,
        pct=fmt_pct,
        energy=fmt_energy,
        mass=fmt_mass,
        isodate=fmt_date,
        utc=fmt_datetime,
        phase_label=phase_label,
        name=print_name,
    )
    return env


def print_name(text: object) -> Markup:
    """A name as the report prints it, escaped: whole up to `printable.NAME_LIMIT_CHARS`
    characters, else shortened with an ellipsis and the whole name in the `title` attribute
    (the HTML's tooltip; the PDF prints the short form only). A name longer than
    `WRAP_FROM_CHARS` may wrap anywhere (class "long-name"), so that no name, however long,
    pushes a table's figures off the page."""
    full = str(text)
    if len(full) <= WRAP_FROM_CHARS:
        return escape(full)
    short = shorten(full)
    if short == full:
        return Markup('<span class="long-name">{}</span>').format(full)
    return Markup('<span class="long-name" title="{}">{}</span>').format(full, short)


def stylesheet() -> Markup:
    # Our own file, inlined so report.html is self-contained; it must not close the <style>.
    css = (TEMPLATES_DIR / STYLESHEET_NAME).read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError(f"{STYLESHEET_NAME} must not contain '</'")
    return Markup(css)
