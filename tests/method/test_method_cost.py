"""Cost attribution worked out by hand: billing lines → hosts → jobs by GPU-seconds share.

Fleet (one site): n1 and n2 with 8 GPUs, n3 with 4, n4 with 2; the config maps billing resource
`i-abc` to n2. All times UTC on 2026-01-01 (D1) unless said otherwise. GPU-seconds held are written
straight into gpu_energy_attributed (hour × host × GPU × job), labels into job_allocations.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.cost import build_cost_attributed, cost_reconciliation, period_cost
from pipeline.warehouse import connect, insert_frame
from tests.frames import ALLOCATION_SCHEMA, ATTRIBUTED_SCHEMA, BILLING_SCHEMA

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
D3 = D2 + timedelta(days=1)
H = 3600.0

CONFIG = {
    "start_date": "2026-01-01",
    "sites": {"s1": {"grid_zone": "Z1", "annual_gco2e_per_kwh": 300.0}},
    "gpu_models": {"g": {"tdp_w": 400.0, "idle_w": 100.0}},
    "host_groups": [
        {"hosts": "n[1-2]", "site": "s1", "gpu_model": "g", "gpus": 8},
        {"hosts": "n3", "site": "s1", "gpu_model": "g", "gpus": 4},
        {"hosts": "n4", "site": "s1", "gpu_model": "g", "gpus": 2},
    ],
    "billing": {"resource_hosts": {"i-abc": "n2"}},
}


def at(hours: float) -> datetime:
    return D1 + timedelta(hours=hours)


def bill(
    line: int,
    start_h: float,
    end_h: float | None,
    effective: float,
    billed: float | None = None,
    *,
    currency: str = "USD",
    resource_id: str | None = None,
    resource_name: str | None = None,
    tags: str | None = None,
) -> dict:
    return {
        "source_path": "billing/focus.csv",
        "line": line,
        "billing_currency": currency,
        "charge_period_start": at(start_h),
        "charge_period_end": at(end_h) if end_h is not None else None,
        "resource_id": resource_id,
        "resource_name": resource_name,
        "billed_cost": effective if billed is None else billed,
        "effective_cost": effective,
        "tags": tags,
    }


def held(host: str, hour: int, job: str | None, gpus: range, gpu_s: float) -> list[dict]:
    """gpu_s on each of the GPUs `gpus` of `host` in hour `hour` of D1 (job None = idle)."""
    return [
        {
            "hour_utc": at(hour),
            "site": "s1",
            "host": host,
            "gpu_index": g,
            "job_key": job,
            "energy_wh": gpu_s / 10.0,
            "gpu_s": gpu_s,
            "measured_wh": gpu_s / 10.0,
        }
        for g in gpus
    ]


def job(key: str, host: str, phase: str, model: str | None, team: str | None) -> dict:
    return {
        "day": D1.date(),
        "job_key": key,
        "job_id": key.split("/")[1],
        "site": "s1",
        "host": host,
        "gpus_on_host": 1.0,
        "start_utc": D1,
        "end_utc": D2,
        "phase": phase,
        "model": model,
        "team": team,
        "phase_rule": "comment",
    }


LINES = [
    # 1: n1 by ResourceName, 00:00-01:00, $10 effective, $12 billed. Job A holds GPUs 0-3 for the
    #    first 30 min: A = 10 × (4 × 1800) / (8 × 3600) = $2.50, idle $7.50 (billed: 3.00, 9.00)
    bill(1, 0, 1, 10.0, 12.0, resource_name="n1", resource_id="i-n1"),
    # 2: the same hour on n1 in EUR: A = 20 × 0.25 = €5.00, idle €15.00
    bill(2, 0, 1, 20.0, currency="EUR", resource_name="n1"),
    # 3: a `phase` tag wins over the host: straight through, $5
    bill(
        3,
        0,
        1,
        5.0,
        resource_name="n1",
        tags='{"phase": "inference", "model": "lynx", "team": "serving"}',
    ),
    # 4: tagged with a phase only: model and team NULL, $1.25
    bill(4, 0, 24, 1.25, tags='{"phase": "training"}'),
    # 5: n2 through the config map i-abc → n2, 01:00-02:00, $4. Job B holds 2 GPUs all hour:
    #    B = 4 × (2 × 3600) / (8 × 3600) = $1.00, idle $3.00
    bill(5, 1, 2, 4.0, resource_id="i-abc"),
    # 6: n2 by ResourceId equal to the host name, same hour, $2: B = 2 × 0.25 = $0.50, idle $1.50
    bill(6, 1, 2, 2.0, resource_id="n2", resource_name="something-else"),
    # 7: n3 (4 GPUs) by a `host` tag, 02:00-03:00, $8. Job C holds 1 GPU all hour:
    #    C = 8 × 3600 / (4 × 3600) = $2.00, idle $6.00
    bill(7, 2, 3, 8.0, resource_id="vol-1", tags='{"host": "n3", "team": "x"}'),
    # 8: n3, 03:30-05:30 (7200 s), $12. Job D holds GPUs 0-1 in hours 03:00 and 04:00, job E
    #    GPU 2 in hour 05:00; C's hour 02:00 is outside. Hour 03:00 overlaps 1800 s of 3600 (0.5),
    #    04:00 fully, 05:00 half: D = 2×3600×0.5 + 2×3600 = 10800 GPU-s, E = 3600 × 0.5 = 1800.
    #    D = 12 × 10800 / (4 × 7200) = $4.50; E = 12 × 1800 / 28800 = $0.75; idle $6.75
    bill(8, 3.5, 5.5, 12.0, resource_name="n3"),
    # 9: n4 (2 GPUs) over-claimed in hour 06:00, $9: F holds 2 GPUs (7200 GPU-s, raw share 1.0),
    #    G 1 GPU (3600, raw 0.5); sum 1.5 > 1, scaled: F = 9 × 1/1.5 = $6.00,
    #    G = 9 × 0.5/1.5 = $3.00, idle $0
    bill(9, 6, 7, 9.0, resource_name="n4"),
    # 10: n4 by a `hostname` tag, 07:00-08:00, no job: all idle, $1.50
    bill(10, 7, 8, 1.5, tags='{"hostname": "n4"}'),
    # 11: a bucket, no host anywhere: unattributed, $3
    bill(11, 0, 24, 3.0, resource_id="bucket-1", tags='{"team": "applied"}'),
    # 12: a credit on n1 in hour 00:00: A = -4 × 0.25 = -$1.00, idle -$3.00
    bill(12, 0, 1, -4.0, resource_name="n1"),
    # 13: n1 but no charge period end: cannot be split by time, unattributed with its host, $7
    bill(13, 0, None, 7.0, resource_name="n1"),
    # 14: a host that is not in the inventory: unattributed, $6
    bill(14, 0, 1, 6.0, resource_name="gpu-unknown"),
    # 15: next day (D2), outside a D1 window, $100
    bill(15, 24, 25, 100.0, resource_name="n1"),
]

ATTRIBUTED = [
    *held("n1", 0, "s1/A", range(0, 4), 1800.0),
    *held("n1", 0, None, range(0, 4), 1800.0),  # idle rows are not what shares are made of
    *held("n1", 0, None, range(4, 8), H),
    *held("n2", 1, "s1/B", range(0, 2), H),
    *held("n3", 2, "s1/C", range(0, 1), H),
    *held("n3", 3, "s1/D", range(0, 2), H),
    *held("n3", 4, "s1/D", range(0, 2), H),
    *held("n3", 5, "s1/E", range(2, 3), H),
    *held("n4", 6, "s1/F", range(0, 2), H),
    *held("n4", 6, "s1/G", range(0, 1), H),
]

JOBS = [
    job("s1/A", "n1", "training", "m1", "t1"),
    job("s1/B", "n2", "fine_tuning", "m2", None),
    job("s1/C", "n3", "evaluation", "m1", "t2"),
    job("s1/D", "n3", "inference", "m3", "t3"),
    job("s1/E", "n3", "development", None, "t3"),
    job("s1/F", "n4", "training", "m1", "t1"),
    job("s1/G", "n4", "training", "m2", "t1"),
]


def _populate(con: duckdb.DuckDBPyConnection) -> None:
    load_inventory(con, Config.model_validate(CONFIG))
    insert_frame(con, "raw_billing", pl.DataFrame(LINES, schema=BILLING_SCHEMA))
    insert_frame(con, "gpu_energy_attributed", pl.DataFrame(ATTRIBUTED, schema=ATTRIBUTED_SCHEMA))
    insert_frame(con, "job_allocations", pl.DataFrame(JOBS, schema=ALLOCATION_SCHEMA))


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "w.duckdb") as c:
        _populate(c)
        build_cost_attributed(c, D1, D2)
        yield c


def table(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return pl.from_arrow(
        con.sql("SELECT * FROM cost_attributed ORDER BY line, job_key NULLS FIRST").to_arrow_table()
    )


def rows(con: duckdb.DuckDBPyConnection, line: int) -> dict[str | None, dict]:
    """A line's rows by job_key (None: the idle, tagged or unattributed row)."""
    out: dict[str | None, dict] = {}
    for r in table(con).filter(pl.col("line") == line).iter_rows(named=True):
        assert r["job_key"] not in out, f"line {line}: two rows for {r['job_key']}"
        out[r["job_key"]] = r
    return out


