"""The demo's per-request serving log: the gateway of one served model (lynx-13b in Virginia)
logs each request, as a LiteLLM spend-log export (CSV), during its audit hour each day.

The log agrees with the hourly serving statistics: an audit hour holds exactly the requests and
the input and output tokens that `write_serving` counted for that hour and model, split over the
requests at random (a skewed spread, as real prompts are). Only one hour a day is logged so that
the 14-day demo's file stays near 2.6 MB; the other hours keep their hourly statistics
(docs/per-prompt.md: a model-hour with logged requests counts them from the log).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

LOGGED_MODEL = "lynx-13b"
LOGGED_HOUR_UTC = 6  # 02:00 in Virginia (EDT): the deployment's quietest hour, ~3,000 requests
SECONDS_PER_OUTPUT_TOKEN = 0.018  # decode speed of a 13B model on one H100, ~55 tokens/s
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"


def _split(total: int, n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """`total` tokens over `n` requests, each request's share log-normally skewed; sums exactly."""
    weights = rng.lognormal(0.0, sigma, n)
    return rng.multinomial(total, weights / weights.sum())


def _hour_requests(row: dict, rng: np.random.Generator) -> pl.DataFrame:
    n = int(row["requests"])
    hour = dt.datetime.fromisoformat(row["hour"]).timestamp()
    start = hour + np.sort(rng.uniform(0.0, 3600.0, n))
    tokens_in = _split(int(row["input_tokens"]), n, 0.5, rng)
    tokens_out = _split(int(row["output_tokens"]), n, 0.7, rng)
    latency = 0.25 + tokens_out * SECONDS_PER_OUTPUT_TOKEN * rng.normal(1.0, 0.05, n)
    return pl.DataFrame(
        {
            "start": (start * 1000).astype(np.int64),
            "end": ((start + latency) * 1000).astype(np.int64),
            "model": [row["model"]] * n,
            "prompt_tokens": tokens_in.astype(np.int64),
            "completion_tokens": tokens_out.astype(np.int64),
        }
    )


def write_request_log(
    landing: Path, serving_files: list[Path], rng: np.random.Generator
) -> list[Path]:
    """`requests/request-log-<YYYY-MM>.csv` from the hourly statistics in `serving_files`."""
    hours = (
        pl.concat([pl.read_csv(p) for p in serving_files])
        .filter(
            (pl.col("model") == LOGGED_MODEL)
            & pl.col("hour").str.ends_with(f"T{LOGGED_HOUR_UTC:02d}:00:00Z")
        )
        .sort("hour")
    )
    if not hours.height:
        return []
    logged = pl.concat([_hour_requests(r, rng) for r in hours.iter_rows(named=True)])
    start = pl.from_epoch("start", time_unit="ms")
    out = logged.select(
        startTime=start.dt.strftime(TIME_FORMAT),
        endTime=pl.from_epoch("end", time_unit="ms").dt.strftime(TIME_FORMAT),
        model="model",
        prompt_tokens="prompt_tokens",
        completion_tokens="completion_tokens",
        month=start.dt.strftime("%Y-%m"),
    )
    folder = landing / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (month,), part in out.group_by(["month"], maintain_order=True):
        path = folder / f"request-log-{month}.csv"
        part.drop("month").write_csv(path, line_terminator="\n")
        paths.append(path)
    return paths
