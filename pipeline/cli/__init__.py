"""The `wattprint` command line: demo, run, report, deliver, validate, ui.

The commands live by what they do: `runs` (demo, run), `reports` (report, deliver), `validation`
(validate) and `instance` (ui, and the Dagster instance `run` records into).
"""

from __future__ import annotations

import typer

from pipeline.cli.instance import ui
from pipeline.cli.reports import deliver, report
from pipeline.cli.runs import demo, run
from pipeline.cli.validation import validate

app = typer.Typer(
    help="Energy, carbon, water and cost disclosure for AI training and inference.",
    no_args_is_help=True,
    add_completion=False,
)

for command in (demo, run, report, deliver, validate, ui):
    app.command()(command)
