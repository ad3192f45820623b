"""What the tests read of running processes, from /proc (Linux; psutil is not in the venv):
a process tree, a session's members, whether a process seen earlier still runs."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int | str) -> list[str] | None:
    """Fields after the command of /proc/PID/stat (state, ppid, pgrp, session, ...; field 22 of
    the man page, the start time, is index 19), or None for a process that is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the command may hold spaces and ')'


def _all() -> dict[int, list[str]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)) is not None:
            found[int(entry.name)] = fields
    return found


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
    except OSError:
        return "?"


def descendants(pid: int) -> dict[int, str]:
    """Every live process below `pid`, as pid -> start time (to tell it from a later process
    that reuses the number)."""
    procs = _all()
    children: dict[int, list[int]] = {}
    for p, fields in procs.items():
        children.setdefault(int(fields[1]), []).append(p)
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if procs[child][0] != "Z":
                found[child] = procs[child][19]
                todo.append(child)
    return found


def still_running(seen: dict[int, str]) -> list[str]:
    """Those of `seen` (pid -> start time) that still run, as 'pid command'."""
    left = []
    for pid, start in seen.items():
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z" and fields[19] == start:
            left.append(f"{pid} {command(pid)}")
    return left


def session(sid: int) -> list[str]:
    """Live (not zombie) processes of session `sid`, as 'pid command'."""
    return [
        f"{p} {command(p)}"
        for p, fields in _all().items()
        if int(fields[3]) == sid and fields[0] != "Z"
    ]


def session_pids(sid: int) -> list[int]:
    return [p for p, fields in _all().items() if int(fields[3]) == sid and fields[0] != "Z"]
