"""Monte Carlo uncertainty (pipeline/method/uncertainty.py) against hand-worked values, lognormal
quantiles from their closed form, and the correlation structure the module documents.

A mean-1 lognormal multiplier with relative standard deviation r has sigma = sqrt(ln(1 + r²)),
mu = -sigma²/2, and quantile q at exp(mu + z_q·sigma) (z_0.05 = -1.6449, z_0.95 = +1.6449).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pipeline.config import Uncertainty, UncertaintyBand
from pipeline.method.uncertainty import simulate

BAND_NAMES = (
    "measured_power",
    "estimated_power",
    "host_power_measured",
    "host_power_configured",
    "pue",
    "grid_hourly",
    "grid_fallback",
    "embodied",
)
METRICS = ["co2e_kg_location", "co2e_kg_market", "embodied_kg", "energy_kwh", "it_energy_kwh"]
Z95 = 1.6449


def bands(seed: int = 11, samples: int = 2000, **rel_sd: float) -> Uncertainty:
    """Every band's spread 0 unless named."""
    return Uncertainty(
        seed=seed,
        samples=samples,
        **{n: UncertaintyBand(rel_sd=rel_sd.pop(n, 0.0), source="test") for n in BAND_NAMES},
        **rel_sd,  # a misspelt band name reaches the strict config model and fails there
    )


def row(group: str = "total", site: str = "a", grid_basis: str = "hourly", **values: float) -> dict:
    base = {
        "gpu_measured_kwh": 0.0,
        "gpu_estimated_kwh": 0.0,
        "host_measured_kwh": 0.0,
        "host_configured_kwh": 0.0,
        "pue": 1.0,
        "gco2e_per_kwh_location": 0.0,
        "gco2e_per_kwh_market": 0.0,
        "embodied_kg": 0.0,
    }
    unknown = set(values) - set(base)
    assert not unknown, unknown
    return {"group": group, "site": site, "grid_basis": grid_basis, **base, **values}


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows))


def pick(result: pl.DataFrame, group: str, metric: str) -> dict:
    [found] = result.filter((pl.col("group") == group) & (pl.col("metric") == metric)).to_dicts()
    return found


def lognormal_quantiles(rel_sd: float) -> tuple[float, float, float]:
    sigma = math.sqrt(math.log(1 + rel_sd**2))
    mu = -(sigma**2) / 2
    return math.exp(mu - Z95 * sigma), math.exp(mu), math.exp(mu + Z95 * sigma)


def rel_spread(result: pl.DataFrame, group: str, metric: str) -> float:
    found = pick(result, group, metric)
    return (found["p95"] - found["p5"]) / found["central"]


ROW_A = row(
    site="a",
    grid_basis="hourly",
    gpu_measured_kwh=100,
    gpu_estimated_kwh=50,
    host_measured_kwh=20,
    host_configured_kwh=10,
    pue=1.5,
    gco2e_per_kwh_location=400,
    gco2e_per_kwh_market=200,
    embodied_kg=5,
)
ROW_B = row(
    site="b",
    grid_basis="fallback",
    gpu_estimated_kwh=200,
    host_configured_kwh=40,
    pue=1.25,
    gco2e_per_kwh_location=100,
    gco2e_per_kwh_market=0,
    embodied_kg=2.5,
)


def test_zero_spread_gives_the_hand_worked_central_value_exactly() -> None:
    # Row A: IT 100 + 50 + 20 + 10 = 180 kWh; facility 180 × 1.5 = 270 kWh;
    #        location 270 × 400 / 1000 = 108 kg; market 270 × 200 / 1000 = 54 kg; embodied 5 kg.
    # Row B: IT 200 + 40 = 240 kWh; facility 240 × 1.25 = 300 kWh;
    #        location 300 × 100 / 1000 = 30 kg; market 0; embodied 2.5 kg.
    expected = {
        "total": {
            "it_energy_kwh": 420.0,
            "energy_kwh": 570.0,
            "co2e_kg_location": 138.0,
            "co2e_kg_market": 54.0,
            "embodied_kg": 7.5,
        },
        "site:a": {
            "it_energy_kwh": 180.0,
            "energy_kwh": 270.0,
            "co2e_kg_location": 108.0,
            "co2e_kg_market": 54.0,
            "embodied_kg": 5.0,
        },
    }
    components = frame(ROW_A, ROW_B, {**ROW_A, "group": "site:a"})
    result = simulate(components, bands(samples=100))
    assert result.columns == ["group", "metric", "central", "p5", "p50", "p95"]
    assert result.select("group", "metric").rows() == [
        (g, m) for g in ("site:a", "total") for m in METRICS
    ]
    for group, metrics in expected.items():
        for metric, value in metrics.items():
            found = pick(result, group, metric)
            assert found["central"] == pytest.approx(value, rel=1e-12), (group, metric)
            assert found["p5"] == found["p50"] == found["p95"] == found["central"], (group, metric)


