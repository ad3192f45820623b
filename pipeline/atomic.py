"""Atomic writes: readers of a path see the old file or the new one, never a partial one; and of a
folder, the old set of files or the new set, never a mix.

A folder replaced as a set (`replace_folder`, used for a period's report) is a relative symlink
`<parent>/<name>` -> `.versions/<name>/<version>/`. The new set is written and fsynced in a new
version folder, then a new link is renamed over the old one: one rename, atomic on POSIX, so a
disk that fills or a process killed midway leaves the old set whole. The previous version is kept
(a reader that resolved the link just before the switch still reads a whole set; an operator can
switch back with `ln -sfn`); older versions and abandoned half-written ones are removed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.user_errors import writing

VERSIONS_DIR = ".versions"
# what os.symlink answers on a filesystem without symlinks (some SMB/CIFS mounts)
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS}


class LinksUnsupported(OSError):
    """The folder's filesystem cannot hold the symlink a set is switched with."""


def _write_all(fd: int, data: bytes, path: Path) -> None:
    """os.write until all of `data` is written; an error names `path` (ENOSPC carries none)."""
    view = memoryview(data)
    with writing(path):
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it over `path`. An
    OSError (no permission, disk full) names `path`, not the temp file (`writing`)."""
    path = Path(path)
    with writing(path):
        _write_atomic(path, data, mode)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            _write_all(fd, data, path)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """One writer per folder at a time: a second one must not prune the first one's version."""
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_tree(root: Path, files: Mapping[str, bytes], mode: int, shown: Path) -> None:
    """Write `files` under `root`; an error names the file as it will be seen, under `shown`."""
    dirs = {root}
    for rel, data in files.items():
        path = root / rel
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
            dirs.update(p for p in path.parents if p.is_relative_to(root))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            _write_all(fd, data, shown / rel)
        finally:
            os.close(fd)
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        _fsync_dir(d)
    os.chmod(root, 0o755)  # mkdtemp makes it 0o700


def replace_folder(target: Path, files: Mapping[str, bytes], mode: int = 0o644) -> Path:
    """Make `target` show exactly `files` (path relative to it -> bytes), all of them or, on any
    error, the set it showed before. `target` becomes a symlink to a version folder; a plain
    folder there (written before sets were versioned) is kept as the previous version."""
    target = Path(target)
    parent = target.parent
    store = parent / VERSIONS_DIR / target.name
    store.mkdir(parents=True, exist_ok=True)
    with _locked(store.with_name(f"{target.name}.lock")):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        new = Path(tempfile.mkdtemp(dir=store, prefix=f"{stamp}-"))
        link = parent / f".{target.name}.{new.name}.link"
        try:
            _write_tree(new, files, mode, target)
            _fsync_dir(store)
            try:
                os.symlink(os.path.relpath(new, parent), link)
            except OSError as e:
                if e.errno in _NO_LINKS:
                    raise LinksUnsupported(e.errno, e.strerror, str(link)) from e
                raise
            if target.is_dir() and not target.is_symlink():
                # a one-time move: for this instant the path shows no folder, never a mix
                os.rename(target, store / f"{stamp}-legacy")
            previous = target.resolve() if target.is_symlink() else None
            os.replace(link, target)
            _fsync_dir(parent)
        except BaseException:
            link.unlink(missing_ok=True)
            shutil.rmtree(new, ignore_errors=True)
            raise
        keep = {new.name, previous.name if previous else f"{stamp}-legacy"}
        for old in store.iterdir():
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
    return target
