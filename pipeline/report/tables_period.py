"""The report's tables of the period: the title block, headline figures and their change, phases
(own and full boundary), daily energy, sites, teams and uncertainty (see tables.py)."""

from __future__ import annotations

from pipeline.disclosure.model import HEADLINE_METRICS, Disclosure, Quantiles, Totals
from pipeline.report.phases import ordered_phases
from pipeline.report.table import Built, pick

# The uncertainty table prints these metrics only (disclosure.json carries all of them).
UNCERTAINTY_METRICS: tuple[str, ...] = ("energy_kwh", "co2e_kg_location", "co2e_kg_market")


def metadata(d: Disclosure) -> Built:
    cols = (
        "title",
        "organisation",
        "period_start",
        "period_end",
        "period_days",
        "generated_at",
        "code_version",
        "config_sha256",
        "schema_version",
        "input_files",
    )
    p = d.period
    row = (
        d.title,
        d.organisation,
        p.start,
        p.end,
        p.days,
        d.generated_at,
        d.code_version,
        d.config_sha256,
        d.schema_version,
        len(d.inputs),
    )
    return "Report: organisation, period, code version and config hash", cols, [row]


def totals(d: Disclosure) -> Built:
    cols = tuple(Totals.model_fields)
    return "Headline figures (totals of the period)", cols, [pick(d.totals, cols)]


def comparison(d: Disclosure) -> Built:
    cols = ("metric", "current", "previous", "change_pct")
    rows = []
    cmp = d.previous
    if cmp is not None and cmp.totals is not None:
        rows = [
            (key, getattr(d.totals, key), getattr(cmp.totals, key), cmp.change_pct.get(key))
            for key in HEADLINE_METRICS
        ]
    return "Change against the previous period (unit in the metric name)", cols, rows


_PHASE_COLS = (
    "energy_kwh",
    "it_energy_kwh",
    "gpu_hours",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "cost_usd",
    "share_pct",
)


def phases(d: Disclosure) -> Built:
    rows = [(ph, *pick(d.phases[ph], _PHASE_COLS)) for ph in ordered_phases(d.phases)]
    return "Training vs inference: phases, own boundary", ("phase", *_PHASE_COLS), rows


_FULL_COLS = (
    "energy_kwh",
    "gpu_hours",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
    "share_pct",
)


def phases_full_boundary(d: Disclosure) -> Built:
    rows = [
        (ph, *pick(f, _FULL_COLS))
        for ph in ordered_phases(d.phases)
        if (f := d.phases[ph].full_boundary) is not None
    ]
    title = "Full boundary: idle capacity spread over the phases"
    return title, ("phase", *_FULL_COLS), rows


def daily_phase_energy(d: Disclosure) -> Built:
    rows = [(r.day, r.phase, r.energy_kwh) for r in d.daily]
    title = "Daily facility energy by phase (the data of the daily chart)"
    return title, ("day", "phase", "energy_kwh"), rows


_SITE_COLS = (
    "site",
    "grid_zone",
    "pue",
    "mean_gco2e_per_kwh",
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "cfe_pct",
    "hourly_matched_kwh",
    "annual_volume_kwh",
    "annual_matched_kwh",
)


def sites(d: Disclosure) -> Built:
    return "Sites and grids", _SITE_COLS, [pick(s, _SITE_COLS) for s in d.sites]


_TEAM_COLS = ("team", "gpu_hours", "energy_kwh", "co2e_kg_location")


def teams(d: Disclosure) -> Built:
    return "Teams", _TEAM_COLS, [pick(t, _TEAM_COLS) for t in d.teams]


_QUANTILE_PARTS = ("central", "p5", "p95")  # the report prints central and the P5-P95 band


def uncertainty_groups(d: Disclosure) -> list[tuple[str, dict[str, Quantiles]]]:
    """The uncertainty table's rows: (group, {metric: quantiles}) in print order.

    Total first, then the phases in `ordered_phases` order, then the models' groups sorted, then
    any other group sorted; only the metrics in UNCERTAINTY_METRICS. The same order as
    `render.uncertainty_rows`, which prints labels instead of the group keys.
    """
    if d.uncertainty is None:
        return []
    by_group: dict[str, dict[str, Quantiles]] = {}
    for q in d.uncertainty.quantiles:
        if q.metric in UNCERTAINTY_METRICS:
            by_group.setdefault(q.group, {})[q.metric] = q
    order = ["total", *(f"phase:{p}" for p in ordered_phases(d.phases))]
    order += sorted(g for g in by_group if g.startswith("model:"))
    order += sorted(g for g in by_group if g not in order)
    return [(g, by_group[g]) for g in order if g in by_group]


def uncertainty(d: Disclosure) -> Built:
    cols = ("group", *(f"{m}_{part}" for m in UNCERTAINTY_METRICS for part in _QUANTILE_PARTS))
    rows = [
        (
            group,
            *(
                getattr(qs[m], part) if m in qs else None
                for m in UNCERTAINTY_METRICS
                for part in _QUANTILE_PARTS
            ),
        )
        for group, qs in uncertainty_groups(d)
    ]
    title = "Uncertainty: Monte Carlo central figure and 5th-95th percentiles"
    return title, cols, rows
