"""The e-mail channel: the message (headline figures in the body, the PDF attached) and the SMTP
sender, with its login from the environment and every failure a DeliveryError."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pipeline.config import Smtp
from pipeline.delivery.policy import MailPlan
from pipeline.delivery.report_files import Report
from pipeline.delivery.results import DeliveryError
from pipeline.formatting import fmt_energy, fmt_mass

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
MAX_LISTED = 20  # changed figures a revised mail lists; the rest are counted


def summary_text(report: Report) -> str:
    """The e-mail body: the period and the headline figures, printed as in the PDF."""
    d = report.disclosure
    t, p = d["totals"], d["period"]
    start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
    days, month_days = report.days
    span = "the whole month" if days == month_days else f"{days} of the month's {month_days} days"
    name = f"wattprint-{report.period}.pdf"
    return "\n".join(
        [
            f"{d.get('organisation', '')}: {d.get('title', '')}".strip(": "),
            f"Period: {start.isoformat()} to {end.isoformat()} ({span})",
            "",
            f"Facility energy:                  {fmt_energy(t['energy_kwh'])}",
            f"CO2e, location-based (Scope 2):   {fmt_mass(t['co2e_kg_location'], 'CO2e')}",
            f"CO2e, market-based (Scope 2):     {fmt_mass(t['co2e_kg_market'], 'CO2e')}",
            "",
            f"The full report is attached ({name}, SHA-256 {report.pdf_sha256}).",
            "Method, factors and their sources are in the report.",
            "",
            "-- ",
            "Sent by wattprint.",
            "",
        ]
    )


def revision_text(plan: MailPlan) -> str:
    """What a revised mail says first: which figures changed since the mail it revises."""
    head = f"This report revises the one sent at {plan.revises}."
    if plan.changes is None:
        return (
            f"{head} The figures sent then were not kept (it was sent by an older wattprint), so "
            "the changes cannot be listed here; the attached report has the figures now.\n\n"
        )
    lines = [f"  - {c.line()}" for c in plan.changes[:MAX_LISTED]]
    if len(plan.changes) > MAX_LISTED:
        lines.append(f"  ... and {len(plan.changes) - MAX_LISTED} more (disclosure.json has all)")
    return "\n".join([head, "Figures that changed:", *lines, "", ""])


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def build_message(
    report: Report, smtp: Smtp, recipients: Sequence[str], plan: MailPlan | None = None
) -> EmailMessage:
    """The mail of `report`; `plan` says which kind (default: the month's report)."""
    d = report.disclosure
    kind = plan.kind if plan else "report"
    subject = f"{d.get('organisation', '')}: {d.get('title', '')}, {report.period}"
    if kind == "revised":
        subject = f"Revised: {subject}"
    elif kind == "month-to-date":
        subject = f"{subject} (month to date)"
    msg = EmailMessage()
    msg["From"] = smtp.from_addr
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = _one_line(subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid("wattprint", domain=smtp.from_addr.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg["X-Wattprint-Period"] = report.period
    msg["X-Wattprint-PDF-SHA256"] = report.pdf_sha256
    msg["X-Wattprint-Kind"] = kind
    revision = revision_text(plan) if plan and kind == "revised" else ""
    msg.set_content(revision + summary_text(report))
    msg.add_attachment(
        report.pdf, maintype="application", subtype="pdf", filename=f"wattprint-{report.period}.pdf"
    )
    return msg


def credentials_from_env(smtp: Smtp, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) from the environment variables the config names; None: no login."""
    user = environ.get(smtp.user_env, "")
    password = environ.get(smtp.password_env, "")
    if not user and not password:
        return None
    if not user:
        raise DeliveryError(
            f"{smtp.password_env} is set but {smtp.user_env} is not: set both to log in to "
            f"{smtp.host}:{smtp.port}, or neither to send without login",
            permanent=True,
        )
    if not password:
        raise DeliveryError(
            f"{smtp.user_env} is set but {smtp.password_env} is not: set the password to log in "
            f"to {smtp.host}:{smtp.port}, or unset {smtp.user_env} to send without login",
            permanent=True,
        )
    return user, password


def _reply(e: smtplib.SMTPResponseException) -> str:
    text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else ""
    return f"server answered {e.smtp_code} {_one_line(text or e.smtp_error)}"


class SmtpMailer:
    """Sends one message through the configured SMTP server; every failure is a DeliveryError.
    The login is read from `environ` (default os.environ) at each send and kept nowhere else."""

    def __init__(self, smtp: Smtp, environ: Mapping[str, str] | None = None):
        self.smtp = smtp
        self._environ = environ

    @property
    def server(self) -> str:
        return f"{self.smtp.host}:{self.smtp.port}"

    def __repr__(self) -> str:
        return f"SmtpMailer({self.server}, {self.smtp.security})"

    def _failure(
        self, recipients: Sequence[str], cause: str, permanent: bool, password: str = ""
    ) -> DeliveryError:
        s = self.smtp
        text = (
            f"e-mail to {', '.join(recipients)} via {s.host}:{s.port} ({s.security}) failed: "
            f"{cause}"
        )
        return DeliveryError(text.replace(password, "***") if password else text, permanent)

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> None:
        s = self.smtp
        creds = credentials_from_env(s, os.environ if self._environ is None else self._environ)
        password = creds[1] if creds else ""
        if creds and s.security == "none" and s.host.lower() not in _LOOPBACK:
            raise self._failure(
                recipients,
                f"refusing to send the login from {s.user_env} unencrypted to a remote server; "
                "use security: starttls or ssl",
                permanent=True,
            )
        conn: smtplib.SMTP | None = None
        step, done = "connect", False
        try:
            tls = ssl.create_default_context()
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=tls)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
                if s.security == "starttls":
                    step = "STARTTLS"
                    conn.starttls(context=tls)
                    conn.ehlo()
            if creds:
                step = f"login as the user in {s.user_env}"
                conn.login(*creds)
            step = "send"
            refused = conn.send_message(msg, from_addr=s.from_addr, to_addrs=list(recipients))
            done = True
        except smtplib.SMTPRecipientsRefused as e:
            raise self._refused(recipients, e.recipients, password) from None
        except smtplib.SMTPNotSupportedError as e:
            raise self._failure(recipients, f"{step}: {e}", True, password) from None
        except smtplib.SMTPResponseException as e:  # login, sender or message refused, ...
            permanent = e.smtp_code >= 500
            raise self._failure(recipients, f"{step}: {_reply(e)}", permanent, password) from None
        except (smtplib.SMTPException, OSError) as e:  # refused, timeout, DNS, TLS, hang-up
            cause = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            permanent = isinstance(e, ssl.SSLCertVerificationError)
            raise self._failure(recipients, f"{step}: {cause}", permanent, password) from None
        finally:
            if conn is not None:
                try:
                    conn.quit() if done else conn.close()
                except (smtplib.SMTPException, OSError):
                    conn.close()
        if refused:  # accepted for some recipients, refused for others
            accepted = [r for r in recipients if r not in refused]
            err = self._refused(recipients, refused, password)
            raise DeliveryError(
                f"{err} (the server accepted it for {', '.join(accepted)})", err.permanent
            )

    def _refused(
        self,
        recipients: Sequence[str],
        refused: Mapping[str, tuple[int, bytes]],
        password: str,
    ) -> DeliveryError:
        parts = [
            f"{r} ({code} {_one_line(text.decode('utf-8', 'replace'))})"
            for r, (code, text) in refused.items()
        ]
        permanent = all(code >= 500 for code, _ in refused.values())
        cause = f"recipients refused: {'; '.join(parts)}"
        return self._failure(recipients, cause, permanent, password)
