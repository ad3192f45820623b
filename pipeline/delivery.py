"""Deliver a month's report: e-mail the PDF through SMTP and/or copy the report folder to a
publish folder, once per report and channel.

A channel is the e-mail to one set of recipients, or one publish folder. The ledger
`<reports_dir>/.delivery-ledger.json` records, per period and channel, what was delivered: the
PDF's SHA-256, a fingerprint of the figures (`content_sha256`) and when. A report is not sent to a
channel again while either is unchanged; a report whose figures changed is sent again. The
fingerprint is needed because a report re-rendered from the same data gives a different PDF
(WeasyPrint's output is not byte-stable, and disclosure.json carries `generated_at`): it is the
SHA-256 of disclosure.json without its provenance stamps (`generated_at`, `code_version`,
`config_sha256`), so a re-run of the pipeline does not mail everyone again. `force=True` sends
anyway. A channel is recorded only after its send succeeded, so a failed send is retried.

SMTP user and password come from the environment variables the config names (default
WATTPRINT_SMTP_USER / WATTPRINT_SMTP_PASSWORD), never from the file; the password appears in no
message or log. A failed send raises `DeliveryError` naming the server, the recipients and the
cause, with `permanent` set when trying again cannot help (login or recipient refused, bad setup).
"""

from __future__ import annotations

import calendar
import fcntl
import hashlib
import json
import logging
import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from pipeline.atomic import write_atomic
from pipeline.config import Config, Smtp
from pipeline.report.formatting import fmt_energy, fmt_mass
from pipeline.report.model import Disclosure
from pipeline.report.render import OUTPUT_NAMES, TABLES_DIR_NAME
from pipeline.reporting import month_bounds

log = logging.getLogger(__name__)

LEDGER_NAME = ".delivery-ledger.json"
# fields of disclosure.json that say when and by what a report was made, not what it reports
PROVENANCE_KEYS = ("generated_at", "code_version", "config_sha256")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class DeliveryError(RuntimeError):
    """A delivery failed. `permanent`: retrying without a change cannot succeed. `results`: the
    channels that were delivered (or found unchanged) before the failure."""

    def __init__(
        self, message: str, permanent: bool = False, results: Sequence[DeliveryResult] = ()
    ):
        super().__init__(message)
        self.permanent = permanent
        self.results = tuple(results)


@dataclass(frozen=True)
class DeliveryResult:
    channel: Literal["email", "publish"]
    sent: bool  # False: the channel already had this report
    reason: str
    sha256: str  # of the PDF
    recipients: tuple[str, ...] = ()  # e-mail only
    destination: str = ""  # SMTP host:port, or the folder the files were copied to


@dataclass(frozen=True)
class Report:
    """One period's report folder as read from disk, every file's bytes held (what is hashed is
    what is sent)."""

    period: str
    folder: Path
    files: dict[str, bytes]  # path relative to the folder -> bytes; report.pdf last
    disclosure: dict[str, Any]

    @property
    def pdf(self) -> bytes:
        return self.files[OUTPUT_NAMES["pdf"]]

    @cached_property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @cached_property
    def content_sha256(self) -> str:
        return content_sha256(self.disclosure)


