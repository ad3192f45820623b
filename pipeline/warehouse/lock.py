"""The warehouse's inter-process lock, so that several processes can share one DuckDB file.

DuckDB lets one process at a time open the file read-write, and no other process even read-only
while it does; a second opener fails at once ("Could not set lock on file"). So that Dagster's
multiprocess executor and concurrent runs can share the file, every `connect` first takes an
inter-process lock on `<warehouse>.lock` beside it (fcntl.flock): exclusive for a read-write
connection, shared for a read-only one (several readers at once, as DuckDB allows), held until the
connection is closed. A process that has to wait logs it once and waits up to `lock_timeout_s`
(default 600 s, or env `WATTPRINT_LOCK_TIMEOUT_S`), then raises `WarehouseBusy`. The kernel drops
the lock of a process that dies, killed or not, so no lock is ever left stale.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_TIMEOUT_ENV = "WATTPRINT_LOCK_TIMEOUT_S"
DEFAULT_LOCK_TIMEOUT_S = 600.0
log = logging.getLogger("wattprint.warehouse")


class WarehouseBusy(TimeoutError):
    """Another process held the warehouse for longer than this one was willing to wait."""


def lock_path(path: Path | str) -> Path:
    """The lock file beside the warehouse: `wattprint.duckdb` → `wattprint.duckdb.lock`."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def resolve_lock_timeout_s(value: float | None = None) -> float:
    """`value`, else env `WATTPRINT_LOCK_TIMEOUT_S`, else 600 s."""
    if value is not None:
        return float(value)
    env = os.environ.get(LOCK_TIMEOUT_ENV)
    if env is None:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        return float(env)
    except ValueError as e:
        raise ValueError(f"{LOCK_TIMEOUT_ENV}={env!r}: expected a number of seconds") from e


# locks this process holds, per thread: lock file → [exclusive, depth], so a `connect` nested in
# another one of the same thread (a helper opening the warehouse inside a caller's connection)
# reuses the lock instead of waiting for itself
_held = threading.local()


def _wait_message(lock: Path, exclusive: bool, timeout: float) -> str:
    want = "write" if exclusive else "read"
    return (
        f"warehouse {lock.with_suffix('')} is in use by another process; waiting up to "
        f"{timeout:g} s to {want} it (lock {lock})"
    )


@contextmanager
def warehouse_lock(
    path: Path | str,
    exclusive: bool,
    timeout_s: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold `<path>.lock`: exclusive (one writer) or shared (many readers), waiting up to
    `timeout_s` for other processes; `on_wait` (default: a warning log) hears once when it waits."""
    lock = lock_path(path)
    held: dict[Path, list] = _held.__dict__.setdefault("locks", {})
    if lock in held:
        if exclusive and not held[lock][0]:
            raise RuntimeError(
                f"{path}: asked to write the warehouse while this thread holds it read-only; "
                "close the read-only connection first"
            )
        held[lock][1] += 1
        try:
            yield
        finally:
            held[lock][1] -= 1
        return
    timeout = resolve_lock_timeout_s(timeout_s)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        # a read-only warehouse folder: no writer can work there either, so no lock is needed
        yield
        return
    try:
        _acquire(fd, lock, exclusive, timeout, on_wait or log.warning)
        held[lock] = [exclusive, 1]
        try:
            yield
        finally:
            del held[lock]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(
    fd: int, lock: Path, exclusive: bool, timeout: float, on_wait: Callable[[str], None]
) -> None:
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline, pause, told = time.monotonic() + timeout, 0.01, False
    while True:
        try:
            fcntl.flock(fd, mode)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"warehouse lock {lock} still held by another process after {timeout:g} s; "
                f"raise {LOCK_TIMEOUT_ENV} or look for a stuck run (fuser {lock})"
            )
        if not told:
            on_wait(_wait_message(lock, exclusive, timeout))
            told = True
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 0.5)
