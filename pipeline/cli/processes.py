"""Processes wattprint starts or finds, and the signals that stop it: `run_in_group` runs a
command (`dagster dev`, for `ui`) in a process group of its own and stops the whole group when
wattprint is asked to stop; `stop_signals` notes SIGTERM and SIGINT while Dagster runs in this
process; `alive_since` tells whether the process that recorded something still runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psutil

# Stopping `wattprint ui`: the signal passed on to dagster dev (SIGHUP as SIGTERM) lets it stop its
# webserver, daemon, code servers and runs cleanly (a run records its failure); what is left of
# the group after GRACE_S gets the signal, then SIGKILL. The whole stop stays under 10 s.
GRACE_S = 5.0
LEFT_WAIT_S = 1.0
KILL_WAIT_S = 2.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
POLL_S = 0.1
# a process's start time is known to clock ticks since boot, and boot time to whole seconds
START_TIME_TOLERANCE_S = 2.0


class _Stop(Exception):
    pass


class _Group:
    """The command's process, and the first stop signal this process received."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.signum: int | None = None
        self.stopping = False

    def on_signal(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
        # before the command has started, the signal is only noted (checked once it has)
        if self.proc is not None and not self.stopping:
            raise _Stop


def run_in_group(cmd: Sequence[str], *, grace_s: float = GRACE_S, **popen) -> int:
    """Run `cmd` in a process group of its own until it exits or this process receives SIGTERM,
    SIGINT or SIGHUP; then stop every process left in the group (`stop_group`). Returns the
    command's exit code, or 128 + the signal's number when stopped by one."""
    group = _Group()
    previous = {s: signal.signal(s, group.on_signal) for s in STOP_SIGNALS}
    try:
        try:
            group.proc = subprocess.Popen(cmd, process_group=0, **popen)
            if group.signum is None:
                group.proc.wait()
        except _Stop:
            pass
    finally:
        group.stopping = True
        if group.proc is not None:
            forward = signal.SIGINT if group.signum == signal.SIGINT else signal.SIGTERM
            stop_group(group.proc, forward, grace_s)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if group.signum is not None:
        return 128 + group.signum
    return group.proc.returncode


def stop_group(proc: subprocess.Popen, sig: int, grace_s: float) -> None:
    """Stop the group `proc` leads: `sig` to the leader alone first, which stops its own children
    in order (dagster dev stops its webserver and daemon, which stop their code servers; sent to
    every process at once, a code server that exits first makes its manager log a restart);
    then `sig` to whatever of the group is left, then SIGKILL. Returns once none is left, at most
    grace_s + LEFT_WAIT_S + KILL_WAIT_S after it began."""
    steps = (
        (lambda: proc.send_signal(sig), grace_s),
        (lambda: os.killpg(proc.pid, sig), LEFT_WAIT_S),
        (lambda: os.killpg(proc.pid, signal.SIGKILL), KILL_WAIT_S),
    )
    for send, wait_s in steps:
        if not _group_alive(proc):
            return
        try:
            send()
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait_s
        while _group_alive(proc) and time.monotonic() < deadline:
            time.sleep(POLL_S)


def _group_alive(proc: subprocess.Popen) -> bool:
    """Whether any process of the group `proc` leads still runs (zombies do not count)."""
    proc.poll()  # reap the leader: a zombie would count as alive to killpg
    for p in psutil.process_iter(["status"]):
        try:
            if p.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(p.pid) == proc.pid:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


@contextmanager
def stop_signals() -> Iterator[Callable[[], int | None]]:
    """Within: SIGTERM acts as SIGINT (Ctrl-C), which Dagster turns into the failure of the run
    in progress, and the function yielded returns the first of the two received so far, or None.
    Dagster sets a SIGINT handler of its own while it runs a step, and does not call the one it
    replaced; so the signals are read from the wakeup fd, written for every signal received."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    seen: list[int] = []

    def received() -> int | None:
        try:
            seen.extend(b for b in os.read(read_fd, 256) if b in (signal.SIGTERM, signal.SIGINT))
        except BlockingIOError:
            pass
        return seen[0] if seen else None

    previous_fd = signal.set_wakeup_fd(write_fd)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.set_wakeup_fd(previous_fd)
        os.close(read_fd)
        os.close(write_fd)


def alive_since(pid: int, timestamp: float) -> bool:
    """Whether process `pid` runs and is the one that did something at `timestamp` (epoch s):
    it started before then, so it is not a later process that reuses the number."""
    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return p.create_time() <= timestamp + START_TIME_TOLERANCE_S
    except psutil.NoSuchProcess:
        return False
