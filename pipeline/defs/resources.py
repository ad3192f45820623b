"""The warehouse resource: the config file and a DuckDB connection on its warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipeline import warehouse
from pipeline.config import Config, load_config
from pipeline.settings import config_path


class WattprintResource(dg.ConfigurableResource):
    config_path: str

    def config(self) -> Config:
        return load_config(self.config_path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.config().warehouse_path) as con:
            yield con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"wattprint": WattprintResource(config_path=str(config_path()))}
    )
