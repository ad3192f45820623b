"""Render a `Disclosure` to `disclosure.json`, `report.html`, `report.pdf` and `tables/*.csv`.

The templates read only the `Disclosure` model. Everything from the data is autoescaped by Jinja;
the only markup marked safe is what this package builds itself (the SVG charts, whose text parts
are escaped in `svg.py`, and the stylesheet read from `templates/report.css`). The PDF is made in
`pdf.py`, the CSV tables in `tables.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from markupsafe import Markup
from weasyprint.document import Document
from weasyprint.urls import URLFetcher

from pipeline.atomic import replace_folder
from pipeline.disclosure.model import Disclosure, Quantiles
from pipeline.report import charts, crossover_chart
from pipeline.report.manifest import manifest_summary, set_contents
from pipeline.report.pdf import lay_out, print_charts, render_pdf
from pipeline.report.phases import ordered_phases, phase_label
from pipeline.report.tables import TABLES_DIR_NAME, Listed, render_tables
from pipeline.report.tables_models import serving_models
from pipeline.report.tables_period import UNCERTAINTY_METRICS, uncertainty_groups
from pipeline.report.tables_prompts import PROMPT_METRICS, prompt_models
from pipeline.report.templates import TEMPLATE_NAME, environment, stylesheet

OUTPUT_NAMES = {"json": "disclosure.json", "html": "report.html", "pdf": "report.pdf"}


def uncertainty_label(group: str) -> str:
    """How the report names an uncertainty group: 'phase:fine_tuning' -> 'Phase: Fine-tuning',
    'model:atlas:training' -> 'atlas, training', 'total' -> 'Total'."""
    kind, _, rest = group.partition(":")
    if kind == "phase":
        return f"Phase: {phase_label(rest)}"
    if kind == "model":
        name, _, part = rest.rpartition(":")
        return f"{name}, {part}"
    return "Total" if group == "total" else group


def uncertainty_rows(d: Disclosure) -> list[tuple[str, dict[str, Quantiles]]]:
    """The uncertainty table as printed: `tables.uncertainty_groups` with readable labels."""
    return [(uncertainty_label(g), qs) for g, qs in uncertainty_groups(d)]


def render_charts(d: Disclosure) -> dict[str, object]:
    """The report's SVG charts and phase swatches, as the template context reads them."""
    phases = ordered_phases(d.phases.keys())

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


def render_html(
    d: Disclosure, chart_markup: dict[str, object] | None = None, exports: Iterable[str] = ()
) -> str:
    """The report as one self-contained HTML document (stylesheet and charts inline).

    `chart_markup` is `render_charts(d)`, made here when not given; `exports` the paths of the
    files written beside the report (the manifest section lists them)."""
    context = {
        "d": d,
        "css": stylesheet(),
        **(chart_markup if chart_markup is not None else render_charts(d)),
        "serving_models": serving_models(d),
        "prompt_models": prompt_models(d),
        "prompt_metrics": PROMPT_METRICS,
        "uncertainty_rows": uncertainty_rows(d),
        "uncertainty_metrics": UNCERTAINTY_METRICS,
        "manifest": manifest_summary(d),
        "set_files": set_contents(exports),
    }
    return environment().get_template(TEMPLATE_NAME).render(**context)


def pdf_document(d: Disclosure, url_fetcher: URLFetcher | None = None) -> Document:
    """The PDF's pages as WeasyPrint laid them out: what `write_report` writes report.pdf from
    (for tests of where tables break)."""
    print_markup, images = print_charts(render_charts(d))
    return lay_out(render_html(d, print_markup), url_fetcher, images)


def write_report(
    d: Disclosure,
    out_dir: Path,
    url_fetcher: URLFetcher | None = None,
    exports: Mapping[str, bytes] | None = None,
    listed: Iterable[Listed] = (),
) -> dict[str, Path]:
    """Write `disclosure.json`, `report.html`, `report.pdf` and `tables/*.csv` into `out_dir`,
    with `exports` (path relative to `out_dir` -> bytes, e.g. `focus/cost-and-energy.csv`) and
    `listed` (their index rows, see `tables.render_tables`) when given.

    Everything is rendered in memory first, so a rendering error leaves the folder as it was;
    the files then replace the previous set together or not at all (`atomic.replace_folder`:
    `out_dir` becomes a link to a complete version folder). Returns {"json", "html", "pdf",
    "tables": path} and each export's top folder by its name, paths under `out_dir`.
    """
    out_dir = Path(out_dir)
    chart_markup = render_charts(d)
    print_markup, images = print_charts(chart_markup)
    names = list(exports or ())
    payload = {
        "json": (d.model_dump_json(indent=2) + "\n").encode("utf-8"),
        "html": render_html(d, chart_markup, names).encode("utf-8"),
        "pdf": render_pdf(render_html(d, print_markup, names), url_fetcher, images),
    }
    files = {f"{TABLES_DIR_NAME}/{name}": data for name, data in render_tables(d, listed).items()}
    files.update((OUTPUT_NAMES[key], data) for key, data in payload.items())
    extra = dict(exports or {})
    if clash := set(extra) & set(files):
        raise ValueError(f"an export may not replace a report file: {sorted(clash)}")
    files.update(extra)
    replace_folder(out_dir, files)
    return {
        **{key: out_dir / OUTPUT_NAMES[key] for key in payload},
        "tables": out_dir / TABLES_DIR_NAME,
        **{Path(rel).parts[0]: out_dir / Path(rel).parts[0] for rel in extra},
    }
