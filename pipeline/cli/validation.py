"""The `validate` command: each file's detected format and its accepted and quarantined rows,
and for GPU telemetry the GPUs seen per host against the inventory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli.options import config_or_exit


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

    cfg = config_or_exit(config) if config else None
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
    from pipeline.readers.telemetry.telemetry_hosts import telemetry_hosts

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
