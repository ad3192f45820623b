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

from pipeline.cli.errors import debugging, print_error, state
from pipeline.cli.instance import open_instance
from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.cli.processes import stop_signals


def _load(config: Path):
    """The config's definitions, the config read once for them all (exit 2 on a mistake). The
    runs' console log leaves their failures to the CLI's one line (all of it with --debug)."""
    from dataclasses import replace

    from pipeline.orchestrate import Pipeline

    return replace(config_or_exit(config, Pipeline.load), log_failures=debugging())


def _run(pipeline, start: date | None, end: date | None) -> None:
    """Launch the runs (ingest, the days, the months' reports) on the config's instance; a
    landing file whose format is not recognised or had rows quarantined is a warning in the
    log. SIGTERM or Ctrl-C fails the run in progress (recorded so) and launches no further run.
    On an error the progress bar is cleared, leaving the error's line alone on stderr."""
    from pipeline.orchestrate import run_pipeline

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
            disable=not console.is_terminal,  # a log file gets the warnings and errors only
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
                results = run_pipeline(pipeline, start, end, instance=instance, on_step=step)
        except BaseException:
            # a stop signal interrupts the run wherever it lands: Dagster's interruption, a
            # KeyboardInterrupt, or a step's error raised while it unwinds are all the stop
            if stopped() is None:
                progress.live.transient = True
                raise
        if (signum := stopped()) is not None:
            progress.stop()
            print_error(
                f"stopped by {signal.Signals(signum).name}: the run in progress is recorded "
                "as failed and no further run was started; run the command again to finish"
            )
            raise typer.Exit(128 + signum)
        progress.update(steps, completed=progress.tasks[steps].total, description="done")
    if not all(r.success for r in results):
        print_error("a run failed; see the log above")
        raise typer.Exit(1)
    for p in sorted(cfg.reports_dir.glob("*/report.pdf")):
        typer.echo(f"report: {p}")
    if cfg.reporting.metrics_textfile is not None:
        from pipeline.cli.metrics import write_metrics

        textfile = cfg.resolve(cfg.reporting.metrics_textfile)
        typer.echo(f"metrics: {write_metrics(cfg, textfile, 'reporting.metrics_textfile')}")


def demo(
    out: Annotated[Path, typer.Option(help="folder for the demo fleet")] = Path("demo-output"),
    days: Annotated[int, typer.Option(min=1, max=60)] = 14,
    seed: int = 7,
) -> None:
    """Generate a demo fleet's input files, run everything, print where the reports are."""
    from pipeline.demo.fleet import generate_fleet

    start = date(2026, 10, 1)
    state.path_keys = {out.absolute(): "--out"}  # an error on the folder names the option
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


def _option_day(option: str, text: str | None) -> date | None:
    try:
        return _day(text) if text else None
    except ValueError as err:
        raise typer.BadParameter(
            f"{option} {text!r}: expected a day as YYYY-MM-DD, 'yesterday' or 'today' (UTC)"
        ) from err


def run(
    config: ConfigOpt = Path("wattprint.yaml"),
    start: Annotated[
        str | None,
        typer.Option(
            help="first day: YYYY-MM-DD or 'yesterday' (UTC); default: the first day of the "
            "ingested telemetry, not before the config's start_date"
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="last day (included), like --start, at most yesterday (UTC); default: the "
            "last day of the ingested telemetry"
        ),
    ] = None,
) -> None:
    """Ingest new files, compute the days [start, end] and write the months' reports: the
    Dagster runs, recorded in the config's instance (the one `wattprint ui` shows). Without
    --start and --end the days are the span of the ingested GPU telemetry."""
    s = _option_day("--start", start)
    e = _option_day("--end", end)
    if s and e and e < s:
        raise typer.BadParameter(f"--end {e} is before --start {s}")
    _run(_load(config), s, e)
