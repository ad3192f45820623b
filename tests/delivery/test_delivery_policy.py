"""When a report is e-mailed, against a real SMTP server on localhost: a month once, when it is
complete; a later change to it once, as a "revised" mail naming what changed; the month to date
only when `delivery.month_to_date` says so."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config
from pipeline.delivery import deliver
from pipeline.delivery.report_files import legacy_content_sha256
from pipeline.formatting import fmt_number
from pipeline.report.render import write_report
from tests.delivery.config_files import (
    RECIPIENTS,
    email_config,
    ledger,
    put_set,
    smtp_config,
    whole_month,
    write_config,
)
from tests.report_sample import sample_disclosure

PERIOD = "2025-03"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real report sets of March 2025: 14 days (month to date); the whole month; the whole month
    rendered again a day later with figures that differ in their last digits only; the whole
    month with facility energy and market-based CO2e revised."""
    root = tmp_path_factory.mktemp("reports")
    partial = sample_disclosure()
    complete = whole_month(partial)
    t = complete.totals
    noise = t.model_copy(update={"energy_kwh": t.energy_kwh * (1 + 1e-15)})
    rerendered = complete.model_copy(
        update={"generated_at": complete.generated_at + timedelta(days=1), "totals": noise}
    )
    revised_totals = t.model_copy(
        update={"energy_kwh": t.energy_kwh * 1.1, "co2e_kg_market": t.co2e_kg_market * 0.5}
    )
    revised = complete.model_copy(update={"totals": revised_totals})
    sets = {"partial": partial, "complete": complete, "rerendered": rerendered, "revised": revised}
    for name, d in sets.items():
        write_report(d, root / name)
    return {name: root / name for name in sets}


def _mtd_config(tmp_path: Path, port: int):
    smtp = smtp_config(port)
    delivery = {"smtp": smtp, "recipients": RECIPIENTS, "month_to_date": True}
    return load_config(write_config(tmp_path, delivery))


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_month_to_date_is_not_mailed_by_default(tmp_path, reports, smtp_server):
    cfg = email_config(tmp_path, smtp_server.port)
    put_set(cfg, reports["partial"])
    [result] = deliver(cfg, PERIOD)
    assert result.channel == "email" and not result.sent
    assert "14 of 31 days" in result.reason and "delivery.month_to_date" in result.reason
    assert smtp_server.handler.envelopes == []
    assert not ledger(cfg).get("periods", {}).get(PERIOD)


def test_complete_month_mailed_once_then_one_revised_mail(tmp_path, reports, smtp_server):
    cfg = email_config(tmp_path, smtp_server.port)
    put_set(cfg, reports["partial"])
    deliver(cfg, PERIOD)
    put_set(cfg, reports["complete"])
    [first] = deliver(cfg, PERIOD)
    assert first.sent
    [msg] = smtp_server.handler.messages()
    assert not msg["Subject"].startswith("Revised") and "the whole month" in _body(msg)

    for name in ("complete", "rerendered"):  # same figures; another PDF and last digits
        put_set(cfg, reports[name])
        [again] = deliver(cfg, PERIOD)
        assert not again.sent and "unchanged" in again.reason
    assert len(smtp_server.handler.envelopes) == 1

    put_set(cfg, reports["revised"])
    [revised] = deliver(cfg, PERIOD)
    assert revised.sent and "revised" in revised.reason
    assert len(smtp_server.handler.envelopes) == 2
    msg = smtp_server.handler.messages()[1]
    assert msg["Subject"].strip().startswith("Revised: ") and msg["X-Wattprint-Kind"] == "revised"
    body = _body(msg)
    old = json.loads((reports["complete"] / "disclosure.json").read_text())["totals"]
    new = json.loads((reports["revised"] / "disclosure.json").read_text())["totals"]
    for label, key in (("Facility energy", "energy_kwh"), ("CO2e, market-based", "co2e_kg_market")):
        line = f"{label}: {fmt_number(old[key])} k"
        assert line in body, body
        assert f"-> {fmt_number(new[key])} k" in body
    assert "+10%" in body and "-50%" in body
    changes = body.split("Figures that changed:\n")[1].split("\n\n")[0].splitlines()
    assert len(changes) == 2 and "location-based" not in body.split("\n\n")[0]
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == (cfg.reports_dir / PERIOD / "report.pdf").read_bytes()

    [after] = deliver(cfg, PERIOD)
    assert not after.sent and len(smtp_server.handler.envelopes) == 2


