"""Report delivery against a real SMTP server on localhost (aiosmtpd) and a real publish folder,
with reports rendered by the real renderer; one real Dagster materialisation of report_delivery."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from pipeline.config import ConfigError, load_config
from pipeline.delivery import LEDGER_NAME, DeliveryError, content_sha256, deliver
from pipeline.formatting import fmt_energy, fmt_mass
from pipeline.report.render import write_report
from tests.delivery.config_files import RECIPIENTS, whole_month
from tests.delivery.config_files import email_config as _email_config
from tests.delivery.config_files import ledger as _ledger
from tests.delivery.config_files import smtp_config as _smtp
from tests.delivery.config_files import write_config as _write_config
from tests.delivery.smtp_server import PASSWORD, USER, Server
from tests.delivery.smtp_server import free_port as _free_port
from tests.report_sample import sample_disclosure

PERIOD = "2025-03"  # the sample disclosure's month

# the localhost test servers take a login without TLS on purpose
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --- reports --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three real report folders: the sample; the same figures re-rendered a day later (another
    PDF, same content); and a report whose facility energy changed. Each covers the whole month:
    a month to date is not mailed by default (see test_delivery_policy)."""
    root = tmp_path_factory.mktemp("rendered")
    d = whole_month(sample_disclosure())
    later = d.model_copy(update={"generated_at": d.generated_at + timedelta(days=1)})
    totals = d.totals.model_copy(update={"energy_kwh": d.totals.energy_kwh * 1.1})
    changed = d.model_copy(update={"totals": totals})
    for name, disclosure in (("base", d), ("rerendered", later), ("changed", changed)):
        write_report(disclosure, root / name)
    return {name: root / name for name in ("base", "rerendered", "changed")}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _put_report(cfg_reports: Path, source: Path) -> Path:
    """Copy a rendered report folder into <reports>/<PERIOD>/ (replacing what is there)."""
    dest = cfg_reports / PERIOD
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    return dest


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["totals"].pop("co2e_kg_market"), "has no totals.co2e_kg_market"),
        (lambda d: d["totals"].update(energy_kwh="12 MWh"), "energy_kwh is '12 MWh', not a num"),
        (lambda d: d["period"].update(end="March"), "period.end is 'March', not a YYYY-MM-DD"),
    ],
)
def test_unusable_disclosure_json_is_named(tmp_path, rendered, edit, expected):
    cfg = load_config(_write_config(tmp_path, {"publish_dir": "share"}))
    folder = _put_report(cfg.reports_dir, rendered["base"])
    d = json.loads((folder / "disclosure.json").read_text())
    edit(d)
    (folder / "disclosure.json").write_text(json.dumps(d))
    with pytest.raises(DeliveryError, match=expected) as err:
        deliver(cfg, PERIOD)
    assert str(folder / "disclosure.json") in str(err.value)
    assert not cfg.publish_path.exists()


# --- e-mail ---------------------------------------------------------------------------------


