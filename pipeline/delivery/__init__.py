"""Deliver a month's report: e-mail the PDF through SMTP and/or copy the report folder to a
publish folder, by the policy in `policy.py`: a month is mailed once, when it is complete; a later
change to it sends one "revised" mail naming the figures that changed; the month to date only with
`delivery.month_to_date: true`. The publish folder gets every change.

A channel is the e-mail to one set of recipients, or one publish folder. The ledger
`<reports_dir>/.delivery-ledger.json` records, per period and channel, what was delivered: the
PDF's SHA-256, a fingerprint of the published figures (`content_sha256`), the kind of mail and
when. A report is not sent to a channel again while either is unchanged. The fingerprint is needed
because a report re-rendered from the same data gives a different PDF (WeasyPrint's output is not
byte-stable, disclosure.json carries `generated_at`, and sums differ in their last digits with
the order of their rows): it is the SHA-256 of every figure rounded as the report prints it
(`figures.py`), so a re-run of the pipeline does not mail everyone again. `force=True` sends
anyway. A channel is recorded only after its send succeeded, so a failed send is retried.

SMTP user and password come from the environment variables the config names (default
WATTPRINT_SMTP_USER / WATTPRINT_SMTP_PASSWORD), never from the file; the password appears in no
message or log. A failed send raises `DeliveryError` naming the server, the recipients and the
cause, with `permanent` set when trying again cannot help (login or recipient refused, bad setup).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pipeline.config import Config
from pipeline.delivery.ledger import (
    FIGURES_VERSION,
    LEDGER_NAME,
    delivered_figures,
    email_channel,
    intact,
    load_ledger,
    locked,
    publish_channel,
    save_figures,
    save_ledger,
    unchanged,
    utc_now,
)
from pipeline.delivery.mail import SmtpMailer, build_message
from pipeline.delivery.policy import plan_mail
from pipeline.delivery.publishing import publish
from pipeline.delivery.report_files import check_period, read_report
from pipeline.delivery.report_files import content_sha256 as content_sha256
from pipeline.delivery.results import DeliveryError, DeliveryResult
from pipeline.report.render import OUTPUT_NAMES

log = logging.getLogger(__name__)


def deliver(
    cfg: Config,
    period: str,
    *,
    mailer: SmtpMailer | None = None,
    environ: Mapping[str, str] | None = None,
    force: bool = False,
) -> list[DeliveryResult]:
    """Deliver report `period` (YYYY-MM) from `<reports_dir>/<period>/` to each configured
    channel: the publish folder first, then the e-mail. Returns one result per channel ([]: no
    delivery configured). A channel that fails does not stop the others; the failures are raised
    together as one DeliveryError after the others are done and recorded.

    `mailer`: the SMTP sender (the Dagster resource's); default one from `cfg.delivery.smtp` with
    the login from `environ` (default os.environ)."""
    check_period(period)
    smtp, publish_root = cfg.delivery.smtp, cfg.publish_path
    if smtp is None and publish_root is None:
        return []
    report = read_report(cfg.reports_dir / period, period)
    ledger_path = cfg.reports_dir / LEDGER_NAME
    results: list[DeliveryResult] = []
    errors: list[DeliveryError] = []
    with locked(ledger_path):
        ledger = load_ledger(ledger_path)
        channels = ledger.setdefault(period, {})

        def record(key: str, entry: dict[str, Any]) -> None:
            channels[key] = {
                **entry,
                "pdf_sha256": report.pdf_sha256,
                "content_sha256": report.content_sha256,
                "figures_version": FIGURES_VERSION,
                "delivered_at": utc_now(),
            }
            save_ledger(ledger_path, ledger)

        def why_send(entry: Mapping[str, Any] | None) -> str:
            if force:
                return "forced"
            if entry is None:
                return "first delivery of this report"
            return f"the report changed since its delivery at {entry.get('delivered_at', '?')}"

        if publish_root is not None:
            dest = publish_root / period
            key = publish_channel(publish_root)
            entry = channels.get(key)
            skip = None if force else unchanged(entry, report)
            reason = why_send(entry)
            if skip and not intact(dest / OUTPUT_NAMES["pdf"], entry):
                skip, reason = None, "the published PDF was missing or altered"
            if skip:
                results.append(
                    DeliveryResult("publish", False, skip, report.pdf_sha256, (), str(dest))
                )
            else:
                try:
                    publish(report, dest)
                except DeliveryError as e:
                    errors.append(e)
                else:
                    record(key, {"channel": "publish", "destination": str(dest)})
                    log.info("report %s published to %s (%s)", period, dest, reason)
                    results.append(
                        DeliveryResult("publish", True, reason, report.pdf_sha256, (), str(dest))
                    )

        if smtp is not None:
            recipients = tuple(cfg.delivery.recipients)
            key = email_channel(recipients)
            entry = channels.get(key)
            server = f"{smtp.host}:{smtp.port}"
            plan = plan_mail(
                report,
                entry,
                delivered_figures(cfg.reports_dir, period, entry),
                month_to_date=cfg.delivery.month_to_date,
                force=force,
            )
            if not plan.send:
                results.append(
                    DeliveryResult(
                        "email", False, plan.reason, report.pdf_sha256, recipients, server
                    )
                )
            else:
                try:
                    m = mailer if mailer is not None else SmtpMailer(smtp, environ)
                    m.send(build_message(report, smtp, recipients, plan), recipients)
                except DeliveryError as e:
                    errors.append(e)
                else:
                    save_figures(cfg.reports_dir, report)
                    record(
                        key,
                        {
                            "channel": "email",
                            "kind": plan.kind,
                            "recipients": list(recipients),
                            "server": server,
                        },
                    )
                    log.info(
                        "report %s e-mailed to %s via %s (%s)",
                        period,
                        recipients,
                        server,
                        plan.reason,
                    )
                    results.append(
                        DeliveryResult(
                            "email", True, plan.reason, report.pdf_sha256, recipients, server
                        )
                    )
    if errors:
        raise DeliveryError(
            "; ".join(str(e) for e in errors),
            permanent=all(e.permanent for e in errors),
            results=results,
        )
    return results
