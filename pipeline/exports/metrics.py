"""The Prometheus exposition of the latest computed day: the last UTC day of the warehouse's
daily_summary, its energy, CO2e, water and cost per site, phase, model and team, as gauges (a
day's figures, not counters). Written as a node_exporter textfile (`write_textfile`: a temp file
renamed over the `.prom` file, in its folder) and served by `wattprint metrics --port`
(`WarehouseCollector`, read per scrape from a read-only connection, cached while the warehouse
file is unchanged). Names, units and decisions: docs/outputs.md ("Prometheus metrics").

The figures are the ones a disclosure of that single day states: daily_summary's sums, with the
market-based CO2e after the day's share of the annual instruments (`period.annual_volumes` of the
one-day period, as `period_data` applies them); cost is cost_attributed's for the lines charged
that day. Label values are escaped by prometheus_client (quotes, backslashes, line breaks).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline.atomic import write_atomic
from pipeline.method import period
from pipeline.user_errors import UserError
from pipeline.warehouse import WarehouseBusy, connect, frame, one

J_PER_KWH = 3.6e6
G_PER_KG = 1000.0
LABELS = ("site", "phase", "model", "team")
COST_LABELS = (*LABELS, "basis", "currency")
TEXTFILE_SUFFIX = ".prom"  # the only files node_exporter's textfile collector reads
# a scrape waits this long for a run writing the warehouse, then serves the figures it last read
SCRAPE_LOCK_WAIT_S = 2.0
log = logging.getLogger("wattprint.metrics")


@dataclass(frozen=True)
class Gauge:
    """A gauge of the day's rows: `column` × `scale`, named `name` + `_` + `unit`."""

    name: str
    unit: str
    column: str
    scale: float
    help: str


DAY = "on the last computed UTC day (wattprint_last_computed_day_timestamp_seconds)"
FOOTPRINT = (
    Gauge("wattprint_gpu_energy", "joules", "gpu_energy_kwh", J_PER_KWH, "GPU board energy"),
    Gauge("wattprint_it_energy", "joules", "it_energy_kwh", J_PER_KWH, "IT energy (GPU + host)"),
    Gauge(
        "wattprint_facility_energy",
        "joules",
        "facility_energy_kwh",
        J_PER_KWH,
        "Facility energy (IT energy x PUE; the disclosure's energy)",
    ),
    Gauge(
        "wattprint_co2e_location",
        "grams",
        "co2e_kg_location",
        G_PER_KG,
        "Location-based operational CO2e (grid intensity x facility energy)",
    ),
    Gauge(
        "wattprint_co2e_market",
        "grams",
        "co2e_kg_market",
        G_PER_KG,
        "Market-based operational CO2e (after hourly instruments and the day's share of annual "
        "ones)",
    ),
    Gauge("wattprint_water", "liters", "water_l", 1.0, "Water consumed (on-site + off-site)"),
    Gauge(
        "wattprint_embodied_co2e",
        "grams",
        "embodied_kg",
        G_PER_KG,
        "Embodied CO2e of the hardware held (GPU + server)",
    ),
)
COST = Gauge(
    "wattprint_effective_cost",
    "",
    "effective_cost",
    1.0,
    "Effective (amortised) cost, in the currency of its label, of the billing lines charged",
)


class NoComputedDay(LookupError):
    """The warehouse holds no computed day (no daily_summary row): nothing to expose."""


@dataclass(frozen=True)
class DayFigures:
    day: date
    footprint: pl.DataFrame  # daily_summary's rows of the day, market CO2e after instruments
    cost: pl.DataFrame  # select_metrics_day_cost's rows


def day_figures(con: duckdb.DuckDBPyConnection, warehouse: Path | str = "") -> DayFigures:
    """The latest computed day's figures; NoComputedDay when daily_summary is empty."""
    _, day = one(con, "select_data_span")
    if day is None:
        raise NoComputedDay(
            f"{warehouse or 'the warehouse'} (paths.warehouse) has no computed day: expected at "
            "least one day computed; run `wattprint run` first"
        )
    p = {"start_day": day, "end_day": day}
    daily = frame(con, "select_period_daily_summary", p)
    volumes = period.annual_volumes(frame(con, "select_instruments"), day, day)
    footprint, _ = period.apply_annual_instruments(daily, volumes)
    cost = frame(con, "select_metrics_day_cost", {"day": day})
    return DayFigures(day, footprint.sort(list(LABELS)), cost)