def test_one_estimated_row_matches_the_analytic_lognormal_quantiles() -> None:
    components = frame(row(gpu_estimated_kwh=1000.0, pue=1.0))
    result = simulate(components, bands(samples=100_000, estimated_power=0.2))
    p5, p50, p95 = (1000.0 * q for q in lognormal_quantiles(0.2))  # ≈ 707.9, 980.6, 1358.2
    for metric in ("it_energy_kwh", "energy_kwh"):
        found = pick(result, "total", metric)
        assert found["central"] == 1000.0
        assert found["p5"] == pytest.approx(p5, rel=0.01)
        assert found["p50"] == pytest.approx(p50, rel=0.01)
        assert found["p95"] == pytest.approx(p95, rel=0.01)


@pytest.mark.parametrize(
    ("band", "values", "spread", "still"),
    [
        (
            "measured_power",
            {"gpu_measured_kwh": 10.0, "embodied_kg": 2.0},
            "it_energy_kwh",
            "embodied_kg",
        ),
        (
            "host_power_measured",
            {"host_measured_kwh": 10.0, "embodied_kg": 2.0},
            "it_energy_kwh",
            "embodied_kg",
        ),
        (
            "host_power_configured",
            {"host_configured_kwh": 10.0, "embodied_kg": 2.0},
            "energy_kwh",
            "embodied_kg",
        ),
        ("pue", {"gpu_measured_kwh": 10.0, "pue": 1.3}, "energy_kwh", "it_energy_kwh"),
        ("grid_hourly", {"gpu_measured_kwh": 10.0}, "co2e_kg_location", "energy_kwh"),
        ("grid_hourly", {"gpu_measured_kwh": 10.0}, "co2e_kg_market", "it_energy_kwh"),
        (
            "embodied",
            {"embodied_kg": 3.0, "gpu_measured_kwh": 10.0},
            "embodied_kg",
            "co2e_kg_market",
        ),
    ],
)
def test_each_band_spreads_what_it_describes_and_nothing_else(
    band: str, values: dict[str, float], spread: str, still: str
) -> None:
    components = frame(row(**values, gco2e_per_kwh_location=300.0, gco2e_per_kwh_market=100.0))
    result = simulate(components, bands(samples=100_000, **{band: 0.3}))
    found = pick(result, "total", spread)
    low, mid, high = lognormal_quantiles(0.3)
    assert found["p5"] == pytest.approx(found["central"] * low, rel=0.01)
    assert found["p50"] == pytest.approx(found["central"] * mid, rel=0.01)
    assert found["p95"] == pytest.approx(found["central"] * high, rel=0.01)
    fixed = pick(result, "total", still)
    assert fixed["central"] > 0
    assert fixed["p5"] == fixed["p95"] == fixed["central"]


def test_the_fallback_band_applies_to_fallback_rows_only() -> None:
    components = frame(
        row(grid_basis="hourly", gpu_measured_kwh=10.0, gco2e_per_kwh_location=300.0),
        row(group="fb", grid_basis="fallback", gpu_measured_kwh=10.0, gco2e_per_kwh_location=300.0),
    )
    result = simulate(components, bands(grid_fallback=0.3))
    hourly = pick(result, "total", "co2e_kg_location")
    assert hourly["p5"] == hourly["p95"] == hourly["central"] == pytest.approx(3.0)
    assert rel_spread(result, "fb", "co2e_kg_location") > 0.5


def test_same_seed_same_frame_other_seed_other_frame_row_order_irrelevant() -> None:
    components = frame(
        ROW_A,
        ROW_B,
        {**ROW_A, "grid_basis": "fallback", "site": "c"},
        {**ROW_A, "group": "phase:training"},
        {**ROW_B, "group": "model:atlas-7b"},
    )
    config = Uncertainty(seed=5, samples=500)
    first = simulate(components, config)
    assert first.equals(simulate(components, config))
    assert first.equals(simulate(components.reverse(), config))
    assert first.equals(simulate(components.sample(fraction=1.0, shuffle=True, seed=3), config))
    other = simulate(components, Uncertainty(seed=6, samples=500))
    assert other["central"].equals(first["central"])  # the central value draws nothing
    assert not other.equals(first)


