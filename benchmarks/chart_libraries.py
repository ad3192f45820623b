"""Hand-written SVG charts against a plotting library, in the report (issue 19).

    python -m benchmarks.chart_libraries --library matplotlib --models 50 --repeat 3
    python -m benchmarks.chart_libraries --library matplotlib --demo demo-output/reports/2026-10

Swaps the two main charts of the report (daily phase energy, the per-model crossover charts)
for a library's prototype (`benchmarks.chart_matplotlib`, `benchmarks.chart_vegalite`), then
either times the monthly report as `benchmarks.report` does, or re-renders a demo report from
its `disclosure.json` into `--out` (for `pdftoppm -r 64 -png` page images to compare). `hand`
is the report as shipped; `--no-svg-text` renders without WeasyPrint's text patch
(`pipeline.report.svg_text`). The libraries are not dependencies: install them by hand.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from benchmarks import report as bench
from pipeline.disclosure.model import Disclosure
from pipeline.report import render, svg_text

LIBRARIES = ("hand", "matplotlib", "matplotlib-paths", "vegalite")


def use(library: str, patch_text: bool = True) -> None:
    """Route `render.render_charts` to `library`'s daily and crossover charts."""
    if library not in LIBRARIES:
        raise typer.BadParameter(f"library: one of {', '.join(LIBRARIES)}")
    if not patch_text:
        svg_text.install = lambda: False  # WeasyPrint keeps its per-code-point SVG text
    if library == "hand":
        return
    if library.startswith("matplotlib"):
        from benchmarks import chart_matplotlib as lib

        lib.configure(text_as_paths=library == "matplotlib-paths")
    else:
        from benchmarks import chart_vegalite as lib  # type: ignore[no-redef]
    render.charts.daily_phase_energy_svg = lib.daily_phase_energy_svg  # type: ignore[assignment]
    render.crossover_chart.crossover_svg = lib.crossover_svg  # type: ignore[assignment]


def main(
    library: str = typer.Option("hand", help=f"one of {', '.join(LIBRARIES)}"),
    models: int = typer.Option(50, help="models in the benchmark's monthly disclosure"),
    repeat: int = typer.Option(3, help="runs per measurement; the best is kept"),
    svg_text_patch: bool = typer.Option(True, "--svg-text/--no-svg-text"),
    demo: Annotated[Path | None, typer.Option(help="a demo report folder to re-render")] = None,
    out: Annotated[Path | None, typer.Option(help="where the re-rendered report goes")] = None,
) -> None:
    use(library, svg_text_patch)
    if demo is not None:
        d = Disclosure.model_validate_json((demo / "disclosure.json").read_text("utf-8"))
        target = out or Path(tempfile.mkdtemp(prefix=f"report-{library}-"))
        print(render.write_report(d, target)["pdf"])
        return
    with tempfile.TemporaryDirectory() as tmp:
        figures = bench.measure(models, repeat, Path(tmp))
    print(f"library: {library}, svg_text patch: {svg_text_patch}")
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    typer.run(main)
