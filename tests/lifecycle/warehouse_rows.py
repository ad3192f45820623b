"""Rows written straight into a real warehouse file's tables (every other column 0 or NULL), for
lifecycle tests whose expected figures are computed by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from pipeline.warehouse import insert_frame

DECLARED_SCHEMA = {
    "run": pl.String,
    "model": pl.String,
    "phase": pl.String,
    "day": pl.Date,
    "gpu_hours": pl.Float64,
    "it_energy_kwh": pl.Float64,
    "facility_energy_kwh": pl.Float64,
    "co2e_kg_location": pl.Float64,
    "co2e_kg_market": pl.Float64,
    "water_l": pl.Float64,
    "embodied_kg": pl.Float64,
    "cost_usd": pl.Float64,
    "requests": pl.Int64,
    "source": pl.String,
    "source_path": pl.String,
    "line": pl.Int64,
}


def _row(con: duckdb.DuckDBPyConnection, table: str, values: dict) -> dict:
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [table],
    ).fetchall()
    row = {}
    for name, kind in cols:
        if name in values:
            row[name] = values[name]
        elif kind in ("DOUBLE", "BIGINT", "INTEGER"):
            row[name] = 0
        else:
            row[name] = None
    return row


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    insert_frame(con, table, pl.DataFrame([_row(con, table, r) for r in rows]))


def job(
    con: duckdb.DuckDBPyConnection,
    job_key: str,
    model: str,
    phase: str,
    day: date,
    kwh: float,
    state: str = "COMPLETED",
) -> None:
    """One job on one day: its allocation, one hour of footprint and the day's summary, with
    facility energy `kwh` (IT = GPU = kwh, PUE 1), 0.5 kg CO2e per kWh, 1 GPU-hour."""
    start = datetime.combine(day, datetime.min.time())
    insert(con, "job_allocations", [dict(
        day=day, job_key=job_key, job_id=job_key.split("/")[-1], site="s", host="n1",
        gpus_on_host=1.0, start_utc=start, end_utc=start + timedelta(hours=1),
        job_name=f"job-{job_key}", state=state, phase=phase, model=model, phase_rule="test",
    )])  # fmt: skip
    energy = dict(
        gpu_hours=1.0, gpu_energy_kwh=kwh, it_energy_kwh=kwh, measured_kwh=kwh,
        facility_energy_kwh=kwh, co2e_kg_location=0.5 * kwh, co2e_kg_market=0.5 * kwh,
    )  # fmt: skip
    insert(con, "footprint_hourly", [dict(
        hour_utc=start, site="s", job_key=job_key, pue=1.0, gco2e_per_kwh=500.0,
        intensity_source="hourly", market_basis="location", **energy,
    )])  # fmt: skip
    insert(con, "daily_summary", [dict(
        day=day, site="s", phase=phase, model=model, team="t", jobs=1, **energy
    )])  # fmt: skip


def served(con: duckdb.DuckDBPyConnection, model: str, day: date, requests: int) -> None:
    insert(con, "raw_serving", [dict(
        source_path="serving.csv", line=1, hour_utc=datetime.combine(day, datetime.min.time()),
        model=model, requests=requests, output_tokens=10 * requests,
    )])  # fmt: skip


def declared(rows: list[dict]) -> pl.DataFrame:
    full = [{k: r.get(k, 0 if t in (pl.Float64, pl.Int64) else None) for k, t in
             DECLARED_SCHEMA.items()} for r in rows]  # fmt: skip
    return pl.DataFrame(full, schema=DECLARED_SCHEMA)
