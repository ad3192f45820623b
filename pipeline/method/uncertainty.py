"""Seeded, vectorised Monte Carlo uncertainty of the footprint figures (pure numpy + polars).

    bands = cfg.uncertainty
    summary = simulate(components, bands)   # group × metric: central, p5, p50, p95

`components` has one row per (group, site, grid_basis); a row that belongs to several groups
("total", "phase:training", "model:atlas-7b") is repeated once per group by the caller. Per Monte
Carlo sample s:

    it_s        = gm·M_meas + ge·M_est + hm·M_hostmeas + hc·M_hostconf
    facility_s  = it_s · pue · M_pue[site]
    co2e_loc_s  = facility_s · gco2e_per_kwh_location / 1000 · M_grid[site, grid_basis]
    co2e_mkt_s  = facility_s · gco2e_per_kwh_market / 1000 · M_grid[site, grid_basis]
    embodied_s  = embodied_kg · M_emb

Every multiplier M is lognormal with mean 1 and the configured relative standard deviation r:
sigma = sqrt(log(1 + r²)), mu = -sigma²/2, M = exp(mu + sigma·Z), Z standard normal. Mean 1 keeps
the expected value equal to the deterministic figure; lognormal keeps energy and carbon positive.
Because the distribution is right-skewed, p50 lies a little below `central`.

Which draws are shared (this sets the correlation, and with it how much summing averages out):

- M_meas, M_est, M_hostmeas, M_hostconf and M_emb: ONE draw per sample, shared by every row and
  every group. Their errors are systematic: one sensor calibration, one power model, one server
  overhead figure and one embodied-carbon LCA figure apply to every job, so they do not cancel
  when rows are added; a total is as uncertain, relative to its size, as each part.
- M_pue: one draw per site per sample. A site's PUE is one figure for the whole building, shared
  by all its rows; different sites' PUEs are estimated independently, so a multi-site total is
  relatively less uncertain than a single-site one (diversification).
- M_grid: one draw per (site, grid_basis) per sample. The hourly series and the monthly/annual
  fallback of a site come from different sources, and each site's grid from its own zone.
  Location- and market-based carbon of a row share the same M_grid: both scale one intensity
  estimate of that site and basis, so their uncertainties move together.
- The families are independent of each other.

Reproducibility: one `numpy.random.default_rng(bands.seed)` draws `bands.samples` standard normals
in a fixed order: the shared factors (measured_power, estimated_power, host_power_measured,
host_power_configured, embodied), then PUE per site in sorted site order, then grid per site in
sorted site order × basis (fallback, hourly; both bases for every site, so a site's draws do not
shift when a basis appears or disappears). Rows are put into a canonical order before anything is
summed, so the same seed and the same rows give bit-identical output whatever the input row order.

`central` is the sample with every multiplier exactly 1, computed as column 0 of the same
matrices as the samples, so with all spreads 0 p5 = p50 = p95 = central exactly. Quantiles are
numpy's default (linear interpolation). Memory: about five rows × (samples + 1) float64 matrices
at the peak, 8 bytes a cell: 10 MB each for 600 rows at the default 2,000 samples.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from pipeline.config import Uncertainty

KEY_COLUMNS = ("group", "site", "grid_basis")
# IT energy part → the band whose error it carries.
ENERGY_PARTS = {
    "gpu_measured_kwh": "measured_power",
    "gpu_estimated_kwh": "estimated_power",
    "host_measured_kwh": "host_power_measured",
    "host_configured_kwh": "host_power_configured",
}
VALUE_COLUMNS = (
    *ENERGY_PARTS,
    "pue",
    "gco2e_per_kwh_location",
    "gco2e_per_kwh_market",
    "embodied_kg",
)
# Draw order of the sample-wide factors; changing it changes every seeded result.
SHARED_BANDS = (*ENERGY_PARTS.values(), "embodied")
# Sorted basis names → band; the order is the draw order within a site.
GRID_BANDS = {"fallback": "grid_fallback", "hourly": "grid_hourly"}
METRICS = ("co2e_kg_location", "co2e_kg_market", "embodied_kg", "energy_kwh", "it_energy_kwh")
QUANTILES = {"p5": 0.05, "p50": 0.50, "p95": 0.95}
OUTPUT_SCHEMA = pl.Schema(
    {
        "group": pl.String,
        "metric": pl.String,
        "central": pl.Float64,
        **{name: pl.Float64 for name in QUANTILES},
    }
)
# A PUE is facility / IT energy; below 1 means swapped or mis-scaled inputs, but a ratio of sums
# may land an ulp or so under 1.0 for a site whose PUE is exactly 1.
PUE_FLOOR = 1.0 - 1e-9


def lognormal_parameters(rel_sd: float) -> tuple[float, float]:
    """(mu, sigma) of the log of a mean-1 lognormal with relative standard deviation `rel_sd`."""
    sigma = math.sqrt(math.log1p(rel_sd * rel_sd))
    return -0.5 * sigma * sigma, sigma


def _multipliers(z: np.ndarray, rel_sd: float) -> np.ndarray:
    """Mean-1 lognormal multipliers from standard normals, with a leading column of exact 1s
    (the central case) on the last axis."""
    mu, sigma = lognormal_parameters(rel_sd)
    central = np.ones((*z.shape[:-1], 1))
    return np.concatenate([central, np.exp(mu + sigma * z)], axis=-1)


def _canonical(components: pl.DataFrame) -> pl.DataFrame:
    """The rows checked, as float columns, in an order that depends only on their content."""
    missing = [c for c in (*KEY_COLUMNS, *VALUE_COLUMNS) if c not in components.columns]
    if missing:
        raise ValueError(
            f"components: missing column(s) {', '.join(missing)}; expected "
            f"{', '.join((*KEY_COLUMNS, *VALUE_COLUMNS))}"
        )
    try:
        rows = components.select(
            *(pl.col(c).cast(pl.String, strict=True) for c in KEY_COLUMNS),
            # + 0.0 turns -0.0 into 0.0, so the sort below cannot leave equal rows in input order.
            *(pl.col(c).cast(pl.Float64, strict=True) + 0.0 for c in VALUE_COLUMNS),
        )
    except pl.exceptions.InvalidOperationError as exc:
        raise ValueError(f"components: expected numeric value columns: {exc}") from None
    for column in rows.columns:
        if rows[column].null_count():
            raise ValueError(f"components: column {column} has nulls; expected a value per row")
    bad_basis = sorted(set(rows["grid_basis"].unique()) - set(GRID_BANDS))
    if bad_basis:
        raise ValueError(
            f"components: grid_basis {', '.join(map(repr, bad_basis))}; "
            f"expected one of {', '.join(GRID_BANDS)}"
        )
    for column in VALUE_COLUMNS:
        floor = PUE_FLOOR if column == "pue" else 0.0
        bad = rows.filter(~pl.col(column).is_finite() | (pl.col(column) < floor))
        if bad.height:
            first = bad.row(0, named=True)
            expected = "a finite ratio >= 1" if column == "pue" else "a finite value >= 0"
            raise ValueError(
                f"components: {column} = {first[column]!r} for group {first['group']!r}, site "
                f"{first['site']!r}, grid_basis {first['grid_basis']!r}; expected {expected} "
                f"({bad.height} row(s) affected)"
            )
    return rows.sort(rows.columns)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=OUTPUT_SCHEMA)


def simulate(components: pl.DataFrame, bands: Uncertainty) -> pl.DataFrame:
    """Central value and 5th/50th/95th percentiles per (group, metric); see the module docstring."""
    rows = _canonical(components)
    if rows.height == 0:
        return _empty()
    samples = bands.samples
    rng = np.random.default_rng(bands.seed)
    sites = np.array(sorted(rows["site"].unique().to_list()), dtype=object)
    z_shared = rng.standard_normal((len(SHARED_BANDS), samples))
    z_pue = rng.standard_normal((len(sites), samples))
    z_grid = rng.standard_normal((len(sites), len(GRID_BANDS), samples))

    shared = {
        name: _multipliers(z_shared[i], getattr(bands, name).rel_sd)
        for i, name in enumerate(SHARED_BANDS)
    }  # name → (samples + 1,)
    pue_m = _multipliers(z_pue, bands.pue.rel_sd)  # site × (samples + 1)
    grid_m = np.stack(
        [
            _multipliers(z_grid[:, b], getattr(bands, band).rel_sd)
            for b, band in enumerate(GRID_BANDS.values())
        ],
        axis=1,
    )  # site × basis × (samples + 1)

    site_idx = np.searchsorted(sites, rows["site"].to_numpy().astype(object))
    basis_idx = np.searchsorted(
        np.array(list(GRID_BANDS), dtype=object), rows["grid_basis"].to_numpy().astype(object)
    )
    group_names = rows["group"].to_numpy()
    # Rows are sorted by group, so each group is one contiguous run summed top to bottom.
    starts = np.flatnonzero(np.r_[True, group_names[1:] != group_names[:-1]])

    def value(column: str) -> np.ndarray:
        return rows[column].to_numpy()[:, None]

    # A segment sum rather than an indicator-matrix product: BLAS may block or fuse the sums
    # differently per column and per machine, which would break both bit-identical reruns and
    # the exact equality of zero-spread samples with the central column.
    def per_group(row_matrix: np.ndarray) -> np.ndarray:
        return np.add.reduceat(row_matrix, starts, axis=0)

    it_kwh = (
        value("gpu_measured_kwh") * shared["measured_power"]
        + value("gpu_estimated_kwh") * shared["estimated_power"]
        + value("host_measured_kwh") * shared["host_power_measured"]
        + value("host_configured_kwh") * shared["host_power_configured"]
    )
    facility_kwh = it_kwh * value("pue") * pue_m[site_idx]
    grid = grid_m[site_idx, basis_idx]
    totals = {
        "it_energy_kwh": per_group(it_kwh),
        "energy_kwh": per_group(facility_kwh),
        "co2e_kg_location": per_group(
            facility_kwh * (value("gco2e_per_kwh_location") / 1000) * grid
        ),
        "co2e_kg_market": per_group(facility_kwh * (value("gco2e_per_kwh_market") / 1000) * grid),
        "embodied_kg": per_group(value("embodied_kg") * shared["embodied"]),
    }

    groups = group_names[starts]
    frames = []
    for metric in METRICS:
        by_group = totals[metric]
        levels = np.quantile(by_group[:, 1:], list(QUANTILES.values()), axis=1)
        frames.append(
            pl.DataFrame(
                {
                    "group": groups,
                    "metric": [metric] * len(groups),
                    "central": by_group[:, 0],
                    **{name: levels[i] for i, name in enumerate(QUANTILES)},
                },
                schema=OUTPUT_SCHEMA,
            )
        )
    return pl.concat(frames).sort("group", "metric")
