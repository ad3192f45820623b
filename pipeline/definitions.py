"""The Dagster definitions of one config file: `build_defs(path)`.

Everything under `defs/` (assets, checks, schedule, sensors), the one `wattprint` resource that
parses the config and keeps it, and the partitions from the config's start date: daily for the
data assets (group `method`), monthly for the report (group `report`). `wattprint run`, the tests
and `wattprint ui` all call `build_defs`, the UI through the workspace it writes into the config's
Dagster home (`pipeline/cli/instance.py`). `defs` is for `dagster dev` run by hand in the
repository (`workspace.yaml`): ./wattprint.yaml, else the example config.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.defs.partitions import daily_partitions, monthly_partitions
from pipeline.defs.resources import WattprintResource

EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "wattprint.example.yaml"


def build_defs(config: str | Path | WattprintResource) -> dg.Definitions:
    """The definitions for a config file (or a resource that has read one: it is not read
    again). Raises ConfigError for a config with a mistake."""
    if not isinstance(config, WattprintResource):
        config = WattprintResource.for_file(config)
    start = config.config().start_date
    by_group = {"method": daily_partitions(start), "report": monthly_partitions(start)}

    def partitioned(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.group_name not in by_group:
            return spec
        return spec.replace_attributes(partitions_def=by_group[spec.group_name])

    found = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions(
        assets=dg.map_asset_specs(partitioned, found.assets or []),
        asset_checks=found.asset_checks,
        schedules=found.schedules,
        sensors=found.sensors,
        jobs=found.jobs,
        resources={"wattprint": config},
        metadata=found.metadata,
        component_tree=found.component_tree,
    )


@dg.definitions
def defs() -> dg.Definitions:
    local = Path("wattprint.yaml")
    return build_defs(local if local.is_file() else EXAMPLE_CONFIG)
