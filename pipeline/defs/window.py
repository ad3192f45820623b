"""The body every daily data asset shares: the run's window, the config, one warehouse
connection, the build, the window's summary frame and the landing files behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import dagster as dg
import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.defs import metadata as md
from pipeline.defs.resources import WattprintResource
from pipeline.warehouse import frame
from pipeline.warehouse.catalog import WINDOWED

T = TypeVar("T")


def window(context: dg.AssetExecutionContext | dg.OpExecutionContext) -> tuple[datetime, datetime]:
    """The run's time window as naive UTC datetimes (one partition or a single-run range)."""
    tw = context.partition_time_window
    return tw.start.replace(tzinfo=None), tw.end.replace(tzinfo=None)


@dataclass(frozen=True)
class Window:
    """A run's window [start, end) with the config and an open warehouse connection."""

    start: datetime
    end: datetime
    cfg: Config
    con: duckdb.DuckDBPyConnection

    @property
    def bounds(self) -> dict[str, datetime]:
        """The window as SQL parameters."""
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class Computed(Generic[T]):
    """What a data asset's run wrote (rows), what its build read for the checks, the window's
    summary frame and the landing files behind the window (`metadata.input_files`)."""

    rows: int
    checks: T
    summary: pl.DataFrame
    files: dict[str, Any]

    def result(self, metadata: dict[str, Any]) -> dg.MaterializeResult:
        """The materialisation: row count, the asset's own figures, a preview of the summary and
        the input files."""
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": self.rows,
                **metadata,
                "preview": md.md_table(self.summary),
                **self.files,
            }
        )


def compute(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    wattprint: WattprintResource,
    build: Callable[[Window], tuple[int, T]],
    summary: str,
    asset: str | None = None,
) -> Computed[T]:
    """Run `build` on the window (it writes the window's rows and returns their count with what
    the checks need), then read the summary (`sql/<summary>.sql`) and the input files, all on one
    connection. `asset`: the asset's name, where `context` is an op's inside a graph asset. With
    a shared catalog configured, the window's rows are published to it once committed."""
    start, end = window(context)
    cfg = wattprint.config()
    asset = asset or context.asset_key.to_user_string()
    with wattprint.connect() as con:
        w = Window(start, end, cfg, con)
        rows, checks = build(w)
        by_window = frame(con, summary, w.bounds)
        files = md.input_files(con, asset, start, end, cfg.warehouse_path)
        shared = cfg.shared_catalog()
        if shared is not None and asset in WINDOWED:
            published = shared.publish(con, asset, start, end)
            context.log.info(f"{asset}: {published:,} rows published to the catalog {shared.uri}")
    return Computed(rows, checks, by_window, files)
