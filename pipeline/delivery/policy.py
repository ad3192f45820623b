"""When a report is e-mailed, and as which kind of mail: the delivery policy.

A month is mailed once, when its report is complete (runs to the month's last day), as a
"report" mail. A later change to a month already mailed so sends one "revised" mail listing the
figures that changed, from -> to. A month to date ("month-to-date" mail: the report of a month
still running) is mailed only with `delivery.month_to_date: true`, then each time its figures
change. Unchanged figures (`figures.published_figures`) are never mailed again; `force` sends
anyway. The publish folder is not a message: it gets every change, the month to date included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.delivery.figures import Figure, FigureChange, changed_figures
from pipeline.delivery.ledger import unchanged
from pipeline.delivery.report_files import Report

MailKind = Literal["report", "month-to-date", "revised"]


@dataclass(frozen=True)
class MailPlan:
    send: bool
    kind: MailKind
    reason: str
    revises: str = ""  # revised: when the mail it revises was sent
    changes: tuple[FigureChange, ...] | None = None  # revised: None when not known


def plan_mail(
    report: Report,
    entry: Mapping[str, Any] | None,
    delivered: Mapping[str, Figure] | None,
    *,
    month_to_date: bool,
    force: bool,
) -> MailPlan:
    """What to do for one e-mail channel whose ledger entry is `entry` (None: never mailed) and
    whose last mail carried the figures `delivered` (None: not kept)."""
    before: str | None = entry.get("kind", "report") if entry else None  # old entries: a month
    when = entry.get("delivered_at", "?") if entry else ""
    done, of = report.days
    if before in ("report", "revised"):
        kind: MailKind = "revised"
        changes = tuple(changed_figures(delivered, report.figures)) if delivered else None
        reason = f"revised: its figures changed since its delivery at {when}"
    else:
        changes = None
        kind = "report" if report.month_complete else "month-to-date"
        reason = (
            "first delivery of this report"
            if before is None
            else f"the month is complete (month to date mailed at {when})"
        )
        if kind == "month-to-date":
            reason += f" (month to date, {done} of {of} days)"
    if force:
        return MailPlan(True, kind, "forced", when, changes)
    if kind == "month-to-date" and not month_to_date:
        return MailPlan(
            False,
            kind,
            f"month to date ({done} of {of} days), not mailed: a month is mailed once it is "
            "complete; set delivery.month_to_date: true to mail the month to date as well",
        )
    skip = unchanged(entry, report)
    if skip:
        return MailPlan(False, kind, skip)
    return MailPlan(True, kind, reason, when, changes)
