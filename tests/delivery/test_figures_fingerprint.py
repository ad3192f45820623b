"""The "unchanged" fingerprint of a report depends on its published figures only: not on when
or by what code it was made, nor on the last digits that the order of a sum changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.delivery import content_sha256
from pipeline.delivery.figures import changed_figures, published_figures
from pipeline.disclosure.build import build_disclosure
from pipeline.formatting import fmt_number
from pipeline.warehouse import connect
from tests.report_sample import sample_disclosure
from tests.small_fleet import LAST, START, make_fleet, run_all

RUNS = 20


def _body(d: dict) -> str:
    """disclosure.json without the stamps the old fingerprint already left out."""
    kept = {
        k: v for k, v in d.items() if k not in ("generated_at", "code_version", "config_sha256")
    }
    return json.dumps(kept, sort_keys=True)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """RUNS disclosures of one small fleet's unchanged data, the warehouse's rows shuffled before
    each: DuckDB then sums in another order, as after a nightly re-run."""
    fleet = make_fleet(tmp_path_factory.mktemp("fleet") / "fleet")
    cfg = fleet.config()
    run_all(cfg)
    out = []
    with connect(cfg.warehouse_path) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        for _ in range(RUNS):
            out.append(json.loads(build_disclosure(con, cfg, START, LAST).model_dump_json()))
            for name in tables:  # names from the catalogue, not from input
                con.execute(
                    f'create or replace table "{name}" as select * from "{name}" order by random()'
                )
    return out


def test_twenty_builds_of_the_same_data_give_one_fingerprint(builds):
    assert len(builds) == RUNS
    # the builds do differ in last digits (and in check texts that print them)...
    assert len({_body(d) for d in builds}) > 1
    # ...but not in a figure as the report prints it
    assert len({content_sha256(d) for d in builds}) == 1
    assert all(
        changed_figures(published_figures(builds[0]), published_figures(d)) == [] for d in builds
    )


def test_a_figure_change_changes_the_fingerprint_stamps_do_not():
    d = json.loads(sample_disclosure().model_dump_json())
    base = content_sha256(d)

    def edited(change) -> dict:
        copy = json.loads(json.dumps(d))
        change(copy)
        return copy

    same = [
        lambda c: c.update(generated_at="2030-01-01T00:00:00Z", code_version="other"),
        lambda c: c.update(config_sha256="0" * 64),
        lambda c: c["totals"].update(energy_kwh=c["totals"]["energy_kwh"] * (1 + 1e-13)),
        lambda c: c["inputs"].append(
            {"path": "x.csv", "sha256": "0" * 64, "rows": 1, "format": "x"}
        ),
        lambda c: c["data_quality"].update(files=c["data_quality"]["files"] + 1),
    ]
    for change in same:
        assert content_sha256(edited(change)) == base
    different = [
        lambda c: c["totals"].update(energy_kwh=c["totals"]["energy_kwh"] * 1.01),
        lambda c: c["phases"]["training"].update(co2e_kg_market=1.0),
        lambda c: c["period"].update(end="2025-03-15", days=15),
        lambda c: c["daily"].pop(),
    ]
    for change in different:
        assert content_sha256(edited(change)) != base


def test_figures_are_rounded_as_printed():
    d = json.loads(sample_disclosure().model_dump_json())
    figures = published_figures(d)
    energy = d["totals"]["energy_kwh"]
    assert figures["totals.energy_kwh"] == float(fmt_number(energy).replace(",", ""))
    assert figures["period.days"] == d["period"]["days"]
    day = d["daily"][0]
    assert f"daily[{day['day']} {day['phase']}].energy_kwh" in figures
    assert not any(k.startswith(("inputs", "generated_at", "code_version")) for k in figures)


def test_changes_are_named_with_units():
    d = json.loads(sample_disclosure().model_dump_json())
    old = published_figures(d)
    d["totals"]["energy_kwh"] = 20_000.0
    d["totals"]["co2e_kg_market"] = 0.0
    [energy, market] = changed_figures(old, published_figures(d))
    assert energy.name == "totals.energy_kwh" and energy.new == 20_000.0
    assert energy.line().startswith(
        f"Facility energy: {fmt_number(old['totals.energy_kwh'])} kWh -> 20,000 kWh"
    )
    assert "%" in energy.line()
    was = fmt_number(old["totals.co2e_kg_market"])
    assert market.line() == f"CO2e, market-based: {was} kg -> 0 kg (-{was} kg, -100%)"


def test_fingerprint_is_of_the_file_as_read(tmp_path: Path):
    """What delivery reads back from disclosure.json fingerprints like the dict it was made of."""
    d = sample_disclosure()
    path = tmp_path / "disclosure.json"
    path.write_text(d.model_dump_json(indent=2))
    assert content_sha256(json.loads(path.read_text())) == content_sha256(
        json.loads(d.model_dump_json())
    )