def read_latest(warehouse: Path, lock_timeout_s: float | None = None) -> DayFigures:
    """`day_figures` through a read-only connection (a missing file is NoComputedDay)."""
    if not Path(warehouse).is_file():
        raise NoComputedDay(
            f"{warehouse} (paths.warehouse) does not exist: expected a warehouse with a "
            "computed day; run `wattprint run` first"
        )
    with connect(warehouse, read_only=True, lock_timeout_s=lock_timeout_s, on_wait=log.debug) as c:
        return day_figures(c, warehouse)


def day_start_s(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp()


def _gauge(g: Gauge, labels: Sequence[str], rows: pl.DataFrame) -> GaugeMetricFamily:
    family = GaugeMetricFamily(g.name, f"{g.help} {DAY}.", labels=labels, unit=g.unit)
    for r in rows.iter_rows(named=True):
        family.add_metric([r[k] for k in labels], float(r[g.column]) * g.scale)
    return family


def families(fig: DayFigures, version: str) -> list[Metric]:
    """Every metric family of the day, in a fixed order."""
    day = GaugeMetricFamily(
        "wattprint_last_computed_day_timestamp_seconds",
        "Start (00:00 UTC) of the last day in the warehouse's daily summary: the day every "
        "other wattprint_ gauge describes.",
        value=day_start_s(fig.day),
    )
    build = InfoMetricFamily(
        "wattprint_build",
        "The wattprint code serving these figures (git commit, or package version).",
        {"version": version},
    )
    footprint = [_gauge(g, LABELS, fig.footprint) for g in FOOTPRINT]
    return [day, build, *footprint, _gauge(COST, COST_LABELS, fig.cost)]


class _Families(Collector):
    def __init__(self, fams: Iterable[Metric]) -> None:
        self.fams = list(fams)

    def collect(self) -> Iterator[Metric]:
        return iter(self.fams)


def exposition(fams: Iterable[Metric]) -> bytes:
    """The Prometheus text format (0.0.4) of `fams`, and nothing else (no process metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(fams))
    return generate_latest(registry)


def write_textfile(path: Path, data: bytes, key: str) -> Path:
    """Write a node_exporter textfile: a temp file in the same folder, renamed over `path`, so the
    collector reads the old file or the new one; `key` names where `path` came from."""
    path = Path(path)
    if path.suffix != TEXTFILE_SUFFIX:
        raise UserError(
            f"{key}: {path}: expected a file name ending in {TEXTFILE_SUFFIX} (node_exporter's "
            f"textfile collector reads only *{TEXTFILE_SUFFIX} files); rename it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return path


def _file_key(warehouse: Path) -> tuple:
    """What changes when the warehouse is written: the file's and its WAL's size and mtime."""
    key = []
    for p in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        try:
            st = os.stat(p)
            key.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            key.append(None)
    return tuple(key)


class WarehouseCollector(Collector):
    """The latest computed day's families, read per scrape while the warehouse file changes and
    reused while it does not. A scrape that finds a run writing the warehouse (its lock held for
    more than SCRAPE_LOCK_WAIT_S) serves the figures it last read, with a warning on the log; the
    first read, with nothing to serve instead, waits as any reader does."""

    def __init__(self, warehouse: Path, version: str, lock_wait_s: float = SCRAPE_LOCK_WAIT_S):
        self.warehouse = Path(warehouse)
        self.version = version
        self.lock_wait_s = lock_wait_s
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._families: list[Metric] | None = None

    def describe(self) -> list[Metric]:
        return []  # registering reads nothing

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            key = _file_key(self.warehouse)
            if self._families is None or key != self._key:
                # the first read waits as long as any reader (WATTPRINT_LOCK_TIMEOUT_S)
                wait = None if self._families is None else self.lock_wait_s
                try:
                    fig = read_latest(self.warehouse, wait)
                except WarehouseBusy:
                    if self._families is None:
                        raise
                    log.warning(
                        "%s is being written; serving the figures read before", self.warehouse
                    )
                else:
                    self._families, self._key = families(fig, self.version), key
            return iter(self._families)
