"""Load the config's sites, hosts, estimation profile and instruments into the warehouse, where
the SQL joins against them."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from pipeline.config import Config, ConfigError, Instrument
from pipeline.warehouse import insert_frame, run, transaction

HOURS_PER_YEAR = 8760.0


def host_frame(cfg: Config) -> pl.DataFrame:
    rows = []
    for r in cfg.host_rows():
        gpu = cfg.gpu_models[r["gpu_model"]]
        srv = cfg.server_models.get(r["server_model"]) if r["server_model"] else None
        # SCI's M term per GPU-hour held: embodied total spread linearly over the lifetime; the
        # server's share (GPUs excluded) is spread over its GPUs
        r["embodied_kg_per_gpu_hour"] = gpu.embodied_kg / (gpu.lifetime_years * HOURS_PER_YEAR)
        r["server_embodied_kg_per_gpu_hour"] = (
            srv.embodied_kg / (srv.lifetime_years * HOURS_PER_YEAR) / r["gpus"] if srv else 0.0
        )
        del r["server_model"]
        rows.append(r)
    return pl.DataFrame(
        rows,
        schema_overrides={
            "gpus": pl.Int32,
            "average_power_w": pl.Float64,
            "in_service_from": pl.Date,
            "in_service_to": pl.Date,
        },
    )


def site_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "site": name,
                "grid_zone": s.grid_zone,
                "timezone": s.timezone,
                "pue": s.pue,
                "wue_l_per_kwh": s.wue_l_per_kwh,
                "offsite_water_l_per_kwh": s.offsite_water_l_per_kwh,
                "annual_gco2e_per_kwh": s.annual_gco2e_per_kwh,
                "residual_mix_gco2e_per_kwh": s.residual_mix_gco2e_per_kwh,
            }
            for name, s in cfg.sites.items()
        ],
        schema_overrides={"residual_mix_gco2e_per_kwh": pl.Float64},
    )


def pue_month_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"site": name, "month": month, "pue": pue}
            for name, s in cfg.sites.items()
            for month, pue in s.pue_by_month.items()
        ],
        schema={"site": pl.String, "month": pl.String, "pue": pl.Float64},
    )


def utilisation_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [{"phase": p, "util": u} for p, u in cfg.estimation.utilisation_by_phase.items()],
        schema={"phase": pl.String, "util": pl.Float64},
    )


def instrument_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "name": i.name,
                "kind": i.kind,
                "site": i.site,
                "start_day": i.start,
                "end_day": i.end,
                "mwh": i.mwh,
                "hourly": i.hourly_profile is not None,
                "gco2e_per_kwh": i.gco2e_per_kwh,
                "source": i.source,
            }
            for i in cfg.instruments
        ],
        schema={
            "name": pl.String,
            "kind": pl.String,
            "site": pl.String,
            "start_day": pl.Date,
            "end_day": pl.Date,
            "mwh": pl.Float64,
            "hourly": pl.Boolean,
            "gco2e_per_kwh": pl.Float64,
            "source": pl.String,
        },
    )


PROFILE_SCHEMA = {
    "name": pl.String,
    "site": pl.String,
    "hour_utc": pl.Datetime("us"),
    "kwh": pl.Float64,
    "gco2e_per_kwh": pl.Float64,
}


def read_profile(cfg: Config, inst: Instrument) -> pl.DataFrame:
    """An instrument's hourly delivery: CSV `hour_utc,mwh` (UTC hours), inside its term.

    A bad line is an error naming the file and line: a profile silently short of hours would
    under-state the contracted supply in every one of them."""
    assert inst.hourly_profile is not None
    path = cfg.resolve(inst.hourly_profile)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read hourly profile of {inst.name!r}: {e}") from e
    lines = text.splitlines()
    header = [c.strip().lower() for c in (lines[0].split(",") if lines else [])]
    if header != ["hour_utc", "mwh"]:
        raise ConfigError(f"{path}: line 1: expected the header 'hour_utc,mwh', got {lines[:1]}")
    first = datetime.combine(inst.start, datetime.min.time())
    last = datetime.combine(inst.end + timedelta(days=1), datetime.min.time())
    hours, kwh = [], []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            h_txt, mwh_txt = (c.strip() for c in line.split(","))
            hour = datetime.fromisoformat(h_txt.replace("Z", "+00:00")).replace(tzinfo=None)
            mwh = float(mwh_txt)
        except ValueError as e:
            raise ConfigError(
                f"{path}: line {n}: expected 'YYYY-MM-DDTHH:00:00Z,<MWh>', got {line!r}"
            ) from e
        if hour.minute or hour.second or hour.microsecond:
            raise ConfigError(f"{path}: line {n}: {h_txt} is not on the hour")
        if not mwh >= 0 or mwh == float("inf"):
            raise ConfigError(f"{path}: line {n}: MWh must be a non-negative number, got {mwh_txt}")
        if not first <= hour < last:
            raise ConfigError(
                f"{path}: line {n}: {h_txt} is outside the term {inst.start}..{inst.end}"
            )
        hours.append(hour)
        kwh.append(mwh * 1000.0)
    return pl.DataFrame(
        {
            "name": [inst.name] * len(hours),
            "site": [inst.site] * len(hours),
            "hour_utc": hours,
            "kwh": kwh,
            "gco2e_per_kwh": [inst.gco2e_per_kwh] * len(hours),
        },
        schema=PROFILE_SCHEMA,
    )


def instrument_hour_frame(cfg: Config) -> pl.DataFrame:
    frames = [read_profile(cfg, i) for i in cfg.instruments if i.hourly_profile is not None]
    return pl.concat(frames) if frames else pl.DataFrame(schema=PROFILE_SCHEMA)


def resource_host_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [{"resource_id": r, "host": h} for r, h in cfg.billing.resource_hosts.items()],
        schema={"resource_id": pl.String, "host": pl.String},
    )


def load_inventory(con: duckdb.DuckDBPyConnection, cfg: Config) -> dict[str, int]:
    """Replace the inventory tables with the config's content, in one transaction."""
    frames = {
        "hosts": host_frame(cfg),
        "sites": site_frame(cfg),
        "site_pue_months": pue_month_frame(cfg),
        "phase_utilisation": utilisation_frame(cfg),
        "instruments": instrument_frame(cfg),
        "instrument_hours": instrument_hour_frame(cfg),
        "billing_resource_hosts": resource_host_frame(cfg),
    }
    with transaction(con):
        for table, df in frames.items():
            run(con, f"delete_{table}")
            insert_frame(con, table, df)
    return {table: df.height for table, df in frames.items()}
