"""What every command shares: the stderr console, the --config option, and the config loaded or
the command ended with its error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.config import ConfigError, load_config

console = Console(stderr=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="wattprint.yaml to use")]


def config_or_exit(path: Path):
    try:
        return load_config(path)
    except ConfigError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
