"""`wattprint model MODEL`: one model's lifecycle statement (PDF, HTML and JSON) over any range
of days, from the warehouse and the declared usage."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.errors import print_error
from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.cli.runs import _option_day

NO_DATA_EXIT = 1


def model(
    name: Annotated[str, typer.Argument(help="the model (version) as jobs and logs name it")],
    config: ConfigOpt = Path("wattprint.yaml"),
    start: Annotated[
        str | None, typer.Option(help="first day, YYYY-MM-DD (UTC); default: its first day")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="last day (included); default: its last day with data")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="folder for lifecycle.pdf/.html/.json, gpai-energy.json, model-card.md and "
            "spdx-ai.json; default <reports>/models/NAME"
        ),
    ] = None,
) -> None:
    """Write one model's lifecycle statement: every training run that led to it (its bases'
    too, stated apart), inference to date, Wh per request by month, the crossover or its
    projection, and training amortised per request; with the model's GPAI Model Documentation
    Form energy section, Hugging Face model card header and SPDX 3.0.1 AI package."""
    from pipeline import warehouse
    from pipeline.disclosure.build import code_version
    from pipeline.exports.model_docs import config_compute, folder_name, statement_files
    from pipeline.lifecycle.build import NoLifecycleData, build_statement
    from pipeline.lifecycle.render import write_statement
    from pipeline.method.declared import declared_usage

    cfg = config_or_exit(config)
    version = code_version()
    s, e = _option_day("--start", start), _option_day("--end", end)
    if s and e and e < s:
        raise typer.BadParameter(f"--end {e} is before --start {s}")
    if not cfg.warehouse_path.exists():
        print_error(
            f"{cfg.warehouse_path}: no warehouse yet: run `wattprint run --config {config}` first"
        )
        raise typer.Exit(NO_DATA_EXIT)
    with console.status(f"lifecycle of {name}"):
        with warehouse.connect(cfg.warehouse_path, read_only=True) as con:
            try:
                declared = declared_usage(con, cfg)
                statement = build_statement(con, cfg, name, s, e, declared.daily, version)
            except NoLifecycleData as err:
                known = warehouse.frame(con, "select_model_names", {}).get_column("model")
                print_error(f"{err}{_suggest(name, known.to_list())}")
                raise typer.Exit(NO_DATA_EXIT) from err
        folder = out or cfg.reports_dir / "models" / folder_name(name)
        docs, form = statement_files(
            statement, "", "lifecycle.json", config_compute(cfg, name, declared.runs), cfg, version
        )
        paths = write_statement(statement, folder, cfg.reporting.organisation, form, docs)
    for kind, p in paths.items():
        typer.echo(f"{kind}: {p}")


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "; models with data: " + (", ".join(known[:10]) or "none")