def test_independent_site_pues_diversify_but_a_shared_factor_does_not() -> None:
    one_site = frame(row(site="a", gpu_estimated_kwh=1000.0, pue=1.2))
    two_sites = frame(
        row(site="a", gpu_estimated_kwh=500.0, pue=1.2),
        row(site="b", gpu_estimated_kwh=500.0, pue=1.2),
    )
    # PUE drawn per site: two equal independent halves have 1/√2 of the relative spread.
    pue_only = bands(samples=50_000, pue=0.1)
    concentrated = rel_spread(simulate(one_site, pue_only), "total", "energy_kwh")
    diversified = rel_spread(simulate(two_sites, pue_only), "total", "energy_kwh")
    low, _, high = lognormal_quantiles(0.1)
    assert concentrated == pytest.approx(high - low, rel=0.02)  # ≈ 0.329
    assert diversified < 0.8 * concentrated
    assert diversified == pytest.approx(concentrated / math.sqrt(2), rel=0.05)

    # Estimated power is one systematic error across sites: splitting the energy changes nothing.
    shared_only = bands(samples=50_000, estimated_power=0.2)
    concentrated = rel_spread(simulate(one_site, shared_only), "total", "energy_kwh")
    split = rel_spread(simulate(two_sites, shared_only), "total", "energy_kwh")
    assert split == pytest.approx(concentrated, rel=1e-12)


def test_a_row_in_several_groups_gives_consistent_results() -> None:
    total = [ROW_A, ROW_B, {**ROW_A, "site": "c", "grid_basis": "fallback"}]
    components = frame(
        *total,
        {**ROW_A, "group": "phase:training"},
        *({**r, "group": "team:everyone"} for r in total),
    )
    result = simulate(components, Uncertainty(seed=1, samples=3000))
    for metric in METRICS:
        whole = pick(result, "total", metric)
        part = pick(result, "phase:training", metric)
        for column in ("central", "p5", "p50", "p95"):
            assert whole[column] >= part[column], (metric, column)
        # Groups share one set of draws, so a group with the same rows has the same figures.
        assert pick(result, "team:everyone", metric) == {**whole, "group": "team:everyone"}


def test_seed_and_samples_come_from_the_config() -> None:
    # The documented draw order: the shared factors first (measured, estimated, ...), so the
    # estimated-power multipliers are the second row of the first standard-normal block.
    config = Uncertainty(
        seed=424242, samples=101, estimated_power=UncertaintyBand(rel_sd=0.2, source="t")
    )
    z = np.random.default_rng(424242).standard_normal((5, 101))[1]
    sigma = math.sqrt(math.log(1.04))
    energy = 1000.0 * np.exp(-(sigma**2) / 2 + sigma * z)
    result = simulate(frame(row(gpu_estimated_kwh=1000.0)), config)
    found = pick(result, "total", "it_energy_kwh")
    # 101 samples: the median is the 51st smallest, no interpolation.
    assert found["p50"] == pytest.approx(np.sort(energy)[50], rel=1e-12)
    assert found["p5"] == pytest.approx(np.quantile(energy, 0.05), rel=1e-12)


def test_empty_input_gives_an_empty_frame() -> None:
    empty = frame(row()).clear()
    result = simulate(empty, Uncertainty())
    assert result.height == 0
    assert result.columns == ["group", "metric", "central", "p5", "p50", "p95"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid_basis": "monthly"}, "grid_basis 'monthly'; expected one of fallback, hourly"),
        ({"gpu_estimated_kwh": -1.0}, "gpu_estimated_kwh = -1.0 for group 'total', site 'a'"),
        ({"embodied_kg": float("nan")}, "embodied_kg = nan .* expected a finite value >= 0"),
        ({"pue": 0.8}, "pue = 0.8 .* expected a finite ratio >= 1"),
        ({"site": None}, "column site has nulls"),
    ],
)
def test_bad_components_are_refused_with_what_was_expected(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(frame({**row(gpu_estimated_kwh=1.0), **change}), Uncertainty())


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="missing column\\(s\\) embodied_kg"):
        simulate(frame(row()).drop("embodied_kg"), Uncertainty())
