"""Write a lifecycle statement: lifecycle.json, lifecycle.html and lifecycle.pdf, replaced together
(`atomic.replace_folder`) with any extra documents (`wattprint model`: the model's GPAI form
energy section, model card and SPDX document), through the report's Jinja environment and safe
PDF renderer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from pipeline.atomic import replace_folder
from pipeline.lifecycle.model import LifecycleStatement
from pipeline.report.crossover_chart import crossover_svg
from pipeline.report.pdf import print_charts, render_pdf
from pipeline.report.templates import environment, stylesheet

TEMPLATE = "lifecycle.html.j2"
NAMES = {"json": "lifecycle.json", "html": "lifecycle.html", "pdf": "lifecycle.pdf"}


def chart_markup(s: LifecycleStatement, prefix: str) -> Markup | None:
    svg = crossover_svg(s, prefix)  # type: ignore[arg-type]  # reads name, crossover, cumulative
    return Markup(svg) if svg else None


def render_html(
    s: LifecycleStatement, organisation: str, chart: object, gpai: dict | None = None
) -> str:
    """`gpai`: the model's GPAI form document (pipeline/exports/gpai.py), printed after the
    statement when given."""
    return (
        environment()
        .get_template(TEMPLATE)
        .render(s=s, chart=chart, css=stylesheet(), organisation=organisation, gpai=gpai)
    )


def write_statement(
    s: LifecycleStatement,
    out_dir: Path,
    organisation: str,
    gpai: dict | None = None,
    extra: Mapping[str, bytes] | None = None,
) -> dict[str, Path]:
    """Render in memory, then replace `out_dir`'s set (with `extra`: file name -> bytes) at once;
    returns the paths by kind and each extra file's path by its name."""
    inline = chart_markup(s, "lc")
    printed, images = print_charts({"crossover_charts": [inline]})
    payload = {
        "json": (s.model_dump_json(indent=2) + "\n").encode("utf-8"),
        "html": render_html(s, organisation, inline, gpai).encode("utf-8"),
        "pdf": render_pdf(
            render_html(s, organisation, printed["crossover_charts"][0], gpai), None, images
        ),
    }
    files = {NAMES[k]: v for k, v in payload.items()}
    more = dict(extra or {})
    if clash := set(more) & set(files):
        raise ValueError(f"an extra document may not replace the statement's: {sorted(clash)}")
    replace_folder(out_dir, files | more)
    return {k: out_dir / NAMES[k] for k in payload} | {n: out_dir / n for n in more}
