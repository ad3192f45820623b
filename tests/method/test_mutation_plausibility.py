"""Mutation suite, plausibility and conflicts (issue 15, item 3): corrupted copies of the small
demo fleet (tests/small_fleet.py) whose bad rows must be quarantined, and conflicting rows from
two files that must be resolved by the documented precedence and counted in data quality
(docs/checks-plausibility.md). The clean fleet keeps every row and has no conflict.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.disclosure.build import build_disclosure
from pipeline.disclosure.model import DataQuality
from pipeline.warehouse import connect
from tests.small_fleet import LAST, START, Fleet, compute, make_fleet, run_all

EM_SE = "grid/electricitymaps-SE-SE3-2026.csv"
BILLING = "billing/focus-2026-10.csv"
SMI = "telemetry/sto-h100-001/nvidia-smi-2026-10-01.csv"
SMI_TIME = "%Y/%m/%d %H:%M:%S.%f"
HOUR = "2026-10-01 05:00:00"  # an hour the Electricity Maps file covers, with GPUs at work


@dataclass
class Figures:
    co2e_kg_location: float
    gpu_energy_wh: float
    quality: DataQuality
    checks: dict[str, bool]


def figures(cfg: Config) -> Figures:
    with connect(cfg.warehouse_path) as con:
        co2e = con.execute("SELECT sum(co2e_kg_location) FROM footprint_hourly").fetchall()[0][0]
        wh = con.execute("SELECT sum(energy_wh) FROM gpu_energy_intervals").fetchall()[0][0]
        d = build_disclosure(con, cfg, START, LAST)
    return Figures(co2e, wh, d.data_quality, {c.name: c.passed for c in d.checks})


def scalar(cfg: Config, query: str, *params):
    with connect(cfg.warehouse_path, read_only=True) as con:
        return con.execute(query, list(params)).fetchall()[0][0]


def quarantined(cfg: Config, rel: str) -> list[tuple[int, str]]:
    with connect(cfg.warehouse_path, read_only=True) as con:
        q = "SELECT line, reason FROM quarantine WHERE source_path = ? ORDER BY line"
        return con.execute(q, [rel]).fetchall()


def em_value(fleet: Fleet, hour: str) -> float:
    with (fleet.landing / EM_SE).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Datetime (UTC)"] == hour:
                return float(row["Carbon Intensity gCO₂eq/kWh (direct)"])
    raise AssertionError(f"{EM_SE} has no row for {hour}")


def grid_file(fleet: Fleet, rel: str, rows: list[tuple[str, float]], mtime_from_em: float) -> None:
    """A plain grid CSV for SE-SE3, modified `mtime_from_em` seconds after the EM file."""
    path = fleet.landing / rel
    lines = [f"SE-SE3,{hour.replace(' ', 'T')}Z,{value}" for hour, value in rows]
    path.write_text("zone,datetime_utc,gco2e_per_kwh\n" + "\n".join(lines) + "\n")
    em_mtime = (fleet.landing / EM_SE).stat().st_mtime
    os.utime(path, (em_mtime + mtime_from_em, em_mtime + mtime_from_em))


def stockholm_hour(cfg: Config, column: str, hour: str = HOUR):
    q = f"SELECT sum({column}) FROM footprint_hourly WHERE site = 'stockholm' AND hour_utc = ?"
    if column == "gco2e_per_kwh":
        q = q.replace("sum(", "any_value(")
    return scalar(cfg, q, hour)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Figures:
    fleet = make_fleet(tmp_path_factory.mktemp("clean"))
    cfg = fleet.config()
    summary = run_all(cfg)
    assert summary.rows_quarantined == 0  # the demo generator writes plausible data
    return figures(cfg)


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return make_fleet(tmp_path)


def test_clean_fleet_has_no_conflict_and_passes(clean):
    assert clean.quality.quarantined_rows == 0
    assert clean.quality.grid_conflicts == 0
    assert clean.quality.gpu_sample_conflicts == 0
    assert all(clean.checks.values()), clean.checks


def test_a_99999_grid_row_beside_electricity_maps_is_quarantined(fleet, clean):
    grid_file(fleet, "grid/extra-SE-SE3.csv", [(HOUR, 99999.0)], mtime_from_em=60)
    cfg = fleet.config()
    summary = run_all(cfg)
    extra = next(f for f in summary.files if f.path == "grid/extra-SE-SE3.csv")
    assert (extra.rows_read, extra.rows_accepted, extra.rows_quarantined) == (1, 0, 1)
    [(line, reason)] = quarantined(cfg, "grid/extra-SE-SE3.csv")
    assert line == 2 and "gco2e_per_kwh_direct 99999" in reason and "1,500" in reason
    got = figures(cfg)
    assert got.co2e_kg_location == pytest.approx(clean.co2e_kg_location, rel=1e-12)
    assert got.quality.grid_conflicts == 0


def test_an_implausible_gpu_power_row_is_quarantined(fleet, clean):
    path = fleet.landing / SMI
    lines = path.read_text().splitlines()
    line = [i for i, s in enumerate(lines) if s.split(", ")[1:2] == ["0"]][9]  # GPU 0, 10th poll
    fields = lines[line].split(", ")
    fields[4] = "5000.00 W"  # H100 TDP 700 W: above 1.5 x TDP
    lines[line] = ", ".join(fields)
    path.write_text("\n".join(lines) + "\n")
    cfg = fleet.config()
    run_all(cfg)
    [(at, reason)] = quarantined(cfg, SMI)
    assert at == line + 1 and "power_w 5000" in reason and "1.5 x TDP 700 W" in reason
    assert scalar(cfg, "SELECT max(power_w) FROM raw_gpu_samples") <= 1.5 * 700
    got = figures(cfg)
    # the sample is gone, its neighbours bridge it: the energy moves by far less than 4,300 W
    # for five minutes (358 Wh) would have added
    assert abs(got.gpu_energy_wh - clean.gpu_energy_wh) < 5.0
    assert got.quality.quarantined_rows == 1


def test_a_bad_currency_code_in_a_billing_file_is_quarantined(fleet):
    path = fleet.landing / BILLING
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].count('"USD"') == 1
    lines[1] = lines[1].replace('"USD"', '"ABC"')  # three capitals, not ISO 4217
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = fleet.config()
    run_all(cfg)
    [(line, reason)] = quarantined(cfg, BILLING)
    assert line == 2 and "billing_currency 'ABC'" in reason and "ISO 4217" in reason
    assert scalar(cfg, "SELECT count(*) FROM raw_billing WHERE billing_currency = 'ABC'") == 0


def test_a_conflicting_grid_value_is_resolved_by_precedence_and_counted(fleet, clean):
    em = em_value(fleet, HOUR)
    later = "2026-10-01 06:00:00"
    # a plausible but different value for HOUR, and an identical copy of EM's value for `later`
    grid_file(fleet, "grid/utility-SE-SE3.csv", [(HOUR, em + 100.0)], mtime_from_em=60)
    grid_file(fleet, "grid/copy-SE-SE3.csv", [(later, em_value(fleet, later))], 60)
    cfg = fleet.config()
    run_all(cfg)
    # the more recently modified file wins: the utility's value, not the mean of the two
    assert stockholm_hour(cfg, "gco2e_per_kwh") == pytest.approx(em + 100.0)
    facility_kwh = stockholm_hour(cfg, "facility_energy_kwh")
    extra = facility_kwh * 100.0 / 1000.0
    got = figures(cfg)
    assert got.co2e_kg_location == pytest.approx(clean.co2e_kg_location + extra, rel=1e-9)
    assert got.quality.grid_conflicts == 1  # the identical copy is no conflict

    # made older than the Electricity Maps file, the utility's file loses
    grid_file(fleet, "grid/utility-SE-SE3.csv", [(HOUR, em + 100.0)], mtime_from_em=-60)
    run_all(cfg)
    assert stockholm_hour(cfg, "gco2e_per_kwh") == pytest.approx(em)
    assert figures(cfg).quality.grid_conflicts == 1


def test_conflicting_gpu_samples_are_resolved_by_precedence_and_counted(fleet, clean):
    path = fleet.landing / SMI
    lines = path.read_text().splitlines()
    header, gpu0 = lines[0], [s for s in lines[1:] if s.split(", ")[1] == "0"]
    gpu1 = [s for s in lines[1:] if s.split(", ")[1] == "1"]
    changed = gpu0[9].split(", ")
    watts = float(changed[4].removesuffix(" W"))
    changed[4] = f"{watts + 50.0:.2f} W"
    # a rewrite of one GPU-0 sample (+50 W) and an identical copy of a GPU-1 sample, in a file
    # modified after the original and whose path sorts after it
    rewrite = fleet.landing / "telemetry/sto-h100-001/zz-rewrite.csv"
    rewrite.write_text("\n".join([header, ", ".join(changed), gpu1[3]]) + "\n")
    # a file without GPU identities (no uuid column), modified last, that disagrees on another
    # sample: the original, which names the GPU by its UUID, wins
    other = gpu0[20].split(", ")
    other[4] = "400.00 W"
    noid = fleet.landing / "telemetry/sto-h100-001/zzz-noid.csv"
    noid.write_text(
        "timestamp, index, name, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
        + ", ".join([other[0], other[1], *other[3:]])
        + "\n"
    )
    t = path.stat().st_mtime
    os.utime(rewrite, (t + 60, t + 60))
    os.utime(noid, (t + 120, t + 120))
    cfg = fleet.config()
    run_all(cfg)
    got = figures(cfg)
    # the rewrite wins: +50 W at one sample moves the two intervals either side of it by
    # 50 W x half their length (about 5 minutes each, polls a few ms apart from exact)
    before, after = (datetime.strptime(gpu0[i].split(", ")[0], SMI_TIME) for i in (8, 10))
    moved_wh = 50.0 * (after - before).total_seconds() / 2 / 3600.0
    assert moved_wh == pytest.approx(50.0 * 300.0 / 3600.0, rel=1e-3)
    assert got.gpu_energy_wh - clean.gpu_energy_wh == pytest.approx(moved_wh, rel=1e-6)
    assert got.quality.gpu_sample_conflicts == 2

    compute(cfg)  # rerun: the same figures
    assert figures(cfg).gpu_energy_wh == pytest.approx(got.gpu_energy_wh, rel=1e-12)
