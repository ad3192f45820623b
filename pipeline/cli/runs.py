"""The commands that compute: `demo` (a demo fleet, then everything) and `run` (ingest, then the
days and months asked for), with a progress bar over both."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipeline.cli.instance import open_instance
from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.config import load_config


def _span_from_manifest(cfg) -> tuple[date, date]:
    """Days covered by ingested telemetry: the default range of `run`."""
    from pipeline import warehouse

    with warehouse.connect(cfg.warehouse_path) as con:
        lo, hi = warehouse.one(con, "select_telemetry_span")
    if lo is None:
        raise typer.BadParameter("no telemetry ingested yet; give --start and --end")
    return max(lo, cfg.start_date), min(hi, date.today() - timedelta(days=1))


def _run(config: Path, start: date | None, end: date | None) -> None:
    from pipeline import warehouse
    from pipeline.ingest import ingest_landing
    from pipeline.orchestrate import months, run_pipeline

    cfg = config_or_exit(config)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        from pipeline.ingest import landing_files

        files = landing_files(cfg.landing_dir)
        task = progress.add_task("ingest landing files", total=len(files))
        with warehouse.connect(cfg.warehouse_path) as con:
            # ingest here first so the progress bar can count files; the Dagster asset then finds
            # every file unchanged and only records the materialisation
            summary = ingest_landing(con, cfg, on_file=lambda f: progress.advance(task))
        bad = [f for f in summary.files if f.status == "unreadable" or f.rows_quarantined]
        for f in bad[:10]:
            progress.console.print(
                f"[yellow]{f.path}: {f.status}, {f.rows_quarantined} rows "
                f"quarantined {f.message}[/yellow]"
            )
        if start is None or end is None:
            lo, hi = _span_from_manifest(cfg)
            start, end = start or lo, end or hi
        steps = progress.add_task("pipeline", total=2 + len(months(start, end)))

        def step(name: str) -> None:
            progress.update(steps, description=name)
            progress.advance(steps)

        with open_instance(cfg) as instance:
            results = run_pipeline(config, start, end, instance=instance, on_step=step)
        progress.update(steps, completed=progress.tasks[steps].total, description="done")
    if not all(r.success for r in results):
        console.print("[red]a run failed; see the log above[/red]")
        raise typer.Exit(1)
    for p in sorted(cfg.reports_dir.glob("*/report.pdf")):
        typer.echo(f"report: {p}")


def demo(
    out: Annotated[Path, typer.Option(help="folder for the demo fleet")] = Path("demo-output"),
    days: Annotated[int, typer.Option(min=1, max=60)] = 14,
    seed: int = 7,
) -> None:
    """Generate a demo fleet's input files, run everything, print where the reports are."""
    from pipeline.demo.fleet import generate_fleet

    start = date(2026, 10, 1)
    with console.status(f"generating a {days}-day demo fleet in {out}"):
        config = generate_fleet(out, seed=seed, days=days, start=start, overwrite=True)
    cfg = load_config(config)
    shutil.rmtree(cfg.warehouse_path.parent, ignore_errors=True)
    shutil.rmtree(cfg.reports_dir, ignore_errors=True)
    _run(config, start, start + timedelta(days=days - 1))
    typer.echo(f"config: {config}")


RELATIVE_DAYS = {"today": 0, "yesterday": 1}


def _day(text: str) -> date:
    """YYYY-MM-DD, or 'today' / 'yesterday' in UTC (cron: `--start yesterday --end yesterday`)."""
    if text in RELATIVE_DAYS:
        return datetime.now(UTC).date() - timedelta(days=RELATIVE_DAYS[text])
    return date.fromisoformat(text)


def run(
    config: ConfigOpt = Path("wattprint.yaml"),
    start: Annotated[
        str | None, typer.Option(help="first day: YYYY-MM-DD, 'yesterday' or 'today' (UTC)")
    ] = None,
    end: Annotated[str | None, typer.Option(help="last day (included), like --start")] = None,
) -> None:
    """Ingest new files, compute the days [start, end] and write the months' reports."""
    try:
        s = _day(start) if start else None
        e = _day(end) if end else None
    except ValueError as err:
        raise typer.BadParameter(
            f"dates must be YYYY-MM-DD, 'yesterday' or 'today': {err}"
        ) from err
    if s and e and e < s:
        raise typer.BadParameter(f"--end {e} is before --start {s}")
    _run(config, s, e)
