"""The `validate` command: each file's detected format, its rows read, accepted and quarantined,
the first problems, and for GPU telemetry the GPUs seen per host against the inventory, the time
span and the cadence. Files or folders (walked as ingest walks the landing folder).

Output: tables on a terminal; tab-separated lines when piped (no wrapping, whatever the width);
`--json` a JSON document. Exit codes: 0 every file readable, 1 some file unreadable, 2 a usage
error (a path that does not exist, a bad config), 3 with `--strict` when rows were quarantined.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.cli.options import config_or_exit, console
from pipeline.printable import visible

EXIT_UNREADABLE, EXIT_USAGE, EXIT_QUARANTINED = 1, 2, 3
HOST_COLUMNS = ("host", "gpus_seen", "gpus_configured", "first_utc", "last_utc", "cadence_s")


def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="landing files or folders (walked recursively)")
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="for site time zones, the GPU inventory and power bounds"
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="problems to show per file")] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON document on stdout instead of tables")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 3 when any row is quarantined")
    ] = False,
) -> None:
    """Read each file as ingest would, writing nothing. Exit 0: every file readable; 1: some file
    unreadable; 2: a usage error (missing path, bad config); 3: rows quarantined (--strict)."""
    from pipeline.plausibility import Limits
    from pipeline.readers import ReadContext
    from pipeline.validation import PathNotFound, check_file, expand, host_rows

    cfg = config_or_exit(config) if config else None
    ctx = cfg.read_context() if cfg else ReadContext()
    limits = Limits.from_config(cfg) if cfg else Limits()  # no inventory: absolute power bounds
    try:
        files = expand(paths)
    except PathNotFound as e:
        console.print(escape(str(e)), highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    checks = [check_file(f, ctx, limits, show) for f in files]
    hosts = host_rows(checks, ctx.gpus_per_host)
    if as_json:
        typer.echo(json.dumps(_document(checks, hosts, ctx.gpus_per_host is not None), indent=2))
    elif sys.stdout.isatty():
        _tables(checks, hosts, ctx.gpus_per_host)
    else:
        _lines(checks, hosts, ctx.gpus_per_host)
    if any(not c.readable for c in checks):
        raise typer.Exit(EXIT_UNREADABLE)
    if strict and any(c.rows_quarantined for c in checks):
        raise typer.Exit(EXIT_QUARANTINED)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _document(checks: list, hosts: list[dict], inventory: bool) -> dict[str, Any]:
    files = [
        {
            "path": str(c.path),
            "readable": c.readable,
            "format": c.format,
            "table": c.table,
            "rows_read": c.rows_read,
            "rows_accepted": c.rows_accepted,
            "rows_quarantined": c.rows_quarantined,
            "first_problems": c.problems,
            "error": c.error,
            "hint": c.hint,
        }
        for c in checks
    ]
    return {
        "files": files,
        "gpu_hosts": [{k: _iso(h[k]) for k in (*HOST_COLUMNS, "samples")} for h in hosts],
        "inventory": inventory,
        "totals": {
            "files": len(checks),
            "unreadable": sum(not c.readable for c in checks),
            "rows_read": sum(c.rows_read for c in checks),
            "rows_accepted": sum(c.rows_accepted for c in checks),
            "rows_quarantined": sum(c.rows_quarantined for c in checks),
        },
    }


def _messages(checks: list) -> list[str]:
    """`file:line: reason` per problem shown, the error of each unreadable file, the hints; text
    from the files with its invisible code points shown (a bidi control cannot reorder a line)."""
    out = []
    for c in checks:
        out.extend(f"{c.path}:{p['line']}: {p['reason']}" for p in c.problems)
        out.extend(m for m in (c.error, c.hint) if m)
    return [visible(m) for m in out]


def _cell(value: Any, fmt: str = "{}") -> str:
    if value is None:
        return "-"
    return fmt.format(value)


def _unconfigured(gpus_per_host: dict | None) -> str:
    return "no inventory (--config)" if gpus_per_host is None else "not in host_groups"


def _lines(checks: list, hosts: list[dict], gpus_per_host: dict | None) -> None:
    """Piped: tab-separated lines, one per file and per host, never wrapped."""
    for m in _messages(checks):
        typer.echo(m)
    typer.echo("file\tformat\tread\taccepted\tquarantined")
    for c in checks:
        row = (c.format or "unreadable", c.rows_read, c.rows_accepted, c.rows_quarantined)
        typer.echo("\t".join([str(c.path), *map(str, row)]))
    if hosts:
        typer.echo("")
        typer.echo("\t".join(HOST_COLUMNS))
        for h in hosts:
            h = {**h, "host": visible(h["host"])}
            first, last = (f"{h[k]:%Y-%m-%dT%H:%M:%S}" for k in ("first_utc", "last_utc"))
            configured = h["gpus_configured"]
            configured = _unconfigured(gpus_per_host) if configured is None else configured
            cells = (h["host"], h["gpus_seen"], configured, first, last)
            typer.echo("\t".join([*map(str, cells), _cell(h["cadence_s"], "{:g}")]))


def _tables(checks: list, hosts: list[dict], gpus_per_host: dict | None) -> None:
    out = Console()
    for m in _messages(checks):
        out.print(escape(m), highlight=False, soft_wrap=True)
    table = Table()
    table.add_column("file", overflow="fold")  # whole paths, folded, never cut to "…"
    for heading in ("format", "read", "accepted", "quarantined"):
        table.add_column(heading)
    for c in checks:
        fmt = escape(c.format) if c.format else "[red]unreadable[/red]"
        counts = (c.rows_read, c.rows_accepted, c.rows_quarantined) if c.readable else "---"
        table.add_row(escape(str(c.path)), fmt, *map(str, counts))
    out.print(table)
    if not hosts:
        return
    none = _unconfigured(gpus_per_host)
    t = Table(title="GPU telemetry per host")
    for heading in ("host", "GPUs seen", "GPUs configured", "from (UTC)", "to (UTC)", "cadence"):
        t.add_column(heading)
    for h in hosts:
        t.add_row(
            escape(visible(h["host"])),
            str(h["gpus_seen"]),
            none if h["gpus_configured"] is None else str(h["gpus_configured"]),
            f"{h['first_utc']:%Y-%m-%d %H:%M:%S}",
            f"{h['last_utc']:%Y-%m-%d %H:%M:%S}",
            _cell(h["cadence_s"], "{:g} s"),
        )
    out.print(t)
