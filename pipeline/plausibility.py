"""Plausible ranges of the input quantities, with their sources, applied where rows enter the
warehouse (pipeline/ingest.py, and `wattprint validate`).

A reader checks a row's format (a number, a time, three capital letters); `screen` then checks
that what it says is physically or commercially possible, and quarantines the rows that are not,
with one line naming the quantity, the value, the range and its source (rows read = accepted +
quarantined still holds). docs/checks-plausibility.md explains each range:
- grid carbon intensity, direct and life-cycle: 0-1,500 gCO2e/kWh;
- GPU power: 0 to 1.5 x the TDP of the host's GPU model (an absolute bound off the inventory);
- GPU energy counter: a reading that breaks an otherwise plausible series (an impossible rise then
  a fall back, or the reverse); pipeline/method/pieces.py prices no rise above
  the bound;
- node power: 0 to the host's GPUs at their bound plus the non-GPU part;
- billing: an ISO 4217 currency (pipeline/iso4217.py); no negative implied list unit price;
- PUE 1.0-3.0 and on-site WUE 0-10 L/kWh: config values, refused by pipeline/config/fleet.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import polars as pl

from pipeline import iso4217
from pipeline.readers._text import problem
from pipeline.readers.base import ReadResult

if TYPE_CHECKING:
    from pipeline.config import Config


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    unit: str
    source: str

    def text(self) -> str:
        return f"{self.lo:,g}-{self.hi:,g} {self.unit}".rstrip()


GRID_INTENSITY = Range(
    0.0,
    1500.0,
    "gCO2e/kWh",
    "no zone's mean can exceed its dirtiest plant: coal is 740-910 life-cycle in IPCC AR5 WG3 "
    "Annex III and at most 1,130 in three studies of four reviewed in IPCC SRREN Annex II",
)
# The power a board can draw, as a multiple of its TDP: 1.5 x leaves room for millisecond
# excursions and for boards configured above their listed TDP (A100 SXM 500 W variants: 1.25 x),
# while mW/kW unit mistakes and garbage fall far outside.
GPU_POWER_MAX_TDP_RATIO = 1.5
GPU_POWER_SOURCE = (
    "nvidia-smi power.draw is a 1 s average on Ampere and newer (nvidia-smi --help-query-gpu), "
    "held by the power limit, at most the TDP on data-centre boards; excursions last milliseconds"
)
# A host outside the inventory: 1.5 x the highest current data-centre GPU TDP (NVIDIA B300 and
# GB300, up to 1,400 W per GPU).
GPU_POWER_ABSOLUTE_MAX_W = GPU_POWER_MAX_TDP_RATIO * 1400.0
# Node power: the GPUs at their bound plus the non-GPU part at twice its configured power, at
# least 4 kW (two 500 W CPU sockets, DRAM, NICs, fans and supply losses, with margin); a host
# outside the inventory counts 8 GPUs at the absolute bound.
NODE_NON_GPU_MIN_W = 4000.0
NODE_SOURCE = "a DGX H100 (8 x 700 W GPUs) is specified at 10.2 kW maximum"
NODE_ABSOLUTE_MAX_W = 8 * GPU_POWER_ABSOLUTE_MAX_W + NODE_NON_GPU_MIN_W
# PUE and WUE are config values: pipeline/config/fleet.py refuses a site outside these ranges
PUE = Range(1.0, 3.0, "", "The Green Grid: 1.0 is the ideal; Uptime Institute 2023 mean 1.58")
WUE_MAX_L_PER_KWH = 10.0
WUE = Range(
    0.0,
    WUE_MAX_L_PER_KWH,
    "L/kWh",
    "The Green Grid WUE; evaporatively cooled sites report about 0.2-2 L/kWh (Shehabi et al. "
    "2016, LBNL-1005775: US mean 1.8), so 10 is a unit mistake (e.g. mL)",
)
LIST_PRICE_SOURCE = "FOCUS 1.x: ListUnitPrice MUST be a non-negative decimal value"


@dataclass(frozen=True)
class HostLimits:
    gpu_model: str
    tdp_w: float
    gpus: int
    overhead_w: float

    @property
    def gpu_max_w(self) -> float:
        return GPU_POWER_MAX_TDP_RATIO * self.tdp_w

    @property
    def node_max_w(self) -> float:
        return self.gpus * self.gpu_max_w + max(2 * self.overhead_w, NODE_NON_GPU_MIN_W)


@dataclass(frozen=True)
class Limits:
    """What the ranges need from the inventory: per host, its GPU model's TDP and its GPUs."""

    hosts: Mapping[str, HostLimits] = field(default_factory=dict)

    @classmethod
    def from_config(cls, cfg: Config) -> Limits:
        return cls(
            {
                r["host"]: HostLimits(r["gpu_model"], r["tdp_w"], r["gpus"], r["host_overhead_w"])
                for r in cfg.host_rows()
            }
        )

    @cached_property
    def host_frame(self) -> pl.DataFrame:
        """Per host: the GPU and node power bounds (W) and how each was reached, as text."""
        rows = [
            {
                "host": h,
                "_gpu_max_w": lim.gpu_max_w,
                "_gpu_range": f"0-{lim.gpu_max_w:,g} W for GPU model {lim.gpu_model} "
                f"({GPU_POWER_MAX_TDP_RATIO:g} x TDP {lim.tdp_w:,g} W: {GPU_POWER_SOURCE})",
                "_node_max_w": lim.node_max_w,
                "_gpus": lim.gpus,
                "_node_range": f"0-{lim.node_max_w:,g} W for host {h} ({lim.gpus} GPUs x "
                f"{lim.gpu_max_w:,g} W + max(2 x {lim.overhead_w:,g} W non-GPU, "
                f"{NODE_NON_GPU_MIN_W:,g} W); {NODE_SOURCE})",
            }
            for h, lim in self.hosts.items()
        ]
        schema = {"host": pl.String, "_gpu_max_w": pl.Float64, "_gpu_range": pl.String}
        schema |= {"_gpus": pl.Int32, "_node_max_w": pl.Float64, "_node_range": pl.String}
        return pl.DataFrame(rows, schema=schema)