def test_resource_name_host_split_by_gpu_seconds(con) -> None:
    r = rows(con, 1)
    assert set(r) == {"s1/A", None}
    a, idle = r["s1/A"], r[None]
    assert (a["basis"], a["host"], a["phase"], a["model"], a["team"]) == (
        "gpu_share",
        "n1",
        "training",
        "m1",
        "t1",
    )
    assert a["share"] == pytest.approx(0.25)
    assert a["effective_cost"] == pytest.approx(2.50)
    assert a["billed_cost"] == pytest.approx(3.00)
    assert (idle["basis"], idle["host"], idle["phase"]) == ("idle", "n1", "idle")
    assert idle["share"] == pytest.approx(0.75)
    assert idle["effective_cost"] == pytest.approx(7.50)
    assert idle["billed_cost"] == pytest.approx(9.00)
    assert a["day"] == date(2026, 1, 1) and a["billing_currency"] == "USD"
    assert a["source_path"] == "billing/focus.csv"


def test_tagged_lines_go_straight_through(con) -> None:
    t = rows(con, 3)[None]
    assert (t["basis"], t["host"], t["job_key"], t["phase"], t["model"], t["team"]) == (
        "tagged",
        None,
        None,
        "inference",
        "lynx",
        "serving",
    )
    assert (t["share"], t["effective_cost"]) == (1.0, 5.0)
    assert len(rows(con, 3)) == 1
    t4 = rows(con, 4)[None]
    assert (t4["basis"], t4["phase"], t4["model"], t4["team"]) == ("tagged", "training", None, None)
    assert t4["effective_cost"] == 1.25


