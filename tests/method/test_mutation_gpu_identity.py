"""Mutation suite, GPU identity (issue 15): a small fleet whose telemetry shows GPUs the inventory
does not list, or names them without an index column, must come out at the clean fleet's energy,
with what it could not count quarantined and said."""

from __future__ import annotations

import re

import pytest

from pipeline.warehouse import connect
from tests.small_fleet import Fleet, copy_fleet, make_fleet, run_all

HOST = "sto-h100-003"


def gpu_energy(fleet: Fleet) -> dict[str, float]:
    with connect(fleet.config().warehouse_path, read_only=True) as con:
        rows = con.execute(
            "SELECT host, sum(energy_wh) FROM gpu_energy_attributed GROUP BY host"
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Fleet, dict[str, float]]:
    fleet = make_fleet(tmp_path_factory.mktemp("clean"))
    summary = run_all(fleet.config())
    assert summary.rows_quarantined == 0
    return fleet, gpu_energy(fleet)


def rewrite(fleet: Fleet, host: str, change) -> None:
    for path in sorted((fleet.landing / "telemetry" / host).glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def sixteen_gpus(lines: list[str]) -> list[str]:
    """Each poll's 8 rows followed by 8 more with indices 8-15 and other uuids."""
    out = [lines[0]]
    for i in range(1, len(lines), 8):
        poll = lines[i : i + 8]
        extra = [
            re.sub(r"^([^,]+), (\d+), GPU-", lambda m: f"{m[1]}, {int(m[2]) + 8}, GPU-ffff", row)
            for row in poll
        ]
        out += poll + extra
    return out


def without_index_and_uuid(lines: list[str]) -> list[str]:
    """`--query-gpu=timestamp,name,power.draw,...`: no index, no uuid; rows a few ms apart."""
    out = ["timestamp, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"]
    for i, row in enumerate(lines[1:]):
        ts, _index, _uuid, *rest = row.split(", ")
        ms = int(ts[-3:]) + 2 * (i % 8)
        out.append(", ".join([f"{ts[:-3]}{ms:03d}", *rest]))
    return out


def test_clean_small_fleet_quarantines_nothing(clean) -> None:
    fleet, energy = clean
    assert len(energy) == 16 and all(wh > 0 for wh in energy.values())


def test_sixteen_gpus_on_an_eight_gpu_host_are_quarantined_not_counted(clean, tmp_path) -> None:
    fleet = copy_fleet(clean[0], tmp_path)
    rewrite(fleet, HOST, sixteen_gpus)
    summary = run_all(fleet.config())
    extra = sum(
        f.rows_quarantined for f in summary.files if f"/{HOST}/" in f.path or HOST in f.path
    )
    assert extra == summary.rows_quarantined > 0
    assert gpu_energy(fleet) == pytest.approx(clean[1], rel=1e-9)


def test_a_host_logged_without_index_or_uuid_keeps_its_energy(clean, tmp_path) -> None:
    fleet = copy_fleet(clean[0], tmp_path)
    rewrite(fleet, HOST, without_index_and_uuid)
    summary = run_all(fleet.config())
    assert summary.rows_quarantined == 0
    assert gpu_energy(fleet) == pytest.approx(clean[1], rel=1e-9)
