"""This config's Dagster instance: where it lives, the dagster.yaml written there, and the `ui`
command that starts the Dagster UI on it, through a workspace written there that loads this
config's definitions (`pipeline.definitions.build_defs`, as `wattprint run` does). Opening the
instance marks the runs a killed process left STARTED as failed (`interrupted_runs`)."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

import typer

from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.cli.processes import run_in_group

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


# `dagster dev` warns at every start that it is superseded by `dg dev` (of dagster-dg-cli, which
# wattprint does not install): nothing a wattprint user can act on.
DEV_SUPERSEDED = "ignore:Function `dev_command` is superseded"


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
    """The config's instance, the runs that a killed process left STARTED marked failed (each
    named on the console)."""
    import dagster as dg

    from pipeline.cli.interrupted_runs import fail_interrupted_runs

    instance = dg.DagsterInstance.from_config(str(dagster_home(cfg)))
    for run in fail_interrupted_runs(instance):
        console.print(
            f"run {run.run_id} ({run.job_name}) was interrupted: its process {run.pid} is gone; "
            "marked failed",
            soft_wrap=True,
        )
    return instance


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
    $DAGSTER_HOME when set. SIGTERM or Ctrl-C stops all of it within 10 s."""
    cfg = config_or_exit(config)
    home = dagster_home(cfg)
    with open_instance(cfg):
        pass  # runs interrupted since the last start are marked failed
    cmd = [
        sys.executable,
        "-W",
        DEV_SUPERSEDED,
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
    code = run_in_group(cmd, cwd=REPO, env=env)
    # Everything is stopped; skip the final garbage collection over all that importing Dagster
    # made (1-3 s on a loaded machine), so that `ui` itself is gone within the 10 s it promises.
    gc.freeze()
    raise typer.Exit(code)
