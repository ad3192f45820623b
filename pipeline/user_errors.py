"""Mistakes a user can fix, as one line: the file or key, what was expected, how to fix it.

`UserError` is raised by the code that finds such a mistake (`ConfigError` is one). Errors of the
operating system on a path the user chose (missing, not a folder, no permission, read-only, disk
full) are turned into the same kind of line by `user_error_line`, wherever they were raised: in
the command, inside a Dagster run (which re-raises its step's exception) or in DuckDB (whose
`IOException` carries the path and the system's message in its text). Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import errno
import getpass
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


class UserError(Exception):
    """A mistake the user can fix; the message names the file or key, what was expected and how to
    fix it, on one line."""


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return f"uid {os.getuid()}"


# errno -> (what is wrong, what was expected and how to fix it); {key} is the config key
_ACCESS = (
    "permission denied",
    "expected a path the user running wattprint ({who}) can read and write: fix its "
    "permissions (chmod/chown) or point {key} at another folder",
)
_SPACE = (
    "no space left on device",
    "free space on that disk (df -h {folder}) or point {key} at another disk, then run again",
)
HINTS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("does not exist", "expected an existing path: create it or correct {key}"),
    errno.ENOTDIR: (
        "a part of this path is a file",
        "expected a folder there: move the file away or correct {key}",
    ),
    errno.EISDIR: ("is a folder", "expected a file: correct {key}"),
    errno.EEXIST: ("is a file", "expected a folder there: move the file away or correct {key}"),
    errno.EACCES: _ACCESS,
    errno.EPERM: _ACCESS,
    errno.EROFS: (
        "is on a read-only file system",
        "expected a writable folder: point {key} at one, or remount the disk read-write",
    ),
    errno.ENOSPC: _SPACE,
    errno.EDQUOT: ("disk quota exceeded", _SPACE[1]),
    errno.ENAMETOOLONG: ("file name too long", "expected a shorter path: correct {key}"),
}


def one_line(text: str) -> str:
    """`text` with its line breaks (and the indentation after them) as '; '."""
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())


def key_for(path: Path, keys: Mapping[Path, str]) -> str | None:
    """The config key whose file or folder holds `path` (the deepest one), or None."""
    best: tuple[int, str] | None = None
    for root, key in keys.items():
        if path == root or root in path.parents:
            depth = len(root.parts)
            if best is None or depth > best[0]:
                best = (depth, key)
    return None if best is None else best[1]


def os_error_line(e: OSError, keys: Mapping[Path, str] | None = None) -> str:
    """One line for an OSError of a known kind (see HINTS) on a path."""
    what, hint = HINTS[e.errno]
    name = e.filename if e.filename is not None else "(a file wattprint was writing)"
    path = Path(os.fsdecode(name)).absolute() if e.filename is not None else None
    key = key_for(path, keys or {}) if path is not None else None
    folder = path.parent if path is not None else "."
    hint = hint.format(who=_who(), key=key or "the path in the config", folder=folder)
    where = f"{name} ({key})" if key else str(name)
    return f"{where}: {what}: {hint}"


# DuckDB's IO errors: 'IO Error: Cannot open file "/x/y.duckdb": Permission denied'
_DUCKDB_PATH = re.compile(r'"([^"]+)"')
_DUCKDB_ERRNO = {os.strerror(n).lower(): n for n in HINTS}


def _duckdb_os_error(e: BaseException) -> OSError | None:
    """The OSError a DuckDB IO error reports in its text, when its kind is in HINTS."""
    if type(e).__module__.split(".")[0].lstrip("_") != "duckdb":
        return None
    text = str(e).lower()
    for strerror, number in _DUCKDB_ERRNO.items():
        if strerror in text:
            found = _DUCKDB_PATH.search(str(e))
            return OSError(number, os.strerror(number), found.group(1) if found else None)
    return None


def _chain(e: BaseException) -> Iterator[BaseException]:
    """`e` and the exceptions it wraps: its cause or context, and the user code exception a
    Dagster error carries."""
    seen: set[int] = set()
    todo = [e]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner = getattr(e, "user_exception", None)
        for nxt in (inner, e.__cause__, None if e.__suppress_context__ else e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def user_error_line(e: BaseException, keys: Mapping[Path, str] | None = None) -> str | None:
    """The one line for a mistake the user can fix, or None when `e` is not one (a bug)."""
    for inner in _chain(e):
        if isinstance(inner, UserError):
            return one_line(str(inner))
        os_error = inner if isinstance(inner, OSError) else _duckdb_os_error(inner)
        if os_error is not None and os_error.errno in HINTS:
            return os_error_line(os_error, keys)
    return None


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Name `path` in an OSError raised while writing it: a write() that finds the disk full names
    no file, and a temp file beside `path` is not a name the user knows."""
    try:
        yield
    except OSError as e:
        if e.errno is None:
            raise
        raise OSError(e.errno, e.strerror or os.strerror(e.errno), str(path)) from e
