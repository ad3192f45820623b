"""The demo end to end: files → DuckDB → attribution → PDF, checked from the outside."""

from __future__ import annotations

import re

import duckdb
import pytest
from pypdf import PdfReader

from pipeline.disclosure.model import HEADLINE_METRICS, Disclosure
from pipeline.formatting import fmt
from pipeline.method.checks import TOLERANCE_WH
from tests.pdf_figures import unprinted_figures


def _pdf_text(path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def test_demo_prints_where_the_report_is(demo_run):
    pdf = demo_run.reports / "report.pdf"
    assert f"report: {pdf}" in demo_run.stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (demo_run.reports / "report.html").is_file()


def test_disclosure_json_has_the_contract_keys(demo_run):
    d = demo_run.disclosure
    Disclosure.model_validate(d)
    assert d["period"]["start"] == "2026-10-01" and d["period"]["end"] == "2026-10-14"
    for key in (
        "energy_kwh",
        "it_energy_kwh",
        "co2e_kg_location",
        "co2e_kg_market",
        "water_l",
        "embodied_kg",
        "cost_usd",
    ):
        assert d["totals"][key] > 0, key
    assert {"training", "fine_tuning", "inference", "evaluation", "idle"} <= set(d["phases"])
    for phase in d["phases"].values():
        assert {"energy_kwh", "gpu_hours", "co2e_kg_location", "co2e_kg_market"} <= set(phase)
    names = {m["name"] for m in d["models"]}
    assert {"atlas-7b", "atlas-7b-chat", "orca-1b", "lynx-13b"} <= names
    served = [m for m in d["models"] if m["inference"]["requests"] > 0]
    assert len(served) >= 3
    for m in served:
        assert m["inference"]["wh_per_request"] > 0
        assert set(m["crossover"]) >= {"reached", "date", "projected_days"}
    assert 0 < d["data_quality"]["measured_share"] <= 1
    assert d["data_quality"]["quarantined_rows"] == 0
    assert all(len(i["sha256"]) == 64 and i["rows"] > 0 for i in d["inputs"])


def test_phase_totals_add_up_to_the_headline(demo_run):
    d = demo_run.disclosure
    for key in ("energy_kwh", "gpu_hours", "co2e_kg_location"):
        assert sum(p[key] for p in d["phases"].values()) == pytest.approx(d["totals"][key])
    # 128 GPUs × 14 days of telemetry, less the one-hour gap that is estimated not dropped
    assert d["totals"]["gpu_hours"] == pytest.approx(128 * 14 * 24, rel=0.002)
    # the two grids differ tenfold: Virginia carries most carbon with a minority of the energy
    sites = {s["site"]: s for s in d["sites"]}
    assert sites["virginia"]["mean_gco2e_per_kwh"] > 5 * sites["stockholm"]["mean_gco2e_per_kwh"]


def test_demo_keeps_full_inventory_coverage_and_passes_every_check(demo_run):
    d = demo_run.disclosure
    cov = d["data_quality"]["coverage"]
    assert cov["expected_gpu_hours"] == pytest.approx(128 * 14 * 24)
    # the demo's logger outage (one hour on one host) and [N/A] reading are filled, not missing
    assert cov["measured_gpu_hours"] + cov["estimated_gpu_hours"] == pytest.approx(
        cov["expected_gpu_hours"]
    )
    assert 0 < cov["estimated_gpu_hours"] < 10 and cov["missing_gpu_hours"] == 0.0
    assert cov["gaps"] == [] and cov["unknown_hosts"] == [] and cov["hosts_without_telemetry"] == []
    assert [c["name"] for c in d["checks"] if not c["passed"]] == []


def test_pdf_headline_numbers_equal_the_json(demo_run):
    d = demo_run.disclosure
    text = _pdf_text(demo_run.reports / "report.pdf")
    for key in HEADLINE_METRICS:
        assert fmt(d["totals"][key]) in text, (key, fmt(d["totals"][key]))
    for m in d["models"]:
        assert m["name"] in text
        if m["training"]["gpu_hours"]:
            assert fmt(m["training"]["gpu_hours"]) in text
            assert fmt(m["training"]["energy_kwh"]) in text
    assert "2026-10-01" in text and "2026-10-14" in text


def test_every_headline_and_model_number_of_the_demo_json_is_in_its_pdf(demo_run):
    """The real demo report (functional units, efficiency, crossover, previous period...): every
    numeric leaf of totals, previous and models[] in disclosure.json is printed in the PDF."""
    text = _pdf_text(demo_run.reports / "report.pdf")
    checked, missing = unprinted_figures(demo_run.disclosure, text)
    assert checked > 200
    assert missing == []


def test_energy_is_conserved_per_gpu_and_hour(demo_run):
    con = duckdb.connect(str(demo_run.warehouse), read_only=True)
    rows = con.execute("""
        WITH m AS (SELECT host, gpu_index, hour_utc, sum(energy_wh) wh
                   FROM gpu_energy_intervals GROUP BY ALL),
             a AS (SELECT host, gpu_index, hour_utc, sum(energy_wh) wh
                   FROM gpu_energy_attributed GROUP BY ALL)
        SELECT count(*), max(abs(coalesce(m.wh, 0) - coalesce(a.wh, 0)))
        FROM m FULL JOIN a USING (host, gpu_index, hour_utc)""").fetchall()
    checked, worst = rows[0]
    assert checked == 128 * 14 * 24
    assert worst < TOLERANCE_WH
    total = con.execute("SELECT sum(energy_wh) FROM gpu_energy_intervals").fetchall()[0][0]
    jobs = con.execute(
        "SELECT sum(energy_wh) FROM gpu_energy_attributed WHERE job_key IS NOT NULL"
    ).fetchall()[0][0]
    idle = con.execute(
        "SELECT sum(energy_wh) FROM gpu_energy_attributed WHERE job_key IS NULL"
    ).fetchall()[0][0]
    assert jobs + idle == pytest.approx(total, rel=1e-12)
    assert 0 < idle < total


def test_demo_per_prompt_figures_from_its_request_log(demo_run):
    """lynx-13b's gateway logs each request of its audit hour: the disclosure has its per-prompt
    figures, the PDF prints its median, and its request count is the hourly statistics' count
    (the logged hours count from the log instead, never both)."""
    d = demo_run.disclosure
    models = {m["name"]: m for m in d["models"]}
    assert [n for n, m in models.items() if m["per_prompt"] is not None] == ["lynx-13b"]
    p = models["lynx-13b"]["per_prompt"]
    assert p["requests"] > 1000 and p["requests_without_energy"] == 0
    assert p["hours_with_requests"] == 14 and p["hours_without_requests"] > 0
    for metric in ("wh", "gco2e_location", "gco2e_market", "water_ml", "cost_usd"):
        s = p[metric]
        assert 0 < s["p10"] <= s["median"] <= s["p90"], metric
    assert sum(p["median_shares"].values()) == pytest.approx(100.0)
    assert sum(p["median_breakdown"].values()) == pytest.approx(p["wh"]["median"])
    stats = [f for f in (demo_run.out / "landing" / "serving").glob("requests-*.csv")]
    hourly = sum(
        int(line.split(",")[3])
        for f in stats
        for line in f.read_text().splitlines()[1:]
        if line.split(",")[1] == "lynx-13b"
    )
    assert models["lynx-13b"]["inference"]["requests"] == hourly
    text = _pdf_text(demo_run.reports / "report.pdf")
    wh = p["wh"]
    row = " ".join(fmt(wh[k]) for k in ("mean", "p10", "median", "p90"))
    assert f"lynx-13b Energy (Wh) {row}" in text
