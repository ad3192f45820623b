"""Functional units: per request and per 1,000 output tokens, at a stated boundary."""

from __future__ import annotations

from pipeline.method.results import UnitFigures


def _per(value: float, n: int, scale: float) -> float | None:
    return value * scale / n if n else None


def unit_figures(
    energy_kwh: float,
    co2e_kg_location: float,
    co2e_kg_market: float,
    water_l: float,
    cost_usd: float,
    requests: int,
    output_tokens: int,
) -> UnitFigures:
    """kWh → Wh, kg → g, L → mL per request; the same per 1,000 output tokens."""
    k = output_tokens / 1000.0
    return UnitFigures(
        wh_per_request=_per(energy_kwh, requests, 1000.0),
        gco2e_location_per_request=_per(co2e_kg_location, requests, 1000.0),
        gco2e_market_per_request=_per(co2e_kg_market, requests, 1000.0),
        water_ml_per_request=_per(water_l, requests, 1000.0),
        cost_usd_per_request=_per(cost_usd, requests, 1.0),
        wh_per_1k_output_tokens=energy_kwh * 1000.0 / k if k else None,
        gco2e_location_per_1k_output_tokens=co2e_kg_location * 1000.0 / k if k else None,
        gco2e_market_per_1k_output_tokens=co2e_kg_market * 1000.0 / k if k else None,
        water_ml_per_1k_output_tokens=water_l * 1000.0 / k if k else None,
        cost_usd_per_1k_output_tokens=cost_usd / k if k else None,
    )
