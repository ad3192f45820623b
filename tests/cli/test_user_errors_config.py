"""A mistake in the config or in the days asked for is one line on stderr and exit 2, for every
command, before any Dagster run; `--debug` shows the traceback; help texts print as written
(issue 17). Each test runs the real CLI as a process (tests/cli/cli_process.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pipeline.demo.fleet import generate_fleet
from tests.cli.cli_process import assert_one_line, wattprint

START = date(2026, 10, 1)
PROFILE_KEY = "instruments[0].hourly_profile"


@pytest.fixture(scope="module")
def clean_fleet(tmp_path_factory) -> Path:
    return generate_fleet(tmp_path_factory.mktemp("fleet") / "fleet", days=1, start=START)


@pytest.fixture()
def fleet(clean_fleet, tmp_path) -> Path:
    """A copy of the demo fleet's config and landing files (no warehouse yet)."""
    shutil.copytree(clean_fleet.parent, tmp_path / "fleet")
    return tmp_path / "fleet" / "wattprint.yaml"


def _edit(config: Path, change) -> None:
    data = yaml.safe_load(config.read_text())
    change(data)
    config.write_text(yaml.safe_dump(data, sort_keys=False))


COMMANDS = {
    "run": ["run", "--start", "2026-10-01", "--end", "2026-10-01"],
    "report": ["report", "--period", "2026-10"],
    "deliver": ["deliver", "--period", "2026-10"],
    "validate": ["validate", "{landing}/grid"],
    "ui": ["ui", "--port", "1"],  # refused before anything starts: no port is opened
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_file_the_config_names_is_one_line_for_every_command(fleet, command):
    cfg = yaml.safe_load(fleet.read_text())
    profile = fleet.parent / cfg["instruments"][0]["hourly_profile"]
    profile.unlink()
    args = [a.format(landing=fleet.parent / "landing") for a in COMMANDS[command]]
    proc = wattprint(*args, "--config", str(fleet), timeout=120)
    assert_one_line(proc, str(fleet), PROFILE_KEY, str(profile), "does not exist", "create it")


def test_a_folder_where_the_config_names_a_file_is_one_line(fleet):
    cfg = yaml.safe_load(fleet.read_text())
    profile = fleet.parent / cfg["instruments"][0]["hourly_profile"]
    profile.unlink()
    profile.mkdir()
    proc = wattprint("report", "--config", str(fleet), "--period", "2026-10")
    assert_one_line(proc, PROFILE_KEY, "is not a file", "expected a file")


def test_a_file_where_the_landing_folder_should_be_is_one_line(fleet):
    landing = fleet.parent / "landing"
    shutil.rmtree(landing)
    landing.write_text("not a folder\n")
    proc = wattprint("run", "--config", str(fleet), "--start", "2026-10-01", "--end", "2026-10-01")
    assert_one_line(proc, "paths.landing", str(landing), "expected a folder")


def test_a_missing_landing_folder_is_one_line(fleet):
    landing = fleet.parent / "landing"
    shutil.rmtree(landing)
    proc = wattprint("run", "--config", str(fleet), "--start", "2026-10-01", "--end", "2026-10-01")
    assert_one_line(proc, "paths.landing", str(landing), "does not exist", "create it")


def test_a_file_where_the_reports_folder_should_be_is_one_line(fleet):
    _edit(fleet, lambda d: d["paths"].update(reports="reports.txt"))
    (fleet.parent / "reports.txt").write_text("a file\n")
    proc = wattprint("report", "--config", str(fleet), "--period", "2026-10")
    assert_one_line(proc, "paths.reports", "reports.txt", "expected a folder")


def test_an_unknown_key_is_one_line_with_the_likely_one(fleet):
    _edit(fleet, lambda d: d["telemetry"].update(max_gap=600))
    proc = wattprint("run", "--config", str(fleet))
    assert_one_line(proc, str(fleet), "telemetry.max_gap", "unknown key", "max_gap_s")


def test_an_unknown_library_gpu_is_one_line_with_the_likely_one(fleet):
    # issue 20: a gpu_models entry naming a GPU the factor library does not have
    _edit(fleet, lambda d: d["gpu_models"]["H100-SXM5-80GB"].update(library="H100 SMX"))
    proc = wattprint("run", "--config", str(fleet))
    assert_one_line(proc, str(fleet), "gpu_models.H100-SXM5-80GB", "did you mean 'H100 SXM'?")


def test_several_config_mistakes_are_one_line_naming_each_key(fleet):
    def change(d):
        d["sites"]["stockholm"]["pue"] = 5
        d["host_groups"][0]["gpus"] = "eight"
        d["instruments"][0]["start"] = "2026-13-01"

    _edit(fleet, change)
    proc = wattprint("report", "--config", str(fleet), "--period", "2026-10")
    assert_one_line(
        proc,
        "sites.stockholm.pue",
        "less than or equal to 3",
        "host_groups[0].gpus",
        "'eight'",
        "instruments[0].start",
        "2026-13-01",
    )


def test_a_missing_config_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    proc = wattprint("report", "--config", str(missing), "--period", "2026-10")
    assert_one_line(proc, str(missing), "--config", "wattprint.example.yaml")


def test_start_before_the_configs_start_date_is_one_line(fleet):
    _edit(fleet, lambda d: d.update(start_date="2026-10-02"))
    proc = wattprint("run", "--config", str(fleet), "--start", "2026-10-01", "--end", "2026-10-02")
    assert_one_line(proc, "start_date", "2026-10-02", "give --start 2026-10-02 or later")


def test_an_end_after_the_last_complete_day_is_one_line(fleet):
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    end = yesterday + timedelta(days=2)
    proc = wattprint("run", "--config", str(fleet), "--start", "2026-10-01", "--end", str(end))
    assert_one_line(proc, f"--end {end}", f"give --end {yesterday} or earlier")


def test_a_malformed_day_is_one_line(fleet):
    proc = wattprint("run", "--config", str(fleet), "--start", "2026-10-x")
    assert_one_line(proc, "--start '2026-10-x'", "YYYY-MM-DD")


@pytest.mark.parametrize("where", ["global", "command"])
def test_debug_shows_the_traceback(fleet, where):
    _edit(fleet, lambda d: d.update(start_date="2026-10-02"))
    days = ["--start", "2026-10-01", "--end", "2026-10-02"]
    if where == "global":
        proc = wattprint("--debug", "run", "--config", str(fleet), *days)
    else:
        proc = wattprint("run", "--debug", "--config", str(fleet), *days)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "DayRangeError" in proc.stderr and "start_date" in proc.stderr


def test_run_help_prints_brackets_and_states_the_default_days():
    proc = wattprint("run", "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "the days [start, end]" in text
    assert "Without --start and --end the days are the span of the ingested GPU telemetry" in text
    assert "default: the first day of the ingested telemetry" in text
    assert "default: the last day of the ingested telemetry" in text
