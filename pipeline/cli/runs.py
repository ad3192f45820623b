"""The commands that compute: `demo` (a demo fleet, then everything) and `run` (the Dagster runs
for the days and months asked for), with a progress bar over the runs."""

from __future__ import annotations

import shutil
import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipeline.cli.instance import open_instance
from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.cli.processes import stop_signals


def _load(config: Path):
    """The config's definitions, the config read once for them all (exit 2 on a mistake)."""
    from pipeline.orchestrate import Pipeline

    return config_or_exit(config, Pipeline.load)


def _run(pipeline, start: date | None, end: date | None) -> None:
    """Launch the runs (ingest, the days, the months' reports) on the config's instance; a
    landing file that cannot be read or had rows quarantined is a warning in the log. SIGTERM
    or Ctrl-C fails the run in progress (recorded so) and launches no further run."""
    import dagster as dg

    from pipeline.orchestrate import NoTelemetryError, run_pipeline

    cfg = pipeline.config
    with (
        stop_signals() as stopped,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        steps = progress.add_task("pipeline", total=None)

        def step(name: str, total: int | None) -> None:
            if stopped() is not None:
                raise KeyboardInterrupt  # no further run
            progress.update(steps, description=name, total=total)
            progress.advance(steps)

        try:
            with open_instance(cfg) as instance:
                try:
                    results = run_pipeline(pipeline, start, end, instance=instance, on_step=step)
                except NoTelemetryError as e:
                    raise typer.BadParameter(str(e)) from e
        except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
            pass
        if (signum := stopped()) is not None:
            progress.stop()
            console.print(
                f"[red]stopped by {signal.Signals(signum).name}: the run in progress is recorded "
                "as failed and no further run was started; run the command again to finish[/red]"
            )
            raise typer.Exit(128 + signum)
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
    pipeline = _load(config)
    shutil.rmtree(pipeline.config.warehouse_path.parent, ignore_errors=True)
    shutil.rmtree(pipeline.config.reports_dir, ignore_errors=True)
    _run(pipeline, start, start + timedelta(days=days - 1))
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
    """Ingest new files, compute the days [start, end] and write the months' reports: the
    Dagster runs, recorded in the config's instance (the one `wattprint ui` shows)."""
    try:
        s = _day(start) if start else None
        e = _day(end) if end else None
    except ValueError as err:
        raise typer.BadParameter(
            f"dates must be YYYY-MM-DD, 'yesterday' or 'today': {err}"
        ) from err
    if s and e and e < s:
        raise typer.BadParameter(f"--end {e} is before --start {s}")
    _run(_load(config), s, e)
