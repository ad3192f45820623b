"""What every command shares: the stderr console, the --config option, and the config loaded or
the command ended with its error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from pipeline.cli.errors import USER_ERROR_EXIT, print_error, state
from pipeline.config import ConfigError, load_config
from pipeline.config.references import check_references, path_keys

console = Console(stderr=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="wattprint.yaml to use")]

T = TypeVar("T")


def config_or_exit(path: Path, load: Callable[[Path], T] = load_config) -> T:
    """`load(path)` (by default the parsed config) with the files and folders the config names
    checked, or exit 2 with the config's error on one line. The config's files and folders are
    remembered, so a later error on one names its key."""
    try:
        loaded = load(path)
        cfg = getattr(loaded, "config", loaded)  # a Pipeline holds its config
        check_references(cfg, path)
    except ConfigError as e:
        print_error(str(e))
        raise typer.Exit(USER_ERROR_EXIT) from e
    state.path_keys = path_keys(cfg)
    return loaded
