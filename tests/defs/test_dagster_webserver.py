"""The real Dagster UI: `wattprint ui` started in a subprocess on a small demo fleet, queried over
its GraphQL API: the asset graph and its lineage, the checks and their blocking flags, the
schedule and sensors, and a `wattprint run` recorded in the same instance with its metadata."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.demo.fleet import generate_fleet

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90
# dagster dev's daemon and code server shut down gracefully on SIGTERM; on a loaded 2-core CI
# machine that once took over 30 s (one clean-clone run in several), so allow a minute
STOP_TIMEOUT_S = 60
FIRST, LAST = "2026-10-01", "2026-10-02"

ASSETS = {
    "inventory",
    "landing_files",
    "gpu_energy_intervals",
    "job_allocations",
    "gpu_energy_attributed",
    "footprint_hourly",
    "daily_summary",
    "cost_attributed",
    "disclosure_report",
    "report_delivery",
}
# check -> (asset it is on, blocking)
CHECKS = {
    "energy_conserved": ("gpu_energy_attributed", True),
    "no_negative_quantities": ("daily_summary", True),
    "measured_coverage": ("daily_summary", False),
    "inventory_coverage": ("daily_summary", False),
    "grid_coverage": ("daily_summary", False),
    "cost_reconciled": ("cost_attributed", True),
    "gpu_energy_intervals_reconciled": ("gpu_energy_intervals", True),
    "gpu_energy_attributed_reconciled": ("gpu_energy_attributed", True),
    "footprint_hourly_reconciled": ("footprint_hourly", True),
    "footprint_hourly_factors": ("footprint_hourly", True),
    "daily_summary_reconciled": ("daily_summary", True),
}
METADATA = """
fragment Meta on MetadataEntry {
  label
  __typename
  ... on FloatMetadataEntry { floatValue }
  ... on IntMetadataEntry { intRepr }
  ... on MarkdownMetadataEntry { mdStr }
  ... on PathMetadataEntry { path }
  ... on JsonMetadataEntry { jsonString }
  ... on TextMetadataEntry { text }
}
"""
GRAPH_QUERY = """
{
  repositoriesOrError {
    __typename
    ... on PythonError { message }
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        assetNodes {
          assetKey { path }
          groupName
          dependencyKeys { path }
          dependedByKeys { path }
          assetChecksOrError {
            __typename
            ... on AssetChecks { checks { name blocking } }
          }
        }
        schedules { name cronSchedule }
        sensors { name sensorType }
      }
    }
  }
}
"""
RUNS_QUERY = """
{
  runsOrError {
    __typename
    ... on Runs { results { runId status assetSelection { path } } }
  }
}
"""
LATEST_QUERY = (
    """
{
  assetNodes {
    assetKey { path }
    assetMaterializations(limit: 1) { partition runId metadataEntries { ...Meta } }
    assetChecksOrError {
      ... on AssetChecks {
        checks {
          name
          executionForLatestMaterialization {
            status
            evaluation { success metadataEntries { ...Meta } }
          }
        }
      }
    }
  }
}
"""
    + METADATA
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_processes(sid: int) -> list[str]:
    """Live (not zombie) processes of a session, as 'pid command'."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp session ...; comm may hold spaces, so split after ')'
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(f"{stat.parent.name} {text[: text.rindex(')') + 1]}")
    return found


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DAGSTER_HOME", None)  # the instance must be the config's own .dagster_home
    return env


def gql(base: str, query: str) -> dict:
    req = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        body = json.load(r)
    assert not body.get("errors"), body["errors"]
    return body["data"]