def test_resource_map_and_resource_id_match(con) -> None:
    for line, cost in ((5, 4.0), (6, 2.0)):
        r = rows(con, line)
        assert r["s1/B"]["host"] == "n2" and r[None]["host"] == "n2"
        assert r["s1/B"]["share"] == pytest.approx(0.25)
        assert r["s1/B"]["effective_cost"] == pytest.approx(cost * 0.25)  # $1.00, $0.50
        assert r["s1/B"]["phase"] == "fine_tuning" and r["s1/B"]["team"] is None
        assert r[None]["effective_cost"] == pytest.approx(cost * 0.75)  # $3.00, $1.50


def test_host_and_hostname_tags_match(con) -> None:
    r = rows(con, 7)
    assert r["s1/C"]["host"] == "n3"
    assert r["s1/C"]["effective_cost"] == pytest.approx(2.00)
    assert r[None]["effective_cost"] == pytest.approx(6.00)
    r10 = rows(con, 10)
    assert set(r10) == {None}
    assert (r10[None]["basis"], r10[None]["host"], r10[None]["share"]) == ("idle", "n4", 1.0)
    assert r10[None]["effective_cost"] == 1.5


def test_unmapped_lines_are_unattributed(con) -> None:
    for line, host, cost in ((11, None, 3.0), (13, "n1", 7.0), (14, None, 6.0)):
        r = rows(con, line)
        assert set(r) == {None}
        u = r[None]
        assert (u["basis"], u["host"], u["phase"], u["share"]) == ("unattributed", host, None, 1.0)
        assert u["effective_cost"] == cost


