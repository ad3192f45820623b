"""The `wattprint` command line: demo, run, report, model, deliver, validate, verify, ui,
metrics.

The commands live by what they do: `runs` (demo, run), `reports` (report, deliver), `models`
(model, a model's lifecycle), `validation` (validate), `verify` (recompute a disclosure),
`metrics` (the latest day for Prometheus) and `instance` (ui, and the Dagster instance `run`
records into); `errors` ends each on a user's mistake with one line and exit 2.
"""

from __future__ import annotations

import typer

from pipeline.cli.errors import one_line_errors, set_debug
from pipeline.cli.instance import ui
from pipeline.cli.metrics import metrics
from pipeline.cli.models import model
from pipeline.cli.reports import deliver, report
from pipeline.cli.runs import demo, run
from pipeline.cli.validation import validate
from pipeline.cli.verify import verify

app = typer.Typer(
    help="Energy, carbon, water and cost disclosure for AI training and inference.",
    no_args_is_help=True,
    add_completion=False,
    # help texts are printed as written: Rich markup would take "[start, end]" for a tag
    rich_markup_mode=None,
    # a bug's (or --debug's) traceback is Python's own: Rich's took minutes to draw a DuckDB
    # error raised through Dagster, and showed local values (a password read from the environment)
    pretty_exceptions_enable=False,
)
app.callback()(set_debug)

# a user's mistake ends as one line and exit 2, --debug shows the traceback (pipeline/cli/errors.py)
for command in (demo, run, report, model, deliver, validate, verify, ui, metrics):
    app.command()(one_line_errors(command))
