"""Every default and external factor the method used, with its source; and the method caveats."""

from __future__ import annotations

import polars as pl

from pipeline.config import Config, GpuModel
from pipeline.disclosure.model import Factor


def _site_factors(cfg: Config) -> list[Factor]:
    f: list[Factor] = []
    for name, s in cfg.sites.items():
        f.append(Factor(name=f"PUE, {name}", value=f"{s.pue:g}", unit="ratio", source=s.pue_source))
        for month, pue in sorted(s.pue_by_month.items()):
            f.append(
                Factor(
                    name=f"PUE, {name}, {month}",
                    value=f"{pue:g}",
                    unit="ratio",
                    source=s.pue_source,
                )
            )
        f.append(
            Factor(
                name=f"WUE (on-site water), {name}",
                value=f"{s.wue_l_per_kwh:g}",
                unit="L/kWh IT",
                source=s.wue_source,
            )
        )
        f.append(
            Factor(
                name=f"Water intensity of electricity (off-site), {s.grid_zone}",
                value=f"{s.offsite_water_l_per_kwh:g}",
                unit="L/kWh facility",
                source=s.offsite_water_source,
            )
        )
        f.append(
            Factor(
                name=f"Annual grid intensity, {s.grid_zone} (fallback)",
                value=f"{s.annual_gco2e_per_kwh:g}",
                unit="gCO2e/kWh",
                source=s.annual_gco2e_source,
            )
        )
        if s.residual_mix_gco2e_per_kwh is not None:
            f.append(
                Factor(
                    name=f"Residual mix, {s.grid_zone}",
                    value=f"{s.residual_mix_gco2e_per_kwh:g}",
                    unit="gCO2e/kWh",
                    source=s.residual_mix_source or "not stated",
                )
            )
    return f


# A GPU model's values in pairs: one line when one source gives both (every entry without a
# library GPU, as before the library), else a line per value with its own source.
_GPU_PAIRS = (
    (
        ("TDP / idle power", "{tdp_w:g} / {idle_w:g}", "W"),
        (("TDP", "tdp_w", "W"), ("idle power", "idle_w", "W")),
    ),
    (
        ("embodied carbon over lifetime", "{embodied_kg:g} / {lifetime_years:g} y", "kgCO2e"),
        (
            ("embodied carbon", "embodied_kg", "kgCO2e"),
            ("service lifetime (embodied carbon spread over it)", "lifetime_years", "years"),
        ),
    ),
)


def _gpu_factors(name: str, g: GpuModel) -> list[Factor]:
    values = g.model_dump()
    out: list[Factor] = []
    for (label, text, unit), parts in _GPU_PAIRS:
        sources = {g.source_of(field) for _, field, _ in parts}
        if len(sources) == 1:
            value = text.format(**values)
            out.append(Factor(name=f"{name} {label}", value=value, unit=unit, source=sources.pop()))
        else:
            out += [
                Factor(name=f"{name} {lb}", value=f"{values[f]:g}", unit=u, source=g.source_of(f))
                for lb, f, u in parts
            ]
        if parts[0][1] == "tdp_w" and g.average_power_w is not None:
            out.append(
                Factor(
                    name=f"{name} average power (estimation path)",
                    value=f"{g.average_power_w:g}",
                    unit="W",
                    source=g.source_of("average_power_w"),
                )
            )
    return out


def _hardware_factors(cfg: Config) -> list[Factor]:
    f: list[Factor] = []
    for name, g in cfg.gpu_models.items():
        f += _gpu_factors(name, g)
    for name, s in cfg.server_models.items():
        f.append(
            Factor(
                name=f"{name} non-GPU server power (when not measured)",
                value=f"{s.overhead_w:g}",
                unit="W per server",
                source=s.source,
            )
        )
        f.append(
            Factor(
                name=f"{name} server embodied carbon over lifetime",
                value=f"{s.embodied_kg:g} / {s.lifetime_years:g} y",
                unit="kgCO2e",
                source=s.source,
            )
        )
    return f


