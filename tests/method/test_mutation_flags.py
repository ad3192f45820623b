"""Mutation suite, flags that mean something (issue 15, item 6).

The rebound flag fired on a ±0.2 % wobble: it must fire only when the fall in Wh per request and
the rise in inference energy per day both exceed the materiality threshold (5 % by default,
`checks.rebound_min_change`), and carry the two changes it rests on into the JSON and the
efficiency table. The AI Act annex labelled facility energy "measured" when only the GPU share
was: its label must describe the figure it labels, with the share of each part.
"""

from __future__ import annotations

import re

import pytest

from pipeline.config import Checks
from pipeline.disclosure.build import build_disclosure
from pipeline.disclosure.model import Disclosure
from pipeline.method.lifecycle import efficiency
from pipeline.report.render import render_html
from pipeline.report.tables import report_tables
from pipeline.warehouse import connect
from tests.small_fleet import LAST, START, make_fleet, run_all

PREVIOUS = (1000.0, 100_000, 30)  # inference kWh, requests, days: 10 Wh per request


def _current(wh_change: float, kwh_per_day_change: float, days: int = 30):
    kwh = 1000.0 * (1 + kwh_per_day_change) * days / 30
    wh = 10.0 * (1 + wh_change)
    return kwh, round(kwh * 1000 / wh), days


# ----------------------------------------------------------------------------- rebound


def test_a_wobble_is_not_a_rebound():
    e = efficiency("previous month", PREVIOUS, _current(-0.002, +0.002))
    assert e.rebound is False
    assert e.wh_per_request_change_pct == pytest.approx(-0.2, abs=0.01)
    assert e.inference_kwh_per_day_change_pct == pytest.approx(0.2, abs=1e-9)


def test_a_material_fall_and_rise_is_a_rebound_with_its_figures():
    e = efficiency("previous month", PREVIOUS, _current(-0.10, +0.20))
    assert e.rebound is True
    assert e.wh_per_request_change_pct == pytest.approx(-10.0, abs=0.01)
    assert e.inference_kwh_per_day_change_pct == pytest.approx(20.0)
    assert e.rebound_threshold_pct == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("wh_change", "kwh_change"),
    [(-0.10, +0.03), (-0.03, +0.10), (-0.049, +0.049), (+0.10, +0.10), (-0.10, -0.10)],
)
def test_both_changes_must_exceed_the_threshold(wh_change, kwh_change):
    assert efficiency("x", PREVIOUS, _current(wh_change, kwh_change)).rebound is False


def test_the_threshold_is_configurable_and_defaults_to_five_percent():
    assert Checks().rebound_min_change == 0.05
    cur = _current(-0.10, +0.20)
    assert efficiency("x", PREVIOUS, cur, min_change=0.25).rebound is False
    assert efficiency("x", PREVIOUS, cur, min_change=0.01).rebound is True
    # totals per day: a 15-day month to date against a 30-day month
    assert efficiency("x", PREVIOUS, _current(-0.10, +0.20, days=15)).rebound is True


def test_no_previous_period_is_no_flag_and_no_change():
    e = efficiency("x", (0.0, 0, 0), _current(-0.10, +0.20))
    assert e.rebound is None
    assert e.wh_per_request_change_pct is None and e.inference_kwh_per_day_change_pct is None


def test_the_efficiency_table_carries_the_changes():
    try:
        from test_report_tables import rich_disclosure
    except ModuleNotFoundError:
        from tests.report.test_report_tables import rich_disclosure
    d = rich_disclosure()
    table = next(t for t in report_tables(d) if t.stem == "efficiency")
    assert "wh_per_request_change_pct" in table.columns
    assert "inference_kwh_per_day_change_pct" in table.columns
    html = render_html(d)
    section = re.search(r'<table class="data models-efficiency">.*?</table>', html, re.S).group(0)
    assert "Wh/request change" in section and "kWh/day change" in section


# ----------------------------------------------------------------------------- AI Act annex


@pytest.fixture(scope="module")
def fleet_disclosure(tmp_path_factory) -> Disclosure:
    cfg = make_fleet(tmp_path_factory.mktemp("flags")).config()
    run_all(cfg)
    with connect(cfg.warehouse_path) as con:
        return build_disclosure(con, cfg, START, LAST)


def test_the_annex_label_describes_facility_energy_with_its_parts(fleet_disclosure):
    rows = fleet_disclosure.regulatory.ai_act
    assert rows
    for a in rows:
        # facility energy is never simply "measured": only the GPU share can be
        assert a.energy_basis not in ("measured", "estimated", "measured and estimated")
        assert a.energy_basis.startswith("facility energy: GPU ")
        assert "% measured" in a.energy_basis and "facility overhead" in a.energy_basis
        assert "from PUE" in a.energy_basis
        parts = (
            a.gpu_measured_pct,
            a.gpu_estimated_pct,
            a.host_measured_pct,
            a.host_configured_pct,
            a.facility_overhead_pct,
        )
        assert sum(parts) == pytest.approx(100.0)
        assert a.gpu_measured_pct > 0 and a.facility_overhead_pct > 0
        assert a.host_measured_pct + a.host_configured_pct > 0


def test_the_annex_shares_are_the_models_energy_parts(fleet_disclosure):
    d = fleet_disclosure
    for a in d.regulatory.ai_act:
        m = next(m for m in d.models if m.name == a.model)
        assert a.energy_kwh == pytest.approx(m.training.energy_kwh)
        # the GPU's measured share of facility energy ≤ the measured share of GPU energy
        assert a.gpu_measured_pct / 100 <= 1 - m.training.estimated_share + 1e-9
    html = render_html(d)
    annex = re.search(r'<table class="data ai-act">.*?</table>', html, re.S).group(0)
    for a in d.regulatory.ai_act:
        assert a.energy_basis in re.sub(r"\s+", " ", annex)
