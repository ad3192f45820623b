"""Conservation end to end: every derived table reconciles with the one before it.

    raw_gpu_samples → gpu_energy_intervals → gpu_energy_attributed → footprint_hourly
    (and its own factors) → daily_summary → the disclosure's totals

Each link is one aggregate query per window, `sql/checks/select_reconcile_<table>.sql`, returning
one row per quantity: groups checked, groups off by more than atol + rtol × |expected|, the largest
difference and where, and the window's totals on both sides. A link fails when any group is off,
and also when the window holds nothing to check at all: a window that should hold data but holds
none is not a pass with 0 checked. docs/checks-conservation.md lists every quantity and tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from pipeline.config import Config
from pipeline.method.energy import WRAP_MAX_TDP_RATIO
from pipeline.warehouse import lake, run

# Relative tolerance of sums that should be equal: the tables sum the same doubles in other
# groupings and orders, which moves a sum of n terms by about n × 2^-53 ≈ n × 1.1e-16 of its size;
# 1e-9 leaves room for a billion terms and is still a millionth of the smallest tamper the tests
# make (one row of a day's thousand).
RTOL = 1e-9
# Absolute floor beside it, in the quantity's own unit (Wh, s, W, kWh, kg, L, USD), for groups
# whose expected value is 0 or tiny.
ATOL = 1e-6
# Attribution sums energy as integer nanowatt-hours and time as integer microseconds (0.5 nWh and
# 0.5 µs of rounding per piece, ~240 pieces per GPU-hour at 15 s): the existing conservation
# tolerance (checks.TOLERANCE_WH, 1 mWh per GPU-hour) holds for Wh and s alike.
ATTRIBUTION_ATOL = 1e-3


@dataclass(frozen=True)
class Quantity:
    """One quantity of one reconciliation over a window."""

    quantity: str
    against: str  # what this table's figure is compared with
    checked: int  # groups (GPU-hours, footprint rows, site-days, ...) compared
    failing: int
    worst_abs_diff: float  # in the quantity's unit
    worst_at: str | None  # the group with the largest difference
    total: float  # this table's figure over the window
    upstream_total: float  # what the table before it (or the recomputation) says

    @property
    def change_pct(self) -> float | None:
        if not self.upstream_total:
            return None
        return 100.0 * (self.total - self.upstream_total) / abs(self.upstream_total)


def _num(x: float) -> str:
    return f"{x:,.1f}" if abs(x) >= 0.1 or x == 0 else f"{x:.3g}"


def _pct(p: float | None) -> str:
    if p is None:
        return "n/a"
    return f"{p:+.1f} %" if abs(p) >= 0.05 else f"{p:+.2g} %"


@dataclass(frozen=True)
class Reconciliation:
    """A derived table against the one before it, over one window."""

    name: str  # the check's name, e.g. daily_summary_reconciled
    table: str
    upstream: str
    grain: str  # what a checked group is, plural: "GPU-hours", "site-days"
    window: str  # "2026-10-01..2026-10-02"
    quantities: tuple[Quantity, ...]
    # The telemetry links: a window without telemetry has no samples and so no pieces, which is
    # not this link's failure (coverage reports the GPU-hours without telemetry); every later
    # table must hold rows for any window the pipeline computed.
    empty_passes: bool = False

    @property
    def checked(self) -> int:
        return max((q.checked for q in self.quantities), default=0)

    @property
    def failing(self) -> tuple[Quantity, ...]:
        return tuple(q for q in self.quantities if q.failing)

    @property
    def passed(self) -> bool:
        return (self.checked > 0 or self.empty_passes) and not self.failing

    @property
    def worst_abs_diff(self) -> float:
        return max((q.worst_abs_diff for q in self.quantities), default=0.0)

    def detail(self) -> str:
        """One line for the report and the check: what failed, by how much, or what passed."""
        if not self.checked and self.empty_passes:
            return (
                f"{self.table}: no telemetry in {self.window} (no rows in {self.table} nor in "
                f"{self.upstream}): nothing to reconcile"
            )
        if not self.checked:
            return (
                f"{self.table}: nothing to check in {self.window}: no rows in {self.table} nor in "
                f"{self.upstream}, a window that should hold data"
            )
        if not self.failing:
            return (
                f"{self.table}: {self.checked:,} {self.grain} × {len(self.quantities)} quantities "
                f"agree with {self.upstream} (largest difference {self.worst_abs_diff:.2g})"
            )
        return "; ".join(
            f"{self.table}: {q.quantity} {_num(q.total)} vs {q.against} "
            f"{_num(q.upstream_total)} ({_pct(q.change_pct)}), {q.failing:,} of {q.checked:,} "
            f"{self.grain} off (worst {q.worst_abs_diff:.3g} at {q.worst_at})"
            for q in self.failing
        )

    def metadata(self) -> dict[str, Any]:
        """Figures for a Dagster check result: per quantity, checked / failing / worst."""
        out: dict[str, Any] = {
            "table": self.table,
            "against": self.upstream,
            "window": self.window,
            "grain": self.grain,
            "groups_checked": self.checked,
            "detail": self.detail(),
        }
        for q in self.quantities:
            out[f"{q.quantity}_failing"] = q.failing
            out[f"{q.quantity}_worst_abs_diff"] = q.worst_abs_diff
        return out


def _reconcile(
    con: duckdb.DuckDBPyConnection,
    table: str,
    upstream: str,
    grain: str,
    window: str,
    params: dict[str, Any],
    name: str | None = None,
    query: str | None = None,
    empty_passes: bool = False,
) -> Reconciliation:
    rows = run(con, query or f"select_reconcile_{table}", params).fetchall()
    quantities = tuple(
        Quantity(q, against, int(n), int(bad), float(worst), at, float(a), float(b))
        for q, against, n, bad, worst, at, a, b in rows
    )
    name = name or f"{table}_reconciled"
    return Reconciliation(name, table, upstream, grain, window, quantities, empty_passes)


def _link(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    table: str,
    upstream: str,
    grain: str,
    extra: dict[str, Any] | None = None,
    atol: float = ATOL,
    rtol: float = RTOL,
    **kw: Any,
) -> Reconciliation:
    """A link over [start, end): whole days read as their first..last day."""
    if start.time() == end.time() == time.min:
        window = f"{start.date()}..{(end - timedelta(days=1)).date()}"
    else:
        window = f"[{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M})"
    params = {"start": start, "end": end, "atol": atol, "rtol": rtol, **(extra or {})}
    return _reconcile(con, table, upstream, grain, window, params, **kw)


def gpu_energy_intervals(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> Reconciliation:
    """Pieces against the samples they were cut from (per GPU-hour)."""
    extra = {
        "near_h": math.floor(cfg.telemetry.max_gap_s / 3600.0) + 1,
        "max_tdp_ratio": WRAP_MAX_TDP_RATIO,
        "fills_hours": cfg.telemetry.max_fill_s >= 3600.0,
    }
    args = ("gpu_energy_intervals", "raw_gpu_samples", "GPU-hours", extra)
    near = timedelta(hours=extra["near_h"])
    with lake.narrowed(con, start - near, end + near):  # open only the window's lake files
        return _link(con, start, end, *args, empty_passes=True)


def gpu_energy_attributed(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> Reconciliation:
    """Jobs + idle against the pieces (per GPU-hour): energy, GPU-seconds, measured energy."""
    args = ("gpu_energy_attributed", "gpu_energy_intervals", "GPU-hours")
    return _link(con, start, end, *args, atol=ATTRIBUTION_ATOL, rtol=0.0, empty_passes=True)


def footprint_hourly(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> Reconciliation:
    """Footprint sums against the attributed rows (per hour × site × job)."""
    return _link(con, start, end, "footprint_hourly", "gpu_energy_attributed", _ROWS)


def footprint_factors(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> Reconciliation:
    """Each footprint row recomputed from its energy and factors: carbon = energy × intensity,
    water, embodied, instruments."""
    factors = "its factors (sites, raw_grid_intensity, instrument_hours)"
    query = "select_reconcile_footprint_factors"
    return _link(
        con,
        start,
        end,
        "footprint_hourly",
        factors,
        _ROWS,
        name="footprint_hourly_factors",
        query=query,
    )


def daily_summary(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> Reconciliation:
    """The daily rows against the hourly footprint (per day × site × idle or jobs)."""
    return _link(con, start, end, "daily_summary", "footprint_hourly", "site-day groups")


_ROWS = "hour-site-job rows"


def window_reconciliations(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> list[Reconciliation]:
    """Every table-to-table link over [start, end), in pipeline order."""
    return [
        gpu_energy_intervals(con, cfg, start, end),
        gpu_energy_attributed(con, start, end),
        footprint_hourly(con, start, end),
        footprint_factors(con, start, end),
        daily_summary(con, start, end),
    ]


def disclosure(
    con: duckdb.DuckDBPyConnection,
    start_day: date,
    end_day: date,
    figures: dict[str, float],
) -> Reconciliation:
    """The figures the report is about to publish against daily_summary (and cost_attributed).
    `figures` holds every `$name` of sql/checks/select_reconcile_disclosure.sql but the window and
    tolerances: the Totals fields, the sums of the phase, site and full-boundary lines, and the
    annual instrument kWh."""
    params = {"start_day": start_day, "end_day": end_day, "atol": ATOL, "rtol": RTOL, **figures}
    return _reconcile(
        con,
        "disclosure",
        "daily_summary",
        "period",
        f"{start_day}..{end_day}",
        params,
        query="select_reconcile_disclosure",
    )


_TOTALS = (
    *("energy_kwh", "it_energy_kwh", "facility_overhead_kwh", "gpu_energy_kwh", "host_energy_kwh"),
    *("gpu_hours", "co2e_kg_location", "co2e_kg_market", "instrument_kwh", "cost_usd"),
    *("water_l", "water_onsite_l", "water_offsite_l"),
    *("embodied_kg", "embodied_gpu_kg", "embodied_server_kg"),
)


def disclosed(totals: Any, phases: dict[str, Any], sites: list[Any], annual_kwh: float) -> dict:
    """The disclosure's figures as `disclosure` takes them: the Totals fields, what its phase,
    site and full-boundary lines add up to, and the kWh annual instruments covered."""
    return {
        **{k: float(getattr(totals, k)) for k in _TOTALS},
        "phases_energy_kwh": sum(p.energy_kwh for p in phases.values()),
        "sites_energy_kwh": sum(s.energy_kwh for s in sites),
        "full_boundary_energy_kwh": sum(p.full_boundary.energy_kwh for p in phases.values()),
        "annual_instrument_kwh": float(annual_kwh),
    }