def _unknown(what: str, bound: float, why: str) -> pl.Expr:
    return pl.lit(f"0-{bound:,g} W ({what}; host not in the inventory: {why})")


def _with_host_limits(frame: pl.DataFrame, limits: Limits) -> pl.DataFrame:
    joined = frame.join(limits.host_frame, on="host", how="left", maintain_order="left")
    gpu_why = f"{GPU_POWER_MAX_TDP_RATIO:g} x the highest data-centre GPU TDP, 1,400 W"
    node_why = f"8 GPUs x {GPU_POWER_ABSOLUTE_MAX_W:,g} W + {NODE_NON_GPU_MIN_W:,g} W"
    return joined.with_columns(
        pl.col("_gpu_max_w").fill_null(GPU_POWER_ABSOLUTE_MAX_W),
        pl.col("_gpu_range").fill_null(_unknown("GPU power", GPU_POWER_ABSOLUTE_MAX_W, gpu_why)),
        pl.col("_node_max_w").fill_null(NODE_ABSOLUTE_MAX_W),
        pl.col("_node_range").fill_null(_unknown("node power", NODE_ABSOLUTE_MAX_W, node_why)),
    )


Check = tuple[pl.Expr, pl.Expr]  # (the row is implausible, why); no window functions


def _outside(
    column: str, lo: pl.Expr | float, hi: pl.Expr | float, unit: str, rng: pl.Expr
) -> Check:
    value = pl.col(column)
    bad = ((value < lo) | (value > hi)).fill_null(False)
    return bad, pl.format(f"{column} {{}} {unit} is outside the plausible range {{}}", value, rng)


def _grid(frame: pl.DataFrame, limits: Limits) -> tuple[pl.DataFrame, list[Check]]:
    r = GRID_INTENSITY
    rng = pl.lit(f"{r.text()} ({r.source})")
    columns = ("gco2e_per_kwh_direct", "gco2e_per_kwh_lca")
    return frame, [_outside(c, r.lo, r.hi, r.unit, rng) for c in columns]


def _with_neighbours(frame: pl.DataFrame) -> pl.DataFrame:
    """Each sample's previous and next counter reading and time on its GPU (`_e0`, `_e2`, `_t0`,
    `_t2`), so the counter check needs no window function on a subset of rows."""
    order = {"partition_by": ["host", "gpu_index"], "order_by": "ts_utc"}
    e, t = pl.col("energy_mj"), pl.col("ts_utc")
    return frame.with_columns(
        _e0=e.shift(1).over(**order),
        _e2=e.shift(-1).over(**order),
        _t0=t.shift(1).over(**order),
        _t2=t.shift(-1).over(**order),
    )


def _counter_check() -> Check:
    """A counter reading whose neighbours agree with each other (a rise within the power bound)
    while it disagrees with both: an impossible rise then a fall back, or a fall then an
    impossible rise back. Either alone is a reset or a jump, which the pieces SQL handles."""
    e, e0, e2 = pl.col("energy_mj"), pl.col("_e0"), pl.col("_e2")

    def most(a: str, b: str) -> pl.Expr:  # mJ the GPU can draw between times a and b
        return pl.col("_gpu_max_w") * (pl.col(b) - pl.col(a)).dt.total_microseconds() / 1e3

    bridge = e2 - e0
    agree = (bridge >= 0) & (bridge <= most("_t0", "_t2"))
    spike = (e - e0 > most("_t0", "ts_utc")) & (e2 < e)
    dip = (e < e0) & (e2 - e > most("ts_utc", "_t2"))
    bad = (agree & (spike | dip)).fill_null(False)
    text = "energy_mj {} breaks its GPU's counter series ({} before it, {} after): reaching it"
    text += " and leaving it would take more power than {}"
    reason = pl.format(text, e, e0, e2, pl.col("_gpu_range"))
    return bad, reason