def content_sha256(disclosure: Mapping[str, Any]) -> str:
    """Fingerprint of a report's figures and text: disclosure.json without its provenance stamps,
    as canonical JSON (sorted keys)."""
    body = {k: v for k, v in disclosure.items() if k not in PROVENANCE_KEYS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_period(period: str) -> str:
    try:
        month_bounds(period)
    except ValueError as e:
        raise DeliveryError(str(e), permanent=True) from None
    return period


def read_report(folder: Path, period: str) -> Report:
    """The report files of `folder` (written by `wattprint report` or the disclosure_report
    asset): disclosure.json, report.html, report.pdf, and tables/ if there is one."""
    folder = Path(folder)
    if not (folder / OUTPUT_NAMES["pdf"]).is_file():
        raise DeliveryError(
            f"no report for {period}: {folder / OUTPUT_NAMES['pdf']} does not exist; "
            f"write it first (wattprint report --period {period})",
            permanent=True,
        )
    files: dict[str, bytes] = {}
    tables = folder / TABLES_DIR_NAME
    if tables.is_dir():
        for p in sorted(tables.rglob("*")):
            if p.is_file() and not p.is_symlink():
                files[p.relative_to(folder).as_posix()] = p.read_bytes()
    for kind in ("html", "json", "pdf"):
        path = folder / OUTPUT_NAMES[kind]
        try:
            files[OUTPUT_NAMES[kind]] = path.read_bytes()
        except OSError as e:
            raise DeliveryError(
                f"report {period} is incomplete: cannot read {path}: {e.strerror}", permanent=True
            ) from e
    json_path = folder / OUTPUT_NAMES["json"]
    try:
        disclosure = json.loads(files[OUTPUT_NAMES["json"]])
    except (ValueError, UnicodeDecodeError) as e:
        raise DeliveryError(f"{json_path}: not valid JSON: {e}", permanent=True) from e
    if not isinstance(disclosure, dict):
        raise DeliveryError(f"{json_path}: expected a JSON object at the top level", True)
    _check_disclosure(disclosure, json_path)
    return Report(period, folder, files, disclosure)


def _check_disclosure(disclosure: dict[str, Any], json_path: Path) -> None:
    """disclosure.json against the model that wrote it; the first problem named by its path."""
    try:
        Disclosure.model_validate(disclosure)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        if err["type"] == "missing":
            raise DeliveryError(f"{json_path}: has no {where}", permanent=True) from None
        kind = err["type"]
        expected = (
            "a YYYY-MM-DD date"
            if kind.startswith("date")
            else "a number"
            if kind.startswith(("float", "int"))
            else err["msg"]
        )
        raise DeliveryError(
            f"{json_path}: {where} is {err['input']!r}, not {expected}", permanent=True
        ) from None


# --- e-mail ---------------------------------------------------------------------------------


def summary_text(report: Report) -> str:
    """The e-mail body: the period and the headline figures, printed as in the PDF."""
    d = report.disclosure
    t, p = d["totals"], d["period"]
    year, month = (int(x) for x in report.period.split("-"))
    month_days = calendar.monthrange(year, month)[1]
    start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
    days = (end - start).days + 1
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


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def build_message(report: Report, smtp: Smtp, recipients: Sequence[str]) -> EmailMessage:
    d = report.disclosure
    msg = EmailMessage()
    msg["From"] = smtp.from_addr
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = _one_line(
        f"{d.get('organisation', '')}: {d.get('title', '')}, {report.period}"
    )
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid("wattprint", domain=smtp.from_addr.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg["X-Wattprint-Period"] = report.period
    msg["X-Wattprint-PDF-SHA256"] = report.pdf_sha256
    msg.set_content(summary_text(report))
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


# --- publish folder -------------------------------------------------------------------------


def publish(report: Report, dest: Path) -> None:
    """Copy the report's files into `dest`, each replaced atomically (the PDF last); CSVs under
    dest/tables/ that the report no longer has are removed."""
    if dest.resolve() == report.folder.resolve():
        raise DeliveryError(
            f"publish folder {dest} is the report folder itself; set delivery.publish_dir to "
            "another folder",
            permanent=True,
        )
    try:
        for rel, data in report.files.items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dest / rel, data)
        tables = dest / TABLES_DIR_NAME
        if tables.is_dir():
            for p in tables.rglob("*"):
                if p.is_file() and p.relative_to(dest).as_posix() not in report.files:
                    p.unlink()
    except OSError as e:
        where = e.filename or dest
        raise DeliveryError(
            f"publishing report {report.period} to {dest} failed: {where}: {e.strerror or e}",
            permanent=isinstance(e, PermissionError),
        ) from e


# --- ledger ---------------------------------------------------------------------------------


@contextmanager
def _locked(ledger: Path) -> Iterator[None]:
    """One delivery at a time per ledger (Dagster may run two partitions at once)."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with open(ledger.with_suffix(".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_ledger(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """{period: {channel key: entry}}; an absent file is an empty ledger."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw)
        periods = data["periods"]
        if not isinstance(periods, dict) or not all(isinstance(v, dict) for v in periods.values()):
            raise ValueError("periods is not a mapping of periods to channels")
    except (ValueError, KeyError, TypeError) as e:
        raise DeliveryError(
            f"{path}: not a wattprint delivery ledger ({e}); repair it, or remove it to deliver "
            "every report again",
            permanent=True,
        ) from e
    return periods


def _save_ledger(path: Path, periods: Mapping[str, Any]) -> None:
    text = json.dumps({"version": 1, "periods": periods}, indent=2, sort_keys=True) + "\n"
    write_atomic(path, text.encode("utf-8"))


def email_channel(recipients: Sequence[str]) -> str:
    return "email:" + ",".join(sorted({r.lower() for r in recipients}))


def publish_channel(publish_dir: Path) -> str:
    return f"publish:{publish_dir}"


def _unchanged(entry: Mapping[str, Any] | None, report: Report) -> str | None:
    """Why `report` need not be sent again to a channel whose ledger entry is `entry`."""
    if entry is None:
        return None
    when = entry.get("delivered_at", "?")
    if entry.get("pdf_sha256") == report.pdf_sha256:
        return f"unchanged since its delivery at {when} (same PDF), not resent"
    if entry.get("content_sha256") == report.content_sha256:
        return (
            f"unchanged since its delivery at {when} (same figures; only the PDF was "
            "re-rendered), not resent"
        )
    return None


def _intact(published_pdf: Path, entry: Mapping[str, Any] | None) -> bool:
    """The publish folder still holds the PDF the ledger says was copied there."""
    try:
        data = published_pdf.read_bytes()
    except OSError:
        return False
    return entry is not None and hashlib.sha256(data).hexdigest() == entry.get("pdf_sha256")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


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
    with _locked(ledger_path):
        ledger = load_ledger(ledger_path)
        channels = ledger.setdefault(period, {})

        def record(key: str, entry: dict[str, Any]) -> None:
            channels[key] = {
                **entry,
                "pdf_sha256": report.pdf_sha256,
                "content_sha256": report.content_sha256,
                "delivered_at": _now(),
            }
            _save_ledger(ledger_path, ledger)

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
            skip = None if force else _unchanged(entry, report)
            reason = why_send(entry)
            if skip and not _intact(dest / OUTPUT_NAMES["pdf"], entry):
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
            skip = None if force else _unchanged(entry, report)
            if skip:
                results.append(
                    DeliveryResult("email", False, skip, report.pdf_sha256, recipients, server)
                )
            else:
                reason = why_send(entry)
                try:
                    m = mailer if mailer is not None else SmtpMailer(smtp, environ)
                    m.send(build_message(report, smtp, recipients), recipients)
                except DeliveryError as e:
                    errors.append(e)
                else:
                    record(
                        key, {"channel": "email", "recipients": list(recipients), "server": server}
                    )
                    log.info(
                        "report %s e-mailed to %s via %s (%s)", period, recipients, server, reason
                    )
                    results.append(
                        DeliveryResult("email", True, reason, report.pdf_sha256, recipients, server)
                    )
    if errors:
        raise DeliveryError(
            "; ".join(str(e) for e in errors),
            permanent=all(e.permanent for e in errors),
            results=results,
        )
    return results
