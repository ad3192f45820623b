"""What the tests read of running processes (through psutil): a process tree, a session's
members, whether a process seen earlier still runs."""

from __future__ import annotations

import os

import psutil


def _live(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def command(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())[:160]
    except psutil.Error:
        return "?"


def descendants(pid: int) -> dict[int, float]:
    """Every live process below `pid`, as pid -> start time (to tell it from a later process
    that reuses the number)."""
    found = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if _live(child):
                found[child.pid] = child.create_time()
        except psutil.Error:
            continue
    return found


def still_running(seen: dict[int, float]) -> list[str]:
    """Those of `seen` (pid -> start time) that still run, as 'pid command'."""
    left = []
    for pid, start in seen.items():
        try:
            p = psutil.Process(pid)
            if _live(p) and p.create_time() == start:
                left.append(f"{pid} {command(pid)}")
        except psutil.Error:
            continue
    return left


def session_pids(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    found = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and _live(p):
                found.append(p.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return found


def session(sid: int) -> list[str]:
    """Live processes of session `sid`, as 'pid command'."""
    return [f"{p} {command(p)}" for p in session_pids(sid)]
