"""Training vs inference over a model's life: crossover, amortisation, efficiency and rebound."""

from __future__ import annotations

from datetime import date

import numpy as np

from pipeline.method.results import Crossover, CumulativePoint, Efficiency

TRAILING_DAYS = 7
# docs/checks-coverage.md: a change smaller than this is noise, not a rebound; 5 % is the
# materiality level of emissions verification (EU ETS, Regulation (EU) 2018/2067, Art. 23)
REBOUND_MIN_CHANGE = 0.05


def crossover(days: list[date], training_kwh: np.ndarray, inference_kwh: np.ndarray) -> Crossover:
    """When cumulative inference energy first reaches cumulative training energy, or how many days
    at the trailing inference rate until it does (None without training or inference)."""
    cum_t = np.cumsum(training_kwh)
    cum_i = np.cumsum(inference_kwh)
    total_t, total_i = (
        float(cum_t[-1]) if len(days) else 0.0,
        float(cum_i[-1]) if len(days) else 0.0,
    )
    if total_t > 0:
        reached = np.nonzero((cum_i >= cum_t) & (cum_t > 0))[0]
        if reached.size:
            return Crossover(
                reached=True,
                date=days[int(reached[0])],
                lifecycle_training_kwh=total_t,
                lifecycle_inference_kwh=total_i,
            )
    rate = float(np.mean(inference_kwh[-TRAILING_DAYS:])) if len(days) else 0.0
    projected = (total_t - total_i) / rate if total_t > 0 and rate > 0 else None
    return Crossover(
        reached=False,
        projected_days=projected,
        lifecycle_training_kwh=total_t,
        lifecycle_inference_kwh=total_i,
    )


def with_amortisation(c: Crossover, lifecycle_requests: int) -> Crossover:
    """Training energy spread over every request served so far, and inference's lifecycle share."""
    life = c.lifecycle_training_kwh + c.lifecycle_inference_kwh
    train_wh = c.lifecycle_training_kwh * 1000
    return c.model_copy(
        update={
            "lifecycle_requests": lifecycle_requests,
            "training_wh_per_request_amortised": train_wh / lifecycle_requests
            if lifecycle_requests and train_wh > 0
            else None,
            "inference_share_pct": 100 * c.lifecycle_inference_kwh / life if life > 0 else None,
        }
    )


def cumulative(
    days: list[date], training_kwh: np.ndarray, inference_kwh: np.ndarray
) -> list[CumulativePoint]:
    return [
        CumulativePoint(day=d, training_kwh=float(t), inference_kwh=float(i))
        for d, t, i in zip(days, np.cumsum(training_kwh), np.cumsum(inference_kwh), strict=True)
    ]


def _change_pct(before: float | None, after: float | None) -> float | None:
    return 100 * (after - before) / before if before and after is not None else None


def efficiency(
    basis: str,
    previous: tuple[float, int, int],
    current: tuple[float, int, int],
    min_change: float = REBOUND_MIN_CHANGE,
) -> Efficiency:
    """Compare two periods given (inference kWh, requests, days) each. Totals are compared per
    day, so a month to date can be set against a whole previous month. Rebound (the Jevons
    effect): energy per request fell and inference energy per day rose, each by more than
    `min_change` (a share: 0.05 is 5 %); smaller changes are noise. The two changes are kept."""
    prev_kwh, prev_req, prev_days = previous
    cur_kwh, cur_req, cur_days = current
    prev_wh = prev_kwh * 1000 / prev_req if prev_req else None
    cur_wh = cur_kwh * 1000 / cur_req if cur_req else None
    wh_change = kwh_change = rebound = None
    if prev_wh is not None and cur_wh is not None and prev_days and cur_days:
        wh_change = _change_pct(prev_wh, cur_wh)
        kwh_change = _change_pct(prev_kwh / prev_days, cur_kwh / cur_days)
        threshold = 100 * min_change
        rebound = (
            wh_change is not None
            and kwh_change is not None
            and wh_change < -threshold
            and kwh_change > threshold
        )
    return Efficiency(
        basis=basis,
        previous_wh_per_request=prev_wh,
        current_wh_per_request=cur_wh,
        previous_inference_kwh=prev_kwh,
        current_inference_kwh=cur_kwh,
        rebound=rebound,
        wh_per_request_change_pct=wh_change,
        inference_kwh_per_day_change_pct=kwh_change,
        rebound_threshold_pct=100 * min_change,
    )