def test_partial_hours_count_with_their_overlap(con) -> None:
    r = rows(con, 8)
    assert set(r) == {"s1/D", "s1/E", None}  # C's 02:00 hour is outside 03:30-05:30
    assert r["s1/D"]["share"] == pytest.approx(10800 / 28800)
    assert r["s1/D"]["effective_cost"] == pytest.approx(4.50)
    assert r["s1/E"]["effective_cost"] == pytest.approx(0.75)
    assert r[None]["effective_cost"] == pytest.approx(6.75)
    assert r["s1/E"]["model"] is None and r["s1/E"]["phase"] == "development"


def test_over_claimed_host_is_scaled(con) -> None:
    r = rows(con, 9)
    assert r["s1/F"]["share"] == pytest.approx(2 / 3)
    assert r["s1/G"]["share"] == pytest.approx(1 / 3)
    assert r["s1/F"]["effective_cost"] == pytest.approx(6.00)
    assert r["s1/G"]["effective_cost"] == pytest.approx(3.00)
    assert r[None]["effective_cost"] == pytest.approx(0.0, abs=1e-12)
    assert 0.0 <= r[None]["share"] <= 1e-12


def test_credits_split_like_charges(con) -> None:
    r = rows(con, 12)
    assert r["s1/A"]["effective_cost"] == pytest.approx(-1.00)
    assert r[None]["effective_cost"] == pytest.approx(-3.00)


def test_window_holds_only_its_lines(con) -> None:
    assert set(table(con)["line"]) == set(range(1, 15))  # line 15 is charged on D2
    build_cost_attributed(con, D2, D3)
    assert set(table(con)["line"]) == set(range(1, 16))
    # line 15 on n1 at 00:00 on D2: no job rows there, all idle
    assert rows(con, 15)[None]["basis"] == "idle"
    with pytest.raises(ValueError, match="whole UTC days"):
        build_cost_attributed(con, D1 + timedelta(hours=1), D2)


def test_two_currencies_reconcile_separately(con) -> None:
    df = table(con)
    totals = df.group_by("billing_currency").agg(pl.col("effective_cost").sum())
    got = dict(totals.rows())
    # USD: 10 + 5 + 1.25 + 4 + 2 + 8 + 12 + 9 + 1.5 + 3 - 4 + 7 + 6 = 64.75; EUR: 20
    assert got["USD"] == pytest.approx(64.75)
    assert got["EUR"] == pytest.approx(20.0)
    eur = rows(con, 2)
    assert eur["s1/A"]["effective_cost"] == pytest.approx(5.0)
    assert eur[None]["effective_cost"] == pytest.approx(15.0)
    result = cost_reconciliation(con, D1, D2)
    assert (result.lines, result.currencies, result.lines_missing) == (14, 2, 0)
    assert result.worst_abs_diff_effective_cost < 1e-9
    assert result.worst_abs_diff_billed_cost < 1e-9
    assert result.passed


def test_every_line_sums_back_exactly(con) -> None:
    lines = pl.DataFrame(LINES, schema=BILLING_SCHEMA).select(
        "line", "effective_cost", "billed_cost"
    )
    sums = (
        table(con)
        .group_by("line")
        .agg(
            pl.col("effective_cost").sum().alias("e"),
            pl.col("billed_cost").sum().alias("b"),
            pl.col("share").sum().alias("s"),
        )
    )
    joined = lines.join(sums, on="line")
    assert joined.height == 14
    for r in joined.iter_rows(named=True):
        assert r["e"] == pytest.approx(r["effective_cost"], abs=1e-12)
        assert r["b"] == pytest.approx(r["billed_cost"], abs=1e-12)
        assert r["s"] == pytest.approx(1.0)


