"""The End of a finished sacct job whose End is `Unknown`.

sacct prints `End=Unknown` for a job that is still running, and also, after accounting gaps
(slurmdbd lost the end record, a controller restart, a node that failed and was never cleaned up),
for jobs whose State says they are over. A running job rightly holds its nodes until a later
export shows it ended; a finished one must not, or it holds them to the end of every window and
takes their energy (one COMPLETED job with End=Unknown moved 907 kWh to a phantom job).

So for a job (or step) that started and whose State is finished (`FINISHED_STATES`, the Slurm job
states that end a job, `CANCELLED by <uid>` included) with no End:

- the End is Start + Elapsed when the export has an `Elapsed` field (else `ElapsedRaw`, seconds),
  added in UTC so a daylight-saving change inside the job is real time; the row records that its
  End was derived (`end_from_elapsed`). Slurm's Elapsed leaves out time the job spent suspended,
  so a job that was suspended gets an End that early: it holds its nodes no longer than it ran;
- without Elapsed (or with one that cannot be read) the row is quarantined with the reason.

Other states (RUNNING, PENDING, REQUEUED, SUSPENDED, RESIZING, ...) with End=Unknown stay open as
before; their Elapsed is the time so far, not a length. A finished job with no Start never ran (a
job cancelled while pending) and holds nothing, so it is kept like a pending job.
"""

from __future__ import annotations

import re

# Slurm job states (`man sacct`, JOB STATE CODES) in which the job has ended, full names as
# `--parsable2` prints them, and the short codes of squeue-style output.
FINISHED_STATES = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "CD",
        "F",
        "CA",
        "TO",
        "OOM",
        "NF",
        "PR",
        "BF",
        "DL",
    }
)
# `[DD-[HH:]]MM:SS`: `1-02:03:04`, `02:03:04`, `03:04` (sacct prints HH:MM:SS, D-HH:MM:SS).
_ELAPSED = re.compile(r"(?:([0-9]+)-([0-9]{1,2}):|([0-9]{1,2}):)?([0-9]{1,2}):([0-9]{2})")
_SECONDS = re.compile(r"[0-9]{1,12}")
HOLD = "(a finished job is never held open to the end of the window)"


class EndError(ValueError):
    """A finished job's End cannot be known; the message is the quarantine reason."""


def is_finished(state: str | None) -> bool:
    """Whether a sacct State ends the job: `COMPLETED`, `CANCELLED by 1234`, `CANCELLED+`..."""
    if not state or not state.strip():
        return False
    return state.split()[0].rstrip("+").upper() in FINISHED_STATES


def parse_elapsed(text: str) -> int | None:
    """Seconds in a sacct Elapsed (`[DD-[HH:]]MM:SS`); None when it is not one."""
    match = _ELAPSED.fullmatch(text.strip())
    if match is None:
        return None
    days, hours_d, hours, minutes, seconds = match.groups()
    h = int(hours_d if hours_d is not None else hours or 0)
    m, s = int(minutes), int(seconds)
    if m >= 60 or s >= 60 or (days is not None and h >= 24):
        return None
    return ((int(days or 0) * 24 + h) * 60 + m) * 60 + s


def elapsed_s(rec: dict[str, str], state: str) -> int:
    """Seconds from Start to End of a finished job with no End, from its Elapsed (else
    ElapsedRaw); EndError naming what is missing otherwise."""
    if "elapsed" in rec:
        seconds = parse_elapsed(rec["elapsed"])
        if seconds is None:
            raise EndError(
                "Elapsed: expected a duration like '1-02:03:04', '02:03:04' or '03:04' "
                f"([DD-[HH:]]MM:SS) to derive the End of the finished job (state {state!r}), "
                f"got {rec['elapsed']!r}"
            )
        return seconds
    if "elapsedraw" in rec:
        raw = rec["elapsedraw"].strip()
        if not _SECONDS.fullmatch(raw):
            raise EndError(
                "ElapsedRaw: expected whole seconds to derive the End of the finished job "
                f"(state {state!r}), got {rec['elapsedraw']!r}"
            )
        return int(raw)
    if "end" not in rec:
        raise EndError(
            f"no End field for a job in the finished state {state!r}; expected an End field, or "
            f"an Elapsed (or ElapsedRaw) field to derive it as Start + Elapsed {HOLD}"
        )
    raise EndError(
        f"End: {rec['end']!r} for a job in the finished state {state!r}; expected its end time, "
        f"or an Elapsed (or ElapsedRaw) field to derive it as Start + Elapsed {HOLD}"
    )
