"""The config's one way into Dagster: `build_defs(path)` with the `wattprint` resource that reads
the file once; `wattprint run` and the UI's workspace load the definitions through it."""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.instance import write_workspace
from pipeline.config import Config
from pipeline.definitions import EXAMPLE_CONFIG, build_defs
from pipeline.demo.fleet import generate_fleet


def _config(tmp_path: Path, name: str, start: str) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    path = tmp_path / name / "wattprint.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({**data, "start_date": start}, sort_keys=False))
    return path


def _starts(defs: dg.Definitions) -> tuple[str, str]:
    graph = defs.resolve_asset_graph()
    daily = graph.get(dg.AssetKey("daily_summary")).partitions_def
    monthly = graph.get(dg.AssetKey("disclosure_report")).partitions_def
    return daily.start.date().isoformat(), monthly.start.date().isoformat()


def test_partitions_follow_each_config_in_one_process(tmp_path):
    first = build_defs(_config(tmp_path, "a", "2026-03-15"))
    second = build_defs(_config(tmp_path, "b", "2025-11-02"))
    assert _starts(first) == ("2026-03-15", "2026-03-01")
    assert _starts(second) == ("2025-11-02", "2025-11-01")
    # the first definitions are not rebound by the second
    assert _starts(first) == ("2026-03-15", "2026-03-01")
    # the ingest assets are not partitioned
    inventory = first.resolve_asset_graph().get(dg.AssetKey("inventory"))
    assert inventory.partitions_def is None


def test_ui_workspace_loads_the_definitions_of_its_config(tmp_path):
    config = _config(tmp_path, "site one", "2026-02-03")  # a space in the path
    home = tmp_path / "home"
    home.mkdir()
    workspace = write_workspace(config, home)
    [location] = yaml.safe_load(workspace.read_text())["load_from"]
    target = location["python_file"]
    assert target["location_name"] == "pipeline.definitions"
    module = runpy.run_path(target["relative_path"])
    assert _starts(module["defs"]()) == ("2026-02-03", "2026-02-01")


@pytest.fixture()
def parses(monkeypatch) -> list[Path]:
    """The config files parsed while the test runs, one entry per parse."""
    seen: list[Path] = []
    validate = Config.model_validate.__func__

    def counted(cls, data, *args, **kwargs):
        seen.append(data["base_dir"])
        return validate(cls, data, *args, **kwargs)

    monkeypatch.setattr(Config, "model_validate", classmethod(counted))
    return seen


def test_wattprint_run_reads_the_config_once(tmp_path, parses):
    fleet = generate_fleet(tmp_path / "fleet", days=1, start=date(2026, 10, 1))
    parses.clear()
    result = CliRunner().invoke(
        app, ["run", "--config", str(fleet), "--start", "2026-10-01", "--end", "2026-10-01"]
    )
    assert result.exit_code == 0, result.output
    # ingest, the day's data and the month's report: three Dagster runs on one parse
    assert parses == [fleet.parent.resolve()]