def test_month_to_date_mailed_when_configured(tmp_path, reports, smtp_server):
    cfg = _mtd_config(tmp_path, smtp_server.port)
    put_set(cfg, reports["partial"])
    [mtd] = deliver(cfg, PERIOD)
    assert mtd.sent
    [msg] = smtp_server.handler.messages()
    assert "month to date" in msg["Subject"] and "14 of the month's 31 days" in _body(msg)
    assert not deliver(cfg, PERIOD)[0].sent

    put_set(cfg, reports["complete"])  # the month complete: its report, not a revision
    [complete] = deliver(cfg, PERIOD)
    assert complete.sent and len(smtp_server.handler.envelopes) == 2
    msg = smtp_server.handler.messages()[1]
    assert "month to date" not in msg["Subject"] and not msg["Subject"].startswith("Revised")


def test_forced_sends_a_month_to_date(tmp_path, reports, smtp_server):
    cfg = email_config(tmp_path, smtp_server.port)
    put_set(cfg, reports["partial"])
    [forced] = deliver(cfg, PERIOD, force=True)
    assert forced.sent and forced.reason == "forced"
    assert len(smtp_server.handler.envelopes) == 1


def test_ledger_of_an_older_version_is_honoured(tmp_path, reports, smtp_server):
    """An entry recorded with the old fingerprint (disclosure.json's hash) whose report is unchanged
    is not mailed again after the upgrade; a changed one is revised, without a per-figure list."""
    cfg = email_config(tmp_path, smtp_server.port)
    put_set(cfg, reports["complete"])
    d = json.loads((reports["complete"] / "disclosure.json").read_text())
    key = "email:" + ",".join(sorted(RECIPIENTS))
    entry = {
        "channel": "email",
        "pdf_sha256": "0" * 64,
        "content_sha256": legacy_content_sha256(d),
        "delivered_at": "2025-04-01T06:00:00+00:00",
    }
    cfg.reports_dir.mkdir(parents=True, exist_ok=True)
    (cfg.reports_dir / ".delivery-ledger.json").write_text(
        json.dumps({"version": 1, "periods": {PERIOD: {key: entry}}})
    )
    [same] = deliver(cfg, PERIOD)
    assert not same.sent and smtp_server.handler.envelopes == []

    put_set(cfg, reports["revised"])
    [revised] = deliver(cfg, PERIOD)
    assert revised.sent
    [msg] = smtp_server.handler.messages()
    assert msg["Subject"].strip().startswith("Revised: ")
    assert "not kept" in _body(msg)


def test_month_to_date_must_be_true_or_false(tmp_path):
    def config(value):
        delivery = {"smtp": smtp_config(25), "recipients": RECIPIENTS, "month_to_date": value}
        return load_config(write_config(tmp_path, delivery))

    assert config(True).delivery.month_to_date is True
    for wrong in ("sometimes", "yes please", 2):
        with pytest.raises(ConfigError, match="delivery.month_to_date: Input should be a valid b"):
            config(wrong)


def test_publish_folder_follows_the_figures_not_the_calendar(tmp_path, reports):
    """The publish folder is a copy, not a message: it gets the month to date too."""
    cfg = load_config(write_config(tmp_path, {"publish_dir": "share"}))
    put_set(cfg, reports["partial"])
    [published] = deliver(cfg, PERIOD)
    assert published.sent and (cfg.publish_path / PERIOD / "report.pdf").is_file()
