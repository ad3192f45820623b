"""Which site's time zone a landing file's local timestamps take, from the folders it is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Config, ModelInfo


def _cfg(base: Path) -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "timezone": "UTC",
            "sites": {
                "stockholm": {
                    "grid_zone": "SE-SE3",
                    "timezone": "Europe/Stockholm",
                    "annual_gco2e_per_kwh": 30,
                },
                "virginia": {
                    "grid_zone": "US-MIDA-PJM",
                    "timezone": "America/New_York",
                    "annual_gco2e_per_kwh": 380,
                },
            },  # fmt: skip
            "gpu_models": {"a": {"tdp_w": 400, "idle_w": 50}},
            "host_groups": [{"hosts": "gpu[01-02]", "site": "virginia", "gpu_model": "a"}],
            "paths": {"landing": "landing"},
            "base_dir": str(base),
        }
    )


def test_where_the_landing_folder_lives_does_not_set_a_files_zone(tmp_path):
    """A landing folder kept under a folder named like a site (/srv/stockholm/landing) gave every
    file without a host or site folder that site's zone: the results depended on where the
    landing folder was (found when `verify` recomputed in a scratch folder)."""
    cfg = _cfg(tmp_path / "stockholm")
    landing = cfg.landing_dir
    assert cfg.timezone_for_path(landing / "telemetry" / "smi.csv") == "UTC"
    assert cfg.timezone_for_path(landing / "telemetry" / "gpu01" / "smi.csv") == "America/New_York"
    assert cfg.timezone_for_path(landing / "virginia" / "sacct.txt") == "America/New_York"
    # relative to the working folder, as the readers' tests call it
    assert cfg.timezone_for_path(Path("landing/stockholm/sacct.txt")) == "Europe/Stockholm"


def test_a_file_outside_the_landing_folder_takes_its_folders_zone(tmp_path):
    """`validate` reads files wherever they are: there every folder of the path counts."""
    cfg = _cfg(tmp_path)
    assert cfg.timezone_for_path(tmp_path / "elsewhere" / "stockholm" / "x.csv") == (
        "Europe/Stockholm"
    )


@pytest.mark.parametrize("chain", [["a", "b", "a"], ["a", "a"]])
def test_a_lineage_cycle_is_refused(tmp_path, chain):
    models = {m: {"base_model": b} for m, b in zip(chain, chain[1:], strict=False)}
    with pytest.raises(ValueError, match="is a cycle"):
        Config.model_validate(_cfg(tmp_path).model_dump() | {"models": models})
    assert ModelInfo(base_model="b").base_model == "b"