def test_email_arrives_with_the_pdf_attached(tmp_path, rendered, smtp_server):
    cfg = _email_config(tmp_path, smtp_server.port)
    folder = _put_report(cfg.reports_dir, rendered["base"])

    [result] = deliver(cfg, PERIOD)

    assert (result.channel, result.sent) == ("email", True)
    assert result.recipients == tuple(RECIPIENTS)
    assert result.destination == f"127.0.0.1:{smtp_server.port}"
    assert result.sha256 == _sha(folder / "report.pdf")
    [envelope] = smtp_server.handler.envelopes
    assert envelope.mail_from == "wattprint@example.com"
    assert envelope.rcpt_tos == RECIPIENTS
    [msg] = smtp_server.handler.messages()
    d = json.loads((folder / "disclosure.json").read_text())
    assert msg["From"] == "wattprint@example.com"
    assert msg["To"] == ", ".join(RECIPIENTS)
    assert msg["Subject"] == f"{d['organisation']}: {d['title']}, {PERIOD}"
    body = msg.get_body(("plain",)).get_content()
    assert f"{d['period']['start']} to {d['period']['end']}" in body
    for text in (
        fmt_energy(d["totals"]["energy_kwh"]),
        fmt_mass(d["totals"]["co2e_kg_location"], "CO2e"),
        fmt_mass(d["totals"]["co2e_kg_market"], "CO2e"),
    ):
        assert text in body
    assert "Wh" in body and "CO2e" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"wattprint-{PERIOD}.pdf"
    data = attachment.get_content()
    assert data == (folder / "report.pdf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == result.sha256
    # the ledger records this channel's delivery of exactly this PDF
    entry = _ledger(cfg)["periods"][PERIOD][f"email:{','.join(sorted(RECIPIENTS))}"]
    assert entry["pdf_sha256"] == result.sha256
    assert entry["content_sha256"] == content_sha256(d)


def test_unchanged_report_is_not_resent_changed_report_is(tmp_path, rendered, smtp_server):
    cfg = _email_config(tmp_path, smtp_server.port)
    _put_report(cfg.reports_dir, rendered["base"])
    assert deliver(cfg, PERIOD)[0].sent

    [again] = deliver(cfg, PERIOD)
    assert not again.sent and "unchanged" in again.reason and "same PDF" in again.reason
    assert len(smtp_server.handler.envelopes) == 1

    # the same figures rendered again: another PDF, but nothing new to tell the recipients
    folder = _put_report(cfg.reports_dir, rendered["rerendered"])
    assert _sha(folder / "report.pdf") != _sha(rendered["base"] / "report.pdf")
    [rerun] = deliver(cfg, PERIOD)
    assert not rerun.sent and "same figures" in rerun.reason
    assert len(smtp_server.handler.envelopes) == 1

    folder = _put_report(cfg.reports_dir, rendered["changed"])
    [changed] = deliver(cfg, PERIOD)
    assert changed.sent and "changed" in changed.reason
    assert len(smtp_server.handler.envelopes) == 2
    [attachment] = list(smtp_server.handler.messages()[1].iter_attachments())
    assert attachment.get_content() == (folder / "report.pdf").read_bytes()
    [entry] = _ledger(cfg)["periods"][PERIOD].values()
    assert entry["pdf_sha256"] == _sha(folder / "report.pdf")

    assert not deliver(cfg, PERIOD)[0].sent
    [forced] = deliver(cfg, PERIOD, force=True)
    assert forced.sent and forced.reason == "forced"
    assert len(smtp_server.handler.envelopes) == 3


def test_new_recipient_list_is_a_new_channel(tmp_path, rendered, smtp_server):
    cfg = _email_config(tmp_path, smtp_server.port)
    _put_report(cfg.reports_dir, rendered["base"])
    deliver(cfg, PERIOD)
    cfg2 = _email_config(tmp_path, smtp_server.port, recipients=[*RECIPIENTS, "new@example.com"])
    [result] = deliver(cfg2, PERIOD)
    assert result.sent and result.reason == "first delivery of this report"
    assert smtp_server.handler.envelopes[1].rcpt_tos == [*RECIPIENTS, "new@example.com"]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_login_from_the_environment(tmp_path, rendered, servers, monkeypatch, mechanism):
    other = "PLAIN" if mechanism == "LOGIN" else "LOGIN"
    server = Server(_free_port(), auth=True, auth_exclude_mechanism=[other]).start()
    servers.append(server)
    cfg = _email_config(
        tmp_path, server.port, user_env="LAB_SMTP_USER", password_env="LAB_SMTP_PASSWORD"
    )
    _put_report(cfg.reports_dir, rendered["base"])
    monkeypatch.setenv("LAB_SMTP_USER", USER)
    monkeypatch.setenv("LAB_SMTP_PASSWORD", PASSWORD)

    assert deliver(cfg, PERIOD)[0].sent
    assert server.logins == [(mechanism, USER.encode(), PASSWORD.encode())]
    assert len(server.handler.envelopes) == 1


def test_wrong_password_fails_without_showing_it(tmp_path, rendered, servers, monkeypatch):
    server = Server(_free_port(), auth=True).start()
    servers.append(server)
    cfg = _email_config(tmp_path, server.port)
    _put_report(cfg.reports_dir, rendered["base"])
    wrong = "not-the-Pa55-word"
    monkeypatch.setenv("WATTPRINT_SMTP_USER", USER)
    monkeypatch.setenv("WATTPRINT_SMTP_PASSWORD", wrong)

    with pytest.raises(DeliveryError) as err:
        deliver(cfg, PERIOD)

    message = str(err.value)
    assert wrong.encode() in [p for _, _, p in server.logins]  # the server did see it...
    assert wrong not in message and PASSWORD not in message  # ...the message does not
    assert f"127.0.0.1:{server.port}" in message and "535" in message
    assert all(r in message for r in RECIPIENTS)
    assert err.value.permanent
    assert server.handler.envelopes == []
    assert not (cfg.reports_dir / LEDGER_NAME).exists()


def test_user_without_password_is_a_clear_error(tmp_path, rendered, smtp_server, monkeypatch):
    cfg = _email_config(tmp_path, smtp_server.port)
    _put_report(cfg.reports_dir, rendered["base"])
    monkeypatch.setenv("WATTPRINT_SMTP_USER", USER)
    with pytest.raises(
        DeliveryError, match="WATTPRINT_SMTP_USER is set but WATTPRINT_SMTP_PASSWORD is not"
    ):
        deliver(cfg, PERIOD)
    assert smtp_server.handler.envelopes == []


def test_no_plaintext_login_to_a_remote_server(tmp_path, rendered, monkeypatch):
    path = _write_config(
        tmp_path,
        {"smtp": _smtp(25, host="mail.example.com"), "recipients": RECIPIENTS},
    )
    cfg = load_config(path)
    _put_report(cfg.reports_dir, rendered["base"])
    monkeypatch.setenv("WATTPRINT_SMTP_USER", USER)
    monkeypatch.setenv("WATTPRINT_SMTP_PASSWORD", PASSWORD)
    with pytest.raises(DeliveryError, match="unencrypted") as err:
        deliver(cfg, PERIOD)
    assert PASSWORD not in str(err.value) and "mail.example.com:25" in str(err.value)


def test_starttls_not_offered_fails(tmp_path, rendered, smtp_server):
    cfg = _email_config(tmp_path, smtp_server.port, security="starttls")
    _put_report(cfg.reports_dir, rendered["base"])
    with pytest.raises(DeliveryError, match="STARTTLS") as err:
        deliver(cfg, PERIOD)
    assert err.value.permanent and smtp_server.handler.envelopes == []


def test_connection_refused_then_retry_succeeds(tmp_path, rendered, servers):
    port = _free_port()  # nothing listens here yet
    cfg = _email_config(tmp_path, port)
    _put_report(cfg.reports_dir, rendered["base"])

    with pytest.raises(DeliveryError) as err:
        deliver(cfg, PERIOD)
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "refused" in message.lower()
    assert all(r in message for r in RECIPIENTS)
    assert not err.value.permanent  # worth retrying
    assert not (cfg.reports_dir / LEDGER_NAME).exists()

    server = Server(port).start()
    servers.append(server)
    [result] = deliver(cfg, PERIOD)
    assert result.sent and len(server.handler.envelopes) == 1
    assert _ledger(cfg)["periods"][PERIOD]


def test_refused_recipient_is_named(tmp_path, rendered, servers):
    server = Server(_free_port(), refuse=("cfo@example.org",)).start()
    servers.append(server)
    cfg = _email_config(tmp_path, server.port)
    _put_report(cfg.reports_dir, rendered["base"])
    with pytest.raises(DeliveryError) as err:
        deliver(cfg, PERIOD)
    message = str(err.value)
    assert "cfo@example.org (550" in message
    assert "accepted it for sustainability@example.com" in message
    assert err.value.permanent
    assert not (cfg.reports_dir / LEDGER_NAME).exists()


# --- publish folder -------------------------------------------------------------------------


def test_publish_folder(tmp_path, rendered):
    cfg = load_config(_write_config(tmp_path, {"publish_dir": "share/reports"}))
    assert cfg.publish_path == tmp_path / "share" / "reports"
    folder = _put_report(cfg.reports_dir, rendered["base"])
    (folder / "tables").mkdir(exist_ok=True)  # the renderer may write tables/ itself
    (folder / "tables" / "phases.csv").write_text("phase,energy_kwh\ntraining,1.5\n")
    (folder / "tables" / "old.csv").write_text("x\n1\n")
    dest = cfg.publish_path / PERIOD

    def files(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    names = files(folder)
    assert {"report.pdf", "report.html", "disclosure.json", "tables/old.csv"} <= set(names)

    [first] = deliver(cfg, PERIOD)
    assert (first.channel, first.sent, first.destination) == ("publish", True, str(dest))
    assert files(dest) == names
    for name in names:
        assert (dest / name).read_bytes() == (folder / name).read_bytes(), name
    mtimes = {name: (dest / name).stat().st_mtime_ns for name in names}

    [second] = deliver(cfg, PERIOD)
    assert not second.sent and "unchanged" in second.reason
    assert {name: (dest / name).stat().st_mtime_ns for name in names} == mtimes

    folder = _put_report(cfg.reports_dir, rendered["changed"])  # no tables/old.csv any more
    (folder / "tables").mkdir(exist_ok=True)
    (folder / "tables" / "phases.csv").write_text("phase,energy_kwh\ntraining,1.65\n")
    [third] = deliver(cfg, PERIOD)
    assert third.sent
    assert files(dest) == files(folder)
    for name in files(folder):
        assert (dest / name).read_bytes() == (folder / name).read_bytes(), name
    assert not (dest / "tables" / "old.csv").exists()

    # someone deleted the published copy: the ledger alone does not stop a new copy
    (dest / "report.pdf").unlink()
    [fourth] = deliver(cfg, PERIOD)
    assert fourth.sent and "missing" in fourth.reason
    assert _sha(dest / "report.pdf") == _sha(folder / "report.pdf")


def test_publish_and_email_are_separate_channels(tmp_path, rendered, servers):
    port = _free_port()
    path = _write_config(
        tmp_path,
        {"smtp": _smtp(port), "recipients": RECIPIENTS[:1], "publish_dir": "share"},
    )
    cfg = load_config(path)
    _put_report(cfg.reports_dir, rendered["base"])
    with pytest.raises(DeliveryError) as err:  # mail server down: the copy is still made
        deliver(cfg, PERIOD)
    [published] = err.value.results
    assert published.channel == "publish" and published.sent
    assert (cfg.publish_path / PERIOD / "report.pdf").is_file()

    server = Server(port).start()
    servers.append(server)
    publish, mail = deliver(cfg, PERIOD)
    assert not publish.sent and mail.sent
    assert len(server.handler.envelopes) == 1


def test_nothing_configured_delivers_nothing(tmp_path, rendered):
    cfg = load_config(_write_config(tmp_path, None))
    _put_report(cfg.reports_dir, rendered["base"])
    assert deliver(cfg, PERIOD) == []
    assert not (cfg.reports_dir / LEDGER_NAME).exists()


def test_missing_report_and_bad_period(tmp_path):
    cfg = load_config(_write_config(tmp_path, {"publish_dir": "share"}))
    with pytest.raises(DeliveryError, match="no report for 2025-04") as err:
        deliver(cfg, "2025-04")
    assert err.value.permanent
    with pytest.raises(DeliveryError, match="not YYYY-MM"):
        deliver(cfg, "../2025-03")


# --- config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivery", "extra", "expected"),
    [
        (None, {"reporting": {"recipients": ["a@example.com"]}}, "moved to delivery.recipients"),
        ({"recipients": ["a@example.com"]}, {}, "smtp is not"),
        ({"smtp": _smtp(25)}, {}, "recipients is empty"),
        ({"smtp": _smtp(25), "recipients": ["not an address"]}, {}, "not an e-mail address"),
        ({"smtp": _smtp(25), "recipients": ["a@example.com", "A@example.com"]}, {}, "twice"),
        ({"smtp": {**_smtp(25), "password": "x"}, "recipients": RECIPIENTS}, {}, "environment"),
        ({"smtp": _smtp(25, security="tls"), "recipients": RECIPIENTS}, {}, "starttls"),
        ({"smtp": _smtp(25, user_env="MY USER"), "recipients": RECIPIENTS}, {}, "variable name"),
    ],
)
def test_config_errors(tmp_path, delivery, extra, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(_write_config(tmp_path, delivery, **extra))


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_smtp_port_defaults_to_the_security_mode(tmp_path, security, port):
    smtp = {k: v for k, v in _smtp(0, security=security).items() if k != "port"}
    cfg = load_config(_write_config(tmp_path, {"smtp": smtp, "recipients": RECIPIENTS}))
    assert cfg.delivery.smtp.port == port


# --- Dagster --------------------------------------------------------------------------------


def test_dagster_materialises_report_delivery(tmp_path, rendered, servers, monkeypatch):
    from pipeline.definitions import build_defs
    from pipeline.orchestrate import QUIET

    server = Server(_free_port(), auth=True).start()
    servers.append(server)
    path = _write_config(
        tmp_path, {"smtp": _smtp(server.port), "recipients": RECIPIENTS, "publish_dir": "share"}
    )
    cfg = load_config(path)
    _put_report(cfg.reports_dir, rendered["base"])
    monkeypatch.setenv("WATTPRINT_SMTP_USER", USER)
    monkeypatch.setenv("WATTPRINT_SMTP_PASSWORD", PASSWORD)
    defs = build_defs(path)
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("report_delivery"))
    assert dg.AssetKey("disclosure_report") in node.parent_keys
    job = defs.resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()

    def materialise() -> dg.ExecuteInProcessResult:
        return job.execute_in_process(
            run_config=QUIET,
            instance=instance,
            asset_selection=[dg.AssetKey("report_delivery")],
            partition_key=f"{PERIOD}-01",
            raise_on_error=False,
        )

    first = materialise()
    assert first.success
    [mat] = first.asset_materializations_for_node("report_delivery")
    md = {k: v.value for k, v in mat.metadata.items()}
    assert md["email_sent"] is True and md["publish_sent"] is True
    assert md["recipients"] == ", ".join(RECIPIENTS)
    assert md["sha256"] == _sha(cfg.reports_dir / PERIOD / "report.pdf")
    assert md["destination"] == str(cfg.publish_path / PERIOD)
    [msg] = server.handler.messages()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == (cfg.reports_dir / PERIOD / "report.pdf").read_bytes()

    second = materialise()
    [mat] = second.asset_materializations_for_node("report_delivery")
    assert mat.metadata["email_sent"].value is False
    assert "unchanged" in mat.metadata["email_reason"].value
    assert len(server.handler.envelopes) == 1

    # a refused login fails the run with the DeliveryError's message, without retries
    _put_report(cfg.reports_dir, rendered["changed"])
    monkeypatch.setenv("WATTPRINT_SMTP_PASSWORD", "wrong-Pa55")
    failed = materialise()
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    text = str(failure.step_failure_data.error)
    assert f"127.0.0.1:{server.port}" in text and "535" in text and "wrong-Pa55" not in text
    assert not [e for e in failed.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(server.handler.envelopes) == 1


def test_dagster_delivery_not_configured(tmp_path, monkeypatch):
    from pipeline.definitions import build_defs
    from pipeline.orchestrate import QUIET

    path = _write_config(tmp_path, None)
    job = build_defs(path).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        run_config=QUIET,
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey("report_delivery")],
        partition_key=f"{PERIOD}-01",
    )
    [mat] = result.asset_materializations_for_node("report_delivery")
    assert mat.metadata["delivery"].value.startswith("not configured")
    assert mat.metadata["channels"].value == ""