def test_rerun_gives_identical_rows(con) -> None:
    first = table(con)
    assert build_cost_attributed(con, D1, D2) == first.height
    assert table(con).equals(first)
    assert table(con).rows() == first.rows()  # bit for bit, not approximately


def test_reconciliation_fails_when_a_row_is_tampered_with(con) -> None:
    con.execute(
        "UPDATE cost_attributed SET effective_cost = effective_cost + 0.01 WHERE line = 5 "
        "AND job_key IS NULL"
    )
    result = cost_reconciliation(con, D1, D2)
    assert not result.passed
    assert result.worst_abs_diff_effective_cost == pytest.approx(0.01)
    assert result.worst_abs_diff_billed_cost < 1e-9
    # a tampered billed cost in EUR fails on its own currency
    build_cost_attributed(con, D1, D2)
    con.execute(
        "UPDATE cost_attributed SET billed_cost = billed_cost - 1 WHERE line = 2 "
        "AND job_key IS NULL"
    )
    result = cost_reconciliation(con, D1, D2)
    assert not result.passed and result.worst_abs_diff_billed_cost == pytest.approx(1.0)
    # a dropped zero-cost line moves no total but still fails
    build_cost_attributed(con, D1, D2)
    con.execute("UPDATE raw_billing SET effective_cost = 0, billed_cost = 0 WHERE line = 11")
    build_cost_attributed(con, D1, D2)
    con.execute("DELETE FROM cost_attributed WHERE line = 11")
    result = cost_reconciliation(con, D1, D2)
    assert result.lines_missing == 1 and not result.passed
    assert result.worst_abs_diff_effective_cost < 1e-9


def test_period_cost_groups_by_basis_phase_model_team_currency(con) -> None:
    df = period_cost(con, date(2026, 1, 1), date(2026, 1, 1))
    assert df.columns == [
        "basis",
        "phase",
        "model",
        "team",
        "billing_currency",
        "effective_cost",
        "billed_cost",
    ]
    got = {
        (r["basis"], r["phase"], r["model"], r["team"], r["billing_currency"]): r["effective_cost"]
        for r in df.iter_rows(named=True)
    }
    assert got[("gpu_share", "training", "m1", "t1", "EUR")] == pytest.approx(5.0)
    # A on lines 1 and 12 (2.50 - 1.00) and F on line 9 (6.00) share their labels
    assert got[("gpu_share", "training", "m1", "t1", "USD")] == pytest.approx(7.50)
    # unattributed: the bucket 3 + n1 without an end 7 + the unknown host 6
    assert got[("unattributed", None, None, None, "USD")] == pytest.approx(16.0)
    assert df.filter(pl.col("billing_currency") == "USD")["effective_cost"].sum() == (
        pytest.approx(64.75)
    )
    assert period_cost(con, date(2026, 1, 2), date(2026, 1, 31)).height == 0


def test_dagster_asset_materialises_with_its_blocking_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.definitions import build_defs

    cfg_path = tmp_path / "wattprint.yaml"
    cfg_path.write_text(
        yaml.safe_dump(
            {**CONFIG, "paths": {"landing": "landing", "warehouse": "w.duckdb", "reports": "r"}}
        )
    )
    with connect(tmp_path / "w.duckdb") as c:
        _populate(c)
    defs = build_defs(cfg_path)
    node = defs.resolve_asset_graph().get(dg.AssetKey("cost_attributed"))
    assert {k.to_user_string() for k in node.parent_keys} == {
        "gpu_energy_attributed",
        "job_allocations",
        "landing_files",
    }
    spec = defs.resolve_assets_def("cost_attributed").get_spec_for_check_key(
        dg.AssetCheckKey(dg.AssetKey("cost_attributed"), "cost_reconciled")
    )
    assert spec.blocking
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        partition_key="2026-01-01",
        asset_selection=[dg.AssetKey("cost_attributed")],
    )
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed) == ("cost_reconciled", True)
    assert check.metadata["billing_lines"].value == 14
    [mat] = result.asset_materializations_for_node("cost_attributed")
    assert mat.metadata["dagster/row_count"].value == 24
    assert mat.metadata["unattributed_effective_cost"].value == {"USD": 16.0}
