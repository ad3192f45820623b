"""The `wattprint` command line: demo, run, report, deliver, validate, ui."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.config import ConfigError, load_config

app = typer.Typer(
    help="Energy, carbon, water and cost disclosure for AI training and inference.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
REPO = Path(__file__).resolve().parents[1]

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="wattprint.yaml to use")]


def _config_or_exit(path: Path):
    try:
        return load_config(path)
    except ConfigError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e


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

    cfg = _config_or_exit(config)
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

        with _instance(cfg) as instance:
            results = run_pipeline(config, start, end, instance=instance, on_step=step)
        progress.update(steps, completed=progress.tasks[steps].total, description="done")
    if not all(r.success for r in results):
        console.print("[red]a run failed; see the log above[/red]")
        raise typer.Exit(1)
    for p in sorted(cfg.reports_dir.glob("*/report.pdf")):
        typer.echo(f"report: {p}")


# Written once into a config's .dagster_home (never over an existing file). Storage stays
# Dagster's default (SQLite under this folder). The run queue lets one run at a time write the
# warehouse (the schedule's and sensors' runs carry the tag). Telemetry is off: wattprint runs on
# sites that may have no way out to the internet, and sends nothing anywhere unless configured to.
DAGSTER_YAML = """\
# The Dagster instance of this wattprint config: runs, materialisations, check results,
# schedule and sensor state, in SQLite under this folder (Dagster's default storage).
# Written by wattprint when the folder was created; edit freely, it is not overwritten.
run_queue:
  tag_concurrency_limits:
    # runs launched by the schedule and sensors: one at a time writes the DuckDB warehouse
    - key: wattprint/warehouse
      limit: 1
telemetry:
  enabled: false
