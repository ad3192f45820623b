"""The files and folders a configuration names, checked when a command loads it
(`pipeline/cli/options.py`): a mistake in one is a ConfigError naming the key and the path, not a
failure halfway through a run. (The Dagster definitions load a config without this check, so the
UI opens on a config whose files are not there yet, like the example's; a run then fails naming
the file.)

Policy (docs/errors.md): input files the config names (instruments' `hourly_profile`) must exist,
be files and be readable. Folders (`paths.landing`, `paths.reports`, `paths.lake`,
`delivery.publish_dir`, the folder of `paths.warehouse`) may be missing, since wattprint creates
its output folders when it first writes them and `run` checks the landing folder before it
ingests; where one exists it must be a folder, and the warehouse a file. Whether a folder can be
written is learnt when it is written (a read-only folder is one line then, see
`pipeline.user_errors`), since commands that only read must work on a read-only copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config.base import ConfigError

if TYPE_CHECKING:
    from pipeline.config.root import Config


def path_keys(cfg: Config) -> dict[Path, str]:
    """Each file or folder the config names, absolute, with its key."""
    keys = {
        cfg.landing_dir: "paths.landing",
        cfg.warehouse_path: "paths.warehouse",
        cfg.warehouse_path.parent: "paths.warehouse",
        cfg.reports_dir: "paths.reports",
    }
    if cfg.lake_root is not None and not cfg.lake_root.startswith("s3://"):
        keys[Path(cfg.lake_root)] = "paths.lake"
    if cfg.publish_path is not None:
        keys[cfg.publish_path] = "delivery.publish_dir"
    if cfg.reporting.metrics_textfile is not None:
        keys[cfg.resolve(cfg.reporting.metrics_textfile)] = "reporting.metrics_textfile"
    for i, inst in enumerate(cfg.instruments):
        if inst.hourly_profile is not None:
            keys[cfg.resolve(inst.hourly_profile)] = f"instruments[{i}].hourly_profile"
    return {p.absolute(): k for p, k in keys.items()}


def _input_file(config: Path, key: str, path: Path) -> None:
    where = f"{config}: {key}: {path}"
    if not path.exists():
        raise ConfigError(
            f"{where} does not exist: expected a file; create it or correct {key} "
            "(relative paths are read from the config file's folder)"
        )
    if not path.is_file():
        raise ConfigError(f"{where} is not a file: expected a file; correct {key}")
    try:
        with path.open("rb") as f:
            f.read(1)
    except OSError as e:
        raise ConfigError(
            f"{where} cannot be read ({e.strerror}): expected a readable file; fix its "
            f"permissions (chmod/chown) or correct {key}"
        ) from e


def _folder(config: Path, key: str, path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"{config}: {key}: {path} is a file: expected a folder; move the file away or "
            f"correct {key}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{config}: {key}: {parent} is a file: expected a folder on the way to "
                    f"{path}; move the file away or correct {key}"
                )
            break


def check_references(cfg: Config, config: Path) -> None:
    """Raise ConfigError for the first file or folder of `cfg` that cannot be what it names."""
    for i, inst in enumerate(cfg.instruments):
        if inst.hourly_profile is not None:
            key = f"instruments[{i}].hourly_profile"
            _input_file(config, key, cfg.resolve(inst.hourly_profile))
    folders = {
        "paths.landing": cfg.landing_dir,
        "paths.reports": cfg.reports_dir,
        "paths.warehouse": cfg.warehouse_path.parent,
    }
    if cfg.lake_root is not None and not cfg.lake_root.startswith("s3://"):
        folders["paths.lake"] = Path(cfg.lake_root)
    if cfg.publish_path is not None:
        folders["delivery.publish_dir"] = cfg.publish_path
    if cfg.reporting.metrics_textfile is not None:
        folders["reporting.metrics_textfile"] = cfg.resolve(cfg.reporting.metrics_textfile).parent
    for key, folder in folders.items():
        _folder(config, key, folder)
    if cfg.warehouse_path.is_dir():
        raise ConfigError(
            f"{config}: paths.warehouse: {cfg.warehouse_path} is a folder: expected the DuckDB "
            "file (e.g. warehouse/wattprint.duckdb); correct paths.warehouse"
        )