def factors(cfg: Config) -> list[Factor]:
    f = _site_factors(cfg) + _hardware_factors(cfg)
    for inst in cfg.instruments:
        volume = f"{inst.mwh:g} MWh" if inst.mwh is not None else "hourly profile"
        f.append(
            Factor(
                name=f"{inst.kind} {inst.name}, {inst.site}, {inst.start}..{inst.end}",
                value=f"{volume} at {inst.gco2e_per_kwh:g}",
                unit="gCO2e/kWh",
                source=inst.source,
            )
        )
    util = ", ".join(f"{p} {u:g}" for p, u in cfg.estimation.utilisation_by_phase.items())
    f.append(
        Factor(
            name="Estimation path: GPU utilisation by phase",
            value=util,
            unit="0-1",
            source=cfg.estimation.source,
        )
    )
    f.append(
        Factor(
            name="Telemetry gap cap / fill cap",
            value=f"{cfg.telemetry.max_gap_s:g} / {cfg.telemetry.max_fill_s:g}",
            unit="s",
            source="wattprint configuration: longer gaps are estimated / left to the "
            "scheduler estimate",
        )
    )
    u = cfg.uncertainty
    for label, band in (
        ("measured GPU power", u.measured_power),
        ("estimated GPU power", u.estimated_power),
        ("configured host power", u.host_power_configured),
        ("measured host power", u.host_power_measured),
        ("PUE", u.pue),
        ("hourly grid intensity", u.grid_hourly),
        ("fallback grid intensity", u.grid_fallback),
        ("embodied carbon", u.embodied),
    ):
        f.append(
            Factor(
                name=f"Uncertainty: {label}",
                value=f"{band.rel_sd:g}",
                unit="relative sd",
                source=band.source,
            )
        )
    return f


def notes(cfg: Config, other_currencies: pl.DataFrame) -> list[str]:
    n = [
        "IT energy is GPU board energy (energy-counter deltas where the telemetry has them, "
        "else power samples integrated by the trapezoid rule where telemetry exists, else "
        "estimated as stated in the data-quality section; cut exactly at "
        "hour and job boundaries) plus host overhead (measured node power minus GPU power, else "
        "the configured non-GPU server watts), shared by GPU-hours; facility = IT × PUE.",
        "Idle is provisioned GPU capacity no job held. It is its own line in the own-boundary "
        "view, and spread over the jobs of the same site and day by GPU-hours in the full-boundary "
        "view.",
        "Allocations on host-hours without telemetry are estimated as GPU-hours × the GPU "
        "model's average power (or the power model at the phase's utilisation) and flagged.",
        "Per-request figures: accelerator-only = GPU energy of the model's serving jobs; full "
        "boundary = + host overhead, the idle-capacity share and facility overhead.",
    ]
    if any(s.residual_mix_gco2e_per_kwh is None for s in cfg.sites.values()):
        n.append(
            "Market-based carbon uses the location-based intensity for consumption no instrument "
            "covers at sites without a configured residual-mix factor: "
            + ", ".join(k for k, s in cfg.sites.items() if s.residual_mix_gco2e_per_kwh is None)
            + "."
        )
    if not cfg.instruments:
        n.append("No contractual instruments (PPAs, RECs, GOs) are configured.")
    unset = [k for k, s in cfg.sites.items() if s.offsite_water_l_per_kwh == 0.0]
    if unset:
        n.append(
            "Off-site water (electricity generation) is not configured for: " + ", ".join(unset)
        )
    if other_currencies.height:
        n.append(
            "Billing lines in currencies other than USD are not included in cost: "
            + ", ".join(
                f"{r['billing_currency'] or 'unknown'} {r['effective_cost']:.2f}"
                for r in other_currencies.iter_rows(named=True)
            )
        )
    return n