"""


def dagster_home(cfg) -> Path:
    """Where Dagster keeps its instance for this config: $DAGSTER_HOME when set, else
    `.dagster_home` beside the config file, so `wattprint run` and `wattprint ui` share one
    history (CLI runs and backfills show in the UI) and nothing is written elsewhere."""
    env = os.environ.get("DAGSTER_HOME")
    if env:
        return Path(env)
    home = cfg.base_dir / ".dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(DAGSTER_YAML)
    return home


def _instance(cfg):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(dagster_home(cfg)))


@app.command()
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


@app.command()
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


@app.command()
def report(
    config: ConfigOpt = Path("wattprint.yaml"),
    period: Annotated[str, typer.Option(help="month, YYYY-MM")] = ...,
) -> None:
    """Write the PDF, HTML and JSON report of one month from the warehouse."""
    from pipeline import warehouse
    from pipeline.reporting import month_bounds, report_period

    cfg = _config_or_exit(config)
    try:
        first, last = month_bounds(period)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    with console.status(f"rendering {period}"), warehouse.connect(cfg.warehouse_path) as con:
        try:
            paths = report_period(con, cfg, first, last, period)
        except LookupError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(1) from e
    for kind, p in paths.items():
        typer.echo(f"{kind}: {p}")


@app.command()
def deliver(
    config: ConfigOpt = Path("wattprint.yaml"),
    period: Annotated[str, typer.Option(help="month, YYYY-MM")] = ...,
    force: Annotated[
        bool, typer.Option(help="send even to channels that already have this report")
    ] = False,
) -> None:
    """E-mail a month's report and/or copy it to the publish folder (config `delivery`); a
    channel that already has the report is skipped. Exit 1 if a send fails."""
    from pipeline.delivery import DeliveryError
    from pipeline.delivery import deliver as deliver_report
    from pipeline.reporting import month_bounds

    cfg = _config_or_exit(config)
    try:
        month_bounds(period)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    try:
        with console.status(f"delivering {period}"):
            results = deliver_report(cfg, period, force=force)
    except DeliveryError as e:
        for r in e.results:
            typer.echo(_delivery_line(r))
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    if not results:
        console.print(
            f"[red]{config}: no delivery configured: set delivery.publish_dir and/or "
            "delivery.smtp with delivery.recipients (docs/delivery.md)[/red]"
        )
        raise typer.Exit(1)
    for r in results:
        typer.echo(_delivery_line(r))


def _delivery_line(r) -> str:
    to = ", ".join(r.recipients) + f" via {r.destination}" if r.recipients else r.destination
    return f"{r.channel}: {'sent' if r.sent else 'not sent'} to {to}: {r.reason}"


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="files to check", exists=False)],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="for site time zones and power bounds")
    ] = None,
    show: Annotated[int, typer.Option(help="problems to show per file")] = 5,
) -> None:
    """Detect each file's format and count accepted and quarantined rows (bad format or outside
    a plausible range); exit 1 if any file cannot be read at all."""
    from pipeline.plausibility import Limits, screen
    from pipeline.readers import ReadContext, UnreadableFileError, read_file

    cfg = _config_or_exit(config) if config else None
    ctx = cfg.read_context() if cfg else ReadContext()
    limits = Limits.from_config(cfg) if cfg else Limits()  # no inventory: absolute power bounds
    table = Table()
    table.add_column("file", overflow="fold")  # whole paths, folded, never cut to "…"
    for heading in ("format", "read", "accepted", "quarantined"):
        table.add_column(heading)
    failed = False
    # Piped output is not cut to 80 columns: a line per row keeps it greppable.
    out = Console() if sys.stdout.isatty() else Console(width=160)
    samples = []
    for f in files:
        try:
            r = screen(read_file(f, ctx), limits)
        except (UnreadableFileError, OSError) as e:
            failed = True
            table.add_row(str(f), "[red]unreadable[/red]", "-", "-", "-")
            typer.echo(str(e), err=False)
            continue
        table.add_row(
            str(f), r.format, str(r.rows_read), str(r.rows_accepted), str(r.rows_quarantined)
        )
        for p in r.problems[:show]:
            typer.echo(f"{f}:{p.line}: {p.reason}")
        if r.table == "raw_gpu_samples":
            samples.append(r.frame)
    out.print(table)
    if samples:
        out.print(_hosts_table(samples, ctx.gpus_per_host))
    if failed:
        raise typer.Exit(1)


def _hosts_table(samples: list, gpus_per_host: dict[str, int] | None) -> Table:
    """GPUs seen per host against the inventory, time span (UTC) and cadence."""
    from pipeline.readers.telemetry_hosts import telemetry_hosts

    none = "no inventory (--config)" if gpus_per_host is None else "not in host_groups"
    table = Table(title="GPU telemetry per host")
    for heading in ("host", "GPUs seen", "GPUs configured", "from (UTC)", "to (UTC)", "cadence"):
        table.add_column(heading)
    for row in telemetry_hosts(samples, gpus_per_host).iter_rows(named=True):
        cadence = row["cadence_s"]
        table.add_row(
            row["host"],
            str(row["gpus_seen"]),
            none if row["gpus_configured"] is None else str(row["gpus_configured"]),
            f"{row['first_utc']:%Y-%m-%d %H:%M:%S}",
            f"{row['last_utc']:%Y-%m-%d %H:%M:%S}",
            "-" if cadence is None else f"{cadence:g} s",
        )
    return table


@app.command()
def ui(
    config: ConfigOpt = Path("wattprint.yaml"),
    port: int = 3000,
    host: str = "127.0.0.1",
) -> None:
    """Start the Dagster UI (webserver and daemon, so schedules and sensors run) on this config.
    Its instance is the one `wattprint run` records into: .dagster_home beside the config, or
    $DAGSTER_HOME when set."""
    cfg = _config_or_exit(config)
    home = dagster_home(cfg)
    env = {**os.environ, "WATTPRINT_CONFIG": str(config.resolve()), "DAGSTER_HOME": str(home)}
    cmd = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(REPO / "workspace.yaml"),
        "-h",
        host,
        "-p",
        str(port),
    ]
    raise typer.Exit(subprocess.call(cmd, cwd=REPO, env=env))


if __name__ == "__main__":
    app()
