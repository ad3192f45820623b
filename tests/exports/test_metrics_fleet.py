"""`wattprint metrics` on the small fleet, as a user runs it: the textfile (`--textfile`) and a
scrape of the server (`--port`, a real process on 127.0.0.1, stopped with SIGTERM, nothing left
behind) both parse back with prometheus_client into the warehouse's daily_summary rows of the
last computed day and the figures a disclosure of that day states; a warehouse with no computed
day is one line and exit 1, and nothing listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

import duckdb
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.disclosure import figures
from pipeline.warehouse import connect
from tests import procfs
from tests.cli.cli_process import REPO, wattprint
from tests.small_fleet import LAST, START, copy_fleet, make_fleet, run_all

START_TIMEOUT_S = 60
STOP_LIMIT_S = 10
J, G = 3.6e6, 1000.0
# metric -> (daily_summary column, factor to the metric's unit)
FOOTPRINT = {
    "wattprint_gpu_energy_joules": ("gpu_energy_kwh", J),
    "wattprint_it_energy_joules": ("it_energy_kwh", J),
    "wattprint_facility_energy_joules": ("facility_energy_kwh", J),
    "wattprint_co2e_location_grams": ("co2e_kg_location", G),
    "wattprint_water_liters": ("water_l", 1.0),
    "wattprint_embodied_co2e_grams": ("embodied_kg", G),
}
KEY = ("site", "phase", "model", "team")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The small fleet's two days computed."""
    fleet = make_fleet(tmp_path_factory.mktemp("metrics") / "fleet", sample_interval_s=900)
    run_all(fleet.config())
    return fleet


def _parse(text: str) -> dict[str, dict[tuple, float]]:
    """metric -> {label values in KEY order (+ basis, currency for cost): value}."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = tuple(s.labels.get(k) for k in (*KEY, "basis", "currency") if k in s.labels)
            out.setdefault(s.name, {})[key] = s.value
    return out


def _by(samples: dict[tuple, float], position: int) -> dict[str, float]:
    sums: dict[str, float] = {}
    for key, value in samples.items():
        sums[key[position]] = sums.get(key[position], 0.0) + value
    return sums


def check_against_warehouse(got: dict[str, dict[tuple, float]], cfg) -> None:
    with duckdb.connect(str(cfg.warehouse_path), read_only=True) as con:
        (day,) = con.execute("SELECT max(day) FROM daily_summary").fetchone()
        columns = ", ".join(c for c, _ in FOOTPRINT.values())
        rows = con.execute(
            f"SELECT site, phase, model, team, co2e_kg_market, {columns} FROM daily_summary "
            "WHERE day = $day",
            {"day": day},
        ).fetchall()
        cost = dict(
            con.execute(
                "SELECT billing_currency, sum(effective_cost) FROM cost_attributed "
                "WHERE day = $day GROUP BY 1",
                {"day": day},
            ).fetchall()
        )
    assert day == LAST != START  # the last computed day, not the first
    midnight = datetime.combine(LAST, datetime.min.time(), tzinfo=UTC).timestamp()
    assert got["wattprint_last_computed_day_timestamp_seconds"] == {(): midnight}
    assert len(got["wattprint_build_info"]) == 1
    for i, (metric, (_, factor)) in enumerate(FOOTPRINT.items()):
        want = {tuple(r[:4]): r[5 + i] * factor for r in rows}
        assert got[metric].keys() == want.keys(), metric
        for key, value in want.items():
            assert got[metric][key] == pytest.approx(value, rel=1e-12), (metric, key)

    with connect(cfg.warehouse_path, read_only=True) as con:
        pd = figures.period_data(con, day, day)  # what a disclosure of that day states
    totals = figures.totals(pd)
    phases = figures.phases(pd.df, pd.costs, totals.energy_kwh)
    sites = {s.site: s for s in figures.sites(pd.df, pd.coverage, cfg)}
    market = got["wattprint_co2e_market_grams"]
    for phase, value in _by(market, 1).items():
        assert value == pytest.approx(phases[phase].co2e_kg_market * G, rel=1e-9), phase
    for site, value in _by(market, 0).items():
        assert value == pytest.approx(sites[site].co2e_kg_market * G, rel=1e-9), site
    # the day's share of Virginia's annual RECs is applied: below daily_summary's own figure
    virginia = sum(r[4] for r in rows if r[0] == "virginia")
    assert _by(market, 0)["virginia"] < 0.9 * virginia * G
    for phase, value in _by(got["wattprint_facility_energy_joules"], 1).items():
        assert value == pytest.approx(phases[phase].energy_kwh * J, rel=1e-9), phase
    for metric, total in (
        ("wattprint_facility_energy_joules", totals.energy_kwh * J),
        ("wattprint_co2e_location_grams", totals.co2e_kg_location * G),
        ("wattprint_co2e_market_grams", totals.co2e_kg_market * G),
        ("wattprint_water_liters", totals.water_l),
        ("wattprint_embodied_co2e_grams", totals.embodied_kg * G),
    ):
        assert sum(got[metric].values()) == pytest.approx(total, rel=1e-9), metric

    costs = got["wattprint_effective_cost"]
    assert _by(costs, 5) == pytest.approx(cost)  # per currency, as charged that day
    assert _by(costs, 5)["USD"] == pytest.approx(totals.cost_usd, rel=1e-9)
    assert {k[4] for k in costs} == {"gpu_share", "idle", "tagged", "unattributed"}


def test_textfile_holds_the_last_day_of_the_warehouse_and_disclosure(fleet, tmp_path):
    path = tmp_path / "textfile_collector" / "wattprint.prom"
    proc = wattprint("metrics", "--config", str(fleet.config_path), "--textfile", str(path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == f"metrics: {path}"
    check_against_warehouse(_parse(path.read_text()), fleet.config())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return r.read().decode()
    except (OSError, ConnectionError):
        return None


def test_server_on_localhost_is_scraped_and_stops_on_sigterm(fleet, tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    err = tmp_path / "metrics.err"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "pipeline.cli", "metrics", "--config", str(fleet.config_path)]
    with err.open("w") as e:
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=e,
            start_new_session=True,  # whatever it starts is in this session
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (text := _scrape(url)) is None:
            assert proc.poll() is None, f"exited {proc.returncode}: {err.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer in {START_TIMEOUT_S} s"
            time.sleep(0.3)
        listening = [
            c.laddr for c in psutil.Process(proc.pid).net_connections("tcp") if c.status == "LISTEN"
        ]
        assert listening == [("127.0.0.1", port)]  # localhost only
        check_against_warehouse(_parse(text), fleet.config())
        assert _scrape(url) == text  # a second scrape: the same figures

        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=STOP_LIMIT_S)
        assert proc.returncode == 128 + signal.SIGTERM, err.read_text()[-3000:]
        assert procfs.session(proc.pid) == []
        assert _scrape(url) is None
        assert "Traceback" not in err.read_text()
    finally:
        for pid in procfs.session_pids(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_no_computed_day_is_one_line_and_exit_1(fleet, tmp_path):
    empty = copy_fleet(fleet, tmp_path / "empty")  # its files, no warehouse
    port = _free_port()
    proc = wattprint("metrics", "--config", str(empty.config_path), "--port", str(port))
    assert proc.returncode == 1, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "paths.warehouse" in lines[0] and "run `wattprint run` first" in lines[0]
    assert str(empty.config().warehouse_path) in lines[0]
    assert proc.stdout == ""  # no exposition at all