class UI:
    def __init__(self, base: str, config: Path) -> None:
        self.base = base
        self.config = config


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    out = tmp_path_factory.mktemp("ui_fleet")
    config = generate_fleet(out, days=2, start=date(2026, 10, 1))
    cli = [sys.executable, "-m", "pipeline.cli"]
    # a CLI run first: it must be recorded in the instance the UI then shows
    run = subprocess.run(
        [*cli, "run", "--config", str(config), "--start", FIRST, "--end", LAST],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    port = _free_port()
    log_path = out / "ui.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*cli, "ui", "--config", str(config), "--port", str(port)],
            cwd=REPO,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: webserver, daemon, code servers
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, f"wattprint ui exited: {log_path.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, (
                f"no answer on {base}/server_info within {START_TIMEOUT_S} s: "
                + log_path.read_text()[-3000:]
            )
            time.sleep(0.5)
        yield UI(base, config)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the whole process group, then make sure nothing of it is left."""
    sid = proc.pid
    try:
        os.killpg(sid, signal.SIGTERM)  # dagster dev shuts its services down on SIGTERM
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _session_processes(sid) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = _session_processes(sid)
    if left:
        try:
            os.killpg(sid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)
    assert not left, f"still running {STOP_TIMEOUT_S} s after SIGTERM (killed): {left}"


@pytest.fixture(scope="module")
def repo(ui: UI) -> dict:
    data = gql(ui.base, GRAPH_QUERY)["repositoriesOrError"]
    assert data["__typename"] == "RepositoryConnection", data
    (node,) = data["nodes"]  # workspace.yaml loads one code location
    assert node["location"]["name"] == "pipeline.definitions"
    return node


def _key(k: dict) -> str:
    return "/".join(k["path"])


def test_asset_graph_has_every_asset_and_lineage_from_landing_to_report(repo) -> None:
    nodes = {_key(n["assetKey"]): n for n in repo["assetNodes"]}
    assert set(nodes) == ASSETS
    assert {n: nodes[n]["groupName"] for n in ("landing_files", "daily_summary")} == {
        "landing_files": "ingest",
        "daily_summary": "method",
    }
    down = {k: {_key(d) for d in n["dependedByKeys"]} for k, n in nodes.items()}
    up = {k: {_key(d) for d in n["dependencyKeys"]} for k, n in nodes.items()}
    # the two directions agree: every upstream edge is someone's downstream edge
    assert {(a, b) for a, bs in down.items() for b in bs} == {
        (a, b) for b, as_ in up.items() for a in as_
    }
    # walk downstream from the landing files to the report
    seen, todo = {"landing_files"}, deque(["landing_files"])
    while todo:
        for nxt in sorted(down[todo.popleft()] - seen):
            seen.add(nxt)
            todo.append(nxt)
    assert "disclosure_report" in seen
    assert "report_delivery" in seen
    # the method's chain, edge by edge
    chain = [
        "landing_files",
        "gpu_energy_intervals",
        "gpu_energy_attributed",
        "footprint_hourly",
        "daily_summary",
        "disclosure_report",
        "report_delivery",
    ]
    for a, b in zip(chain, chain[1:], strict=False):
        assert b in down[a], f"no lineage edge {a} -> {b}"
    assert {"job_allocations", "cost_attributed"} <= up["gpu_energy_attributed"] | up[
        "disclosure_report"
    ]


def test_checks_sit_on_their_assets_with_their_blocking_flags(repo) -> None:
    found = {}
    for n in repo["assetNodes"]:
        checks = n["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", checks
        for c in checks["checks"]:
            found[c["name"]] = (_key(n["assetKey"]), c["blocking"])
    assert found == CHECKS


def test_nightly_schedule_and_landing_sensors_are_loaded(repo) -> None:
    schedules = {s["name"]: s for s in repo["schedules"]}
    sensors = {s["name"]: s for s in repo["sensors"]}
    assert "nightly" in schedules, sorted(schedules)
    assert schedules["nightly"]["cronSchedule"].strip()
    assert {"landing_sensor", "late_data_sensor"} <= set(sensors), sorted(sensors)


def _entries(entries: list[dict]) -> dict:
    out = {}
    for e in entries:
        kind = e["__typename"]
        if kind == "FloatMetadataEntry":
            out[e["label"]] = e["floatValue"]
        elif kind == "IntMetadataEntry":
            out[e["label"]] = int(e["intRepr"])
        elif kind == "MarkdownMetadataEntry":
            out[e["label"]] = e["mdStr"]
        elif kind == "PathMetadataEntry":
            out[e["label"]] = e["path"]
        elif kind == "JsonMetadataEntry":
            out[e["label"]] = json.loads(e["jsonString"])
        elif kind == "TextMetadataEntry":
            out[e["label"]] = e["text"]
    return out


def test_cli_run_shows_in_the_ui_with_its_metadata(ui: UI) -> None:
    runs = gql(ui.base, RUNS_QUERY)["runsOrError"]
    assert runs["__typename"] == "Runs", runs
    # ingest, the data range, the month's report: all recorded, all successful
    assert [r["status"] for r in runs["results"]] == ["SUCCESS"] * 3
    run_ids = {r["runId"] for r in runs["results"]}

    latest = {_key(n["assetKey"]): n for n in gql(ui.base, LATEST_QUERY)["assetNodes"]}
    meta = {}
    for key, node in latest.items():
        mats = node["assetMaterializations"]
        if key == "report_delivery":
            assert mats == []  # `wattprint run` does not deliver
            continue
        assert len(mats) == 1 and mats[0]["runId"] in run_ids, (key, mats)
        meta[key] = _entries(mats[0]["metadataEntries"])

    cfg = load_config(ui.config)
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        kwh, rows = con.execute(
            "SELECT sum(facility_energy_kwh), count(*) FROM daily_summary "
            "WHERE day BETWEEN ? AND ?",
            [FIRST, LAST],
        ).fetchone()
        manifest = {p for (p,) in con.execute("SELECT source_path FROM ingest_manifest").fetchall()}
    finally:
        con.close()

    daily = meta["daily_summary"]
    assert daily["dagster/row_count"] == rows
    assert daily["facility_energy_kwh"] == pytest.approx(kwh, rel=1e-9)
    assert daily["preview"].startswith("| phase |")
    assert 0 < daily["input_files"] <= len(manifest)
    listed = [line[2:] for line in daily["input_files_list"].splitlines() if "more (" not in line]
    assert listed and {p.replace("\\", "") for p in listed} <= manifest
    for key in ("gpu_energy_intervals", "gpu_energy_attributed", "footprint_hourly"):
        assert meta[key]["gpu_energy_kwh"] > 0, key
        assert meta[key]["dagster/row_count"] > 0, key
    # the GPU energy is the same wherever it is totalled
    assert meta["gpu_energy_attributed"]["gpu_energy_kwh"] == pytest.approx(
        meta["gpu_energy_intervals"]["gpu_energy_kwh"], rel=1e-9
    )
    assert meta["footprint_hourly"]["facility_energy_kwh"] == pytest.approx(kwh, rel=1e-9)

    report = meta["disclosure_report"]
    disclosure = json.loads(Path(report["json"]).read_text())
    assert report["facility_energy_kwh"] == pytest.approx(disclosure["totals"]["energy_kwh"])
    assert report["co2e_kg_location"] == pytest.approx(disclosure["totals"]["co2e_kg_location"])
    assert report["co2e_kg_market"] == pytest.approx(disclosure["totals"]["co2e_kg_market"])
    assert report["manifest_files"] == len(manifest)
    assert Path(report["pdf"]).is_file()

    checks = {
        c["name"]: c["executionForLatestMaterialization"]
        for n in latest.values()
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert set(checks) == set(CHECKS)
    for name, execution in checks.items():
        assert execution["status"] == "SUCCEEDED", (name, execution)
    coverage = _entries(checks["measured_coverage"]["evaluation"]["metadataEntries"])
    assert coverage["measured_share"] == pytest.approx(disclosure["data_quality"]["measured_share"])
    # every landing file of this 2-day fleet overlaps the window, so all quarantined rows count
    assert coverage["quarantined_rows"] == disclosure["data_quality"]["quarantined_rows"]
    inventory = _entries(checks["inventory_coverage"]["evaluation"]["metadataEntries"])
    for key in ("expected_gpu_hours", "measured_gpu_hours", "missing_gpu_hours"):
        assert inventory[key] == pytest.approx(disclosure["data_quality"]["coverage"][key])
    grid = _entries(checks["grid_coverage"]["evaluation"]["metadataEntries"])
    assert grid["grid_fallback_site_hours"] == disclosure["data_quality"]["grid_fallback_hours"]
    cost = _entries(checks["cost_reconciled"]["evaluation"]["metadataEntries"])
    assert cost["unattributed_effective_cost"]["USD"] == pytest.approx(
        disclosure["totals"]["cost_unattributed_usd"]
    )


def test_instance_home_is_beside_the_config_unless_dagster_home_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli.instance import dagster_home

    config = generate_fleet(tmp_path / "fleet", days=1, start=date(2026, 10, 1))
    cfg = load_config(config)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = dagster_home(cfg)
    assert home == config.parent / ".dagster_home"
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("# the user's own\n")
    assert (dagster_home(cfg) / "dagster.yaml").read_text() == "# the user's own\n"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert dagster_home(cfg) == tmp_path / "elsewhere"
    assert not (tmp_path / "elsewhere" / "dagster.yaml").exists()  # theirs to configure
