"""How every command ends on a mistake the user can fix: one line on stderr naming the file or
key, what was expected and how to fix it, and exit code 2 (`pipeline.user_errors` finds the
line). `--debug`, before or after the command's name (or WATTPRINT_DEBUG=1), shows the traceback
instead. An error that is no user mistake is a bug and keeps its traceback."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.user_errors import one_line, user_error_line

USER_ERROR_EXIT = 2
DEBUG_HELP = "show the full traceback of an error instead of its one line (also WATTPRINT_DEBUG=1)"
DebugOpt = Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)]


class _State:
    debug = False
    # the files and folders of the config the command loaded, with their keys, so an error on
    # one of them names the key to correct (set by `options.config_or_exit`)
    path_keys: dict[Path, str] = {}


state = _State()


def debugging() -> bool:
    return state.debug or os.environ.get("WATTPRINT_DEBUG", "") not in ("", "0")


def print_error(line: str) -> None:
    """The line on stderr, unwrapped and without markup, whatever the terminal's width."""
    sys.stderr.write(f"error: {one_line(line)}\n")
    sys.stderr.flush()


def one_line_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` with a `--debug` option, ending a user's mistake as one line and exit 2."""
    signature = inspect.signature(command, eval_str=True)
    debug_param = inspect.Parameter(
        "debug", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=DebugOpt
    )

    @functools.wraps(command)
    def wrapper(*args: Any, debug: bool = False, **kwargs: Any) -> Any:
        state.debug = state.debug or debug
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except typer.BadParameter as e:  # a bad value found in the command's body
            if debugging():
                raise
            print_error(f"{e.format_message()}; see --help")
            raise typer.Exit(USER_ERROR_EXIT) from None
        except Exception as e:
            line = None if debugging() else user_error_line(e, state.path_keys)
            if line is None:
                raise
            print_error(line)
            raise typer.Exit(USER_ERROR_EXIT) from None

    params = [p for p in signature.parameters.values() if p.name != "debug"]
    wrapper.__signature__ = signature.replace(parameters=[*params, debug_param])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{p.name: p.annotation for p in params},
        "debug": DebugOpt,
        "return": signature.return_annotation,
    }
    return wrapper


def set_debug(debug: DebugOpt = False) -> None:
    """The app's callback: `wattprint --debug <command>`."""
    state.debug = debug
    state.path_keys = {}
