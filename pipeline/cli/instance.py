"""This config's Dagster instance: where it lives, the dagster.yaml written there, and the `ui`
command that starts the Dagster UI on it, through a workspace written there that loads this
config's definitions (`pipeline.definitions.build_defs`, as `wattprint run` does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from pipeline.cli.options import ConfigOpt, config_or_exit

REPO = Path(__file__).resolve().parents[2]

# Written once into a config's .dagster_home (never over an existing file). Storage stays
# Dagster's default (SQLite under this folder). The run queue lets one run at a time write the
# warehouse (the schedule's and sensors' runs carry the tag). Telemetry is off: wattprint runs on
# sites that may have no way out to the internet, and sends nothing anywhere unless configured to.
DAGSTER_YAML = """\
# The Dagster instance of this wattprint config: runs, materialisations, check results,
# schedule and sensor state, in SQLite under this folder (Dagster's default storage).
# Written by wattprint when the folder was created; edit freely, it is not overwritten.
run_queue:
  tag_concurrency_limits:
    # runs launched by the schedule and sensors: one at a time writes the DuckDB warehouse
    - key: wattprint/warehouse
      limit: 1
telemetry:
  enabled: false
"""

# Written by `ui` at every start: the code location the UI loads is a module that builds the
# definitions of one config file, named in it (Dagster passes nothing else to a code location).
WORKSPACE_YAML = """\
# Written by `wattprint ui` at every start (edits are lost): the definitions of {config}.
load_from:
  - python_file:
      relative_path: {module}
      location_name: pipeline.definitions
      working_directory: {repo}
"""
DEFINITIONS_PY = '''\
"""The Dagster definitions of {config}: written by `wattprint ui` at every start (edits are
lost), loaded through workspace.yaml beside it."""

import dagster as dg

from pipeline.definitions import build_defs


@dg.definitions
def defs() -> dg.Definitions:
    return build_defs({path!r})
'''


def dagster_home(cfg) -> Path:
    """Where Dagster keeps its instance for this config: $DAGSTER_HOME when set, else
    `.dagster_home` beside the config file, so `wattprint run` and `wattprint ui` share one
    history (CLI runs and backfills show in the UI) and nothing is written elsewhere."""
    env = os.environ.get("DAGSTER_HOME")
    if env:
        return Path(env)
    home = cfg.base_dir / ".dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    yaml_path = home / "dagster.yaml"
    if not yaml_path.exists():
        yaml_path.write_text(DAGSTER_YAML)
    return home


def open_instance(cfg):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(dagster_home(cfg)))


def write_workspace(config: Path, home: Path) -> Path:
    """The workspace file, and the module it loads, that give the UI this config's definitions."""
    path = config.resolve()
    module = home / "wattprint_definitions.py"
    module.write_text(DEFINITIONS_PY.format(config=path, path=str(path)))
    workspace = home / "workspace.yaml"
    # paths as JSON strings, which YAML reads as they are (spaces, colons, quotes)
    text = WORKSPACE_YAML.format(
        config=path, module=json.dumps(str(module)), repo=json.dumps(str(REPO))
    )
    workspace.write_text(text)
    return workspace


def ui(
    config: ConfigOpt = Path("wattprint.yaml"),
    port: int = 3000,
    host: str = "127.0.0.1",
) -> None:
    """Start the Dagster UI (webserver and daemon, so schedules and sensors run) on this config.
    Its instance is the one `wattprint run` records into: .dagster_home beside the config, or
    $DAGSTER_HOME when set."""
    cfg = config_or_exit(config)
    home = dagster_home(cfg)
    cmd = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(write_workspace(config, home)),
        "-h",
        host,
        "-p",
        str(port),
    ]
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    raise typer.Exit(subprocess.call(cmd, cwd=REPO, env=env))
