"""Cost attribution on random small fleets and bills: whatever the lines, tags and GPU claims,
every line's rows sum back to the line, every currency reconciles, and shares stay in [0, 1]."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import Config
from pipeline.inventory import load_inventory
from pipeline.method.cost import build_cost_attributed, cost_reconciliation
from pipeline.warehouse import insert_frame, schema_files, sql
from tests.frames import ALLOCATION_SCHEMA, ATTRIBUTED_SCHEMA, BILLING_SCHEMA

D1 = datetime(2026, 3, 1)
D2 = D1 + timedelta(days=1)
JOBS = ["s/1", "s/2", "s/3", "s/4"]
PHASES = ["training", "inference", "evaluation"]
BASES = {"gpu_share", "idle", "tagged", "unattributed"}

costs = st.one_of(
    st.just(0.0),
    st.integers(-100_000, 100_000).map(lambda cents: cents / 100),  # credits are negative
    st.floats(-1e4, 1e4, allow_nan=False),
)


@st.composite
def fleets(draw: st.DrawFn) -> dict:
    gpus = draw(st.lists(st.sampled_from([1, 2, 4, 8]), min_size=1, max_size=3))
    hosts = [f"h{i}" for i in range(len(gpus))]
    # GPU-seconds held, up to twice an hour per GPU so hosts get over-claimed too
    held = draw(
        st.dictionaries(
            st.tuples(
                st.integers(0, len(hosts) - 1),
                # hours past D1 00:00: mostly the first few, where most lines fall, so jobs
                # meet lines and hosts get over-claimed; some beyond the day
                st.integers(0, 3) | st.integers(0, 25),
                st.integers(0, 3),
                st.sampled_from([*JOBS, None]),
            ),
            st.floats(0.0, 7200.0, allow_nan=False),
            max_size=30,
        )
    )
    if draw(st.booleans()):
        # two jobs each holding every GPU of the first host for its first hours: 2× over-claimed
        for hour in range(3):
            for g in range(gpus[0]):
                held[(0, hour, g, "s/1")] = held[(0, hour, g, "s/2")] = 3600.0
    labels = draw(
        st.lists(
            st.tuples(
                st.sampled_from(JOBS[:3]),  # s/4 has no allocation row: unclassified
                st.integers(0, 1),
                st.sampled_from(PHASES),
                st.sampled_from([None, "m1", "m2"]),
                st.sampled_from([None, "t1"]),
            ),
            max_size=6,
        )
    )
    names = [*hosts, "nowhere", None]
    tag_texts = [
        None,
        "{}",
        "not json",
        "[1, 2]",
        '{"phase": null}',
        '{"team": "t9"}',
        '{"phase": "training"}',
        '{"phase": "inference", "model": "m7", "team": "t7"}',
        *(f'{{"host": "{h}"}}' for h in [*hosts, "nowhere"]),
        *(f'{{"hostname": "{h}"}}' for h in hosts),
    ]
    lines = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "billing_currency": st.sampled_from(["USD", "EUR", None]),
                    "start_min": (st.integers(0, 15) | st.integers(0, 26 * 4 - 1)).map(
                        lambda quarter: quarter * 15
                    ),
                    "duration_s": st.sampled_from([None, 0, -3600, 900, 3600, 5400, 7200, 86400]),
                    "resource_id": st.sampled_from([*names, "mapped"]),
                    "resource_name": st.sampled_from(names),
                    "tags": st.sampled_from(tag_texts),
                    "effective_cost": costs,
                    "billed_cost": st.one_of(st.none(), costs),
                }
            ),
            max_size=12,
        )
    )
    return {"gpus": gpus, "hosts": hosts, "held": held, "labels": labels, "lines": lines}


def _load(con: duckdb.DuckDBPyConnection, fleet: dict) -> pl.DataFrame:
    cfg = Config.model_validate(
        {
            "start_date": "2026-03-01",
            "sites": {"s": {"grid_zone": "Z", "annual_gco2e_per_kwh": 100.0}},
            "gpu_models": {"g": {"tdp_w": 400.0, "idle_w": 100.0}},
            "host_groups": [
                {"hosts": h, "site": "s", "gpu_model": "g", "gpus": g}
                for h, g in zip(fleet["hosts"], fleet["gpus"], strict=True)
            ],
            "billing": {"resource_hosts": {"mapped": fleet["hosts"][-1]}},
        }
    )
    load_inventory(con, cfg)
    insert_frame(
        con,
        "gpu_energy_attributed",
        pl.DataFrame(
            [
                {
                    "hour_utc": D1 + timedelta(hours=hour),
                    "site": "s",
                    "host": fleet["hosts"][h],
                    "gpu_index": g,
                    "job_key": job,
                    "energy_wh": s / 10,
                    "gpu_s": s,
                    "measured_wh": 0.0,
                }
                for (h, hour, g, job), s in fleet["held"].items()
            ],
            schema=ATTRIBUTED_SCHEMA,
        ),
    )
    insert_frame(
        con,
        "job_allocations",
        pl.DataFrame(
            [
                {
                    "day": (D1 + timedelta(days=day)).date(),
                    "job_key": job,
                    "job_id": job[2:],
                    "site": "s",
                    "host": fleet["hosts"][0],
                    "gpus_on_host": 1.0,
                    "start_utc": D1,
                    "end_utc": D2,
                    "phase": phase,
                    "model": model,
                    "team": team,
                    "phase_rule": "rule",
                }
                for job, day, phase, model, team in fleet["labels"]
            ],
            schema=ALLOCATION_SCHEMA,
        ),
    )
    lines = pl.DataFrame(
        [
            {
                "source_path": "billing/b.csv",
                "line": i + 1,
                "billing_currency": ln["billing_currency"],
                "charge_period_start": D1 + timedelta(minutes=ln["start_min"]),
                "charge_period_end": None
                if ln["duration_s"] is None
                else D1 + timedelta(minutes=ln["start_min"], seconds=ln["duration_s"]),
                "resource_id": ln["resource_id"],
                "resource_name": ln["resource_name"],
                "billed_cost": ln["billed_cost"],
                "effective_cost": ln["effective_cost"],
                "tags": ln["tags"],
            }
            for i, ln in enumerate(fleet["lines"])
        ],
        schema=BILLING_SCHEMA,
    )
    insert_frame(con, "raw_billing", lines)
    return lines


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_attribution_sums_back_to_the_bill(fleet: dict) -> None:
    con = duckdb.connect(":memory:")
    try:
        for name in schema_files():
            con.execute(sql(name))
        lines = _load(con, fleet)
        build_cost_attributed(con, D1, D2)
        rows = pl.from_arrow(con.sql("SELECT * FROM cost_attributed").to_arrow_table())
        result = cost_reconciliation(con, D1, D2)
    finally:
        con.close()

    in_window = lines.filter(pl.col("charge_period_start") < D2)
    assert result.passed, result
    assert result.lines == in_window.height

    # every currency (NULL as its own) sums to the bill within half a cent
    def by_currency(df: pl.DataFrame) -> dict:
        return dict(
            df.group_by("billing_currency")
            .agg(pl.col("effective_cost").sum(), pl.col("billed_cost").sum())
            .select("billing_currency", pl.concat_list("effective_cost", "billed_cost"))
            .rows()
        )

    want, got = by_currency(in_window), by_currency(rows)
    assert set(got) == set(want)
    for currency, (effective, billed) in want.items():
        assert abs(got[currency][0] - effective) <= 0.005
        assert abs(got[currency][1] - billed) <= 0.005

    # every line's rows sum to the line, shares to 1, each share in [0, 1]
    assert set(rows["basis"]) <= BASES
    assert rows["share"].is_between(0.0, 1.0).all()
    per_line = rows.group_by("line").agg(
        pl.col("effective_cost").sum().alias("e"),
        pl.col("billed_cost").sum().alias("b"),
        pl.col("billed_cost").is_null().all().alias("b_null"),
        pl.col("share").sum().alias("s"),
        pl.col("job_key").is_null().sum().alias("without_job"),
        pl.col("job_key").n_unique().alias("keys"),
        pl.len().alias("n"),
    )
    joined = in_window.join(per_line, on="line", how="left")
    assert joined["n"].null_count() == 0  # every line has rows
    for r in joined.iter_rows(named=True):
        scale = max(1.0, abs(r["effective_cost"]))
        assert abs(r["e"] - r["effective_cost"]) <= 1e-9 * scale
        if r["billed_cost"] is None:
            assert r["b_null"]
        else:
            assert abs(r["b"] - r["billed_cost"]) <= 1e-9 * max(1.0, abs(r["billed_cost"]))
        assert abs(r["s"] - 1.0) <= 1e-9
        assert r["without_job"] == 1  # one idle, tagged or unattributed row per line
        assert r["keys"] == r["n"]  # one row per job_key (NULL counted once)