def _beyond_inventory() -> Check:
    """A GPU index the host's inventory does not have (every telemetry format; the nvidia-smi
    reader numbers GPUs without an index column against the same count). Hosts missing from the
    inventory keep their GPUs: the coverage report lists them."""
    gpus, index = pl.col("_gpus"), pl.col("gpu_index")
    bad = (index >= gpus).fill_null(False)
    text = "gpu_index: GPU index {} is beyond the GPUs the inventory has (host_groups lists {} "
    text += "for host {}, indices 0-{})"
    return bad, pl.format(text, index, gpus, pl.col("host"), gpus - 1)


def _gpu(frame: pl.DataFrame, limits: Limits) -> tuple[pl.DataFrame, list[Check]]:
    frame = _with_host_limits(frame, limits)
    checks = [
        _beyond_inventory(),
        _outside("power_w", 0.0, pl.col("_gpu_max_w"), "W", pl.col("_gpu_range")),
    ]
    if frame.height - frame.get_column("energy_mj").null_count() >= 3:
        frame = _with_neighbours(frame)
        checks.append(_counter_check())
    return frame, checks


def _node(frame: pl.DataFrame, limits: Limits) -> tuple[pl.DataFrame, list[Check]]:
    frame = _with_host_limits(frame, limits)
    rng = pl.col("_node_range")
    return frame, [_outside("node_power_w", 0.0, pl.col("_node_max_w"), "W", rng)]


def _billing(frame: pl.DataFrame, limits: Limits) -> tuple[pl.DataFrame, list[Check]]:
    currency = pl.col("billing_currency")
    unknown = currency.is_not_null() & ~currency.is_in(list(iso4217.CODES))
    what = currency.replace_strict(iso4217.NOT_MONEY, default=None, return_dtype=pl.String)
    which = (
        pl.when(what.is_not_null())
        .then(pl.format("is ISO 4217's code for {}", what))
        .otherwise(pl.lit("is not an ISO 4217 currency code"))
    )
    text = f"billing_currency '{{}}' {{}}: costs in it cannot be reconciled ({iso4217.SOURCE})"
    currency_reason = pl.format(text, currency, which)
    quantity, cost = pl.col("consumed_quantity"), pl.col("list_cost")
    price = cost / quantity
    negative = ((quantity != 0) & (price < 0)).fill_null(False)
    why = f"is negative; {LIST_PRICE_SOURCE}"
    price_reason = pl.format(
        f"list unit price {{}} (ListCost {{}} / ConsumedQuantity {{}}) {why}", price, cost, quantity
    )
    return frame, [(unknown.fill_null(False), currency_reason), (negative, price_reason)]


CHECKS: dict[str, Callable[[pl.DataFrame, Limits], tuple[pl.DataFrame, list[Check]]]] = {
    "raw_grid_intensity": _grid,
    "raw_gpu_samples": _gpu,
    "raw_node_power": _node,
    "raw_billing": _billing,
}


def _row_text(row: dict) -> str:
    return ", ".join(
        f"{k}={v}" for k, v in row.items() if v is not None and k not in ("source_path", "line")
    )


def screen(result: ReadResult, limits: Limits) -> ReadResult:
    """`result` with the rows outside their plausible range moved to its quarantine."""
    checks_for = CHECKS.get(result.table)
    if checks_for is None or result.frame.height == 0:
        return result
    columns = result.frame.columns
    frame, checks = checks_for(result.frame, limits)
    flags = frame.select([b.alias(f"_bad{i}") for i, (b, _) in enumerate(checks)])
    bad = flags.select(pl.any_horizontal(pl.all())).to_series()
    if not bad.any():
        return result
    # reasons only for the flagged rows: every check expression is row-wise
    flagged = pl.concat([frame, flags], how="horizontal").filter(bad)
    why = [pl.when(pl.col(f"_bad{i}")).then(r) for i, (_, r) in enumerate(checks)]
    reasons = flagged.select(pl.concat_str(why, separator="; ", ignore_nulls=True)).to_series()
    new = [
        problem(row["line"], reason, _row_text(row))
        for row, reason in zip(flagged.select(columns).iter_rows(named=True), reasons, strict=True)
    ]
    return ReadResult(
        path=result.path,
        format=result.format,
        table=result.table,
        frame=result.frame.filter(~bad),
        problems=sorted([*result.problems, *new], key=lambda p: p.line),
        rows_read=result.rows_read,
    )
