"""What every command shares: the stderr console, the --config option, and the config loaded or
the command ended with its error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from pipeline.config import ConfigError, load_config

console = Console(stderr=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="wattprint.yaml to use")]

T = TypeVar("T")


def config_or_exit(path: Path, load: Callable[[Path], T] = load_config) -> T:
    """`load(path)` (by default the parsed config), or exit 2 with the config's error."""
    try:
        return load(path)
    except ConfigError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e
