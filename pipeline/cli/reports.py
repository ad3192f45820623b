"""The commands on a month's report: `report` writes it from the warehouse, `deliver` e-mails
it and/or copies it to the publish folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.errors import print_error
from pipeline.cli.options import ConfigOpt, config_or_exit, console


def report(
    config: ConfigOpt = Path("wattprint.yaml"),
    period: Annotated[str, typer.Option(help="month, YYYY-MM")] = ...,
) -> None:
    """Write the PDF, HTML and JSON report of one month from the warehouse."""
    from pipeline import warehouse
    from pipeline.disclosure.publication import month_bounds
    from pipeline.reporting import report_period

    cfg = config_or_exit(config)
    try:
        first, last = month_bounds(period)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    with console.status(f"rendering {period}"), warehouse.connect(cfg.warehouse_path) as con:
        try:
            paths = report_period(con, cfg, first, last, period)
        except LookupError as e:
            print_error(str(e))
            raise typer.Exit(1) from e
    for kind, p in paths.items():
        typer.echo(f"{kind}: {p}")


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
    from pipeline.disclosure.publication import month_bounds

    cfg = config_or_exit(config)
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
        print_error(str(e))
        raise typer.Exit(1) from e
    if not results:
        print_error(
            f"{config}: no delivery configured: set delivery.publish_dir and/or "
            "delivery.smtp with delivery.recipients (docs/delivery.md)"
        )
        raise typer.Exit(1)
    for r in results:
        typer.echo(_delivery_line(r))


def _delivery_line(r) -> str:
    to = ", ".join(r.recipients) + f" via {r.destination}" if r.recipients else r.destination
    return f"{r.channel}: {'sent' if r.sent else 'not sent'} to {to}: {r.reason}"
