"""Load the config's sites and hosts into the warehouse, where the SQL joins against them."""

from __future__ import annotations

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.warehouse import insert_frame, run, transaction

HOURS_PER_YEAR = 8760.0


def host_frame(cfg: Config) -> pl.DataFrame:
    rows = []
    for r in cfg.host_rows():
        gpu = cfg.gpu_models[r["gpu_model"]]
        # SCI's M term per GPU-hour held: embodied total spread linearly over the lifetime
        r["embodied_kg_per_gpu_hour"] = gpu.embodied_kg / (gpu.lifetime_years * HOURS_PER_YEAR)
        rows.append(r)
    return pl.DataFrame(rows, schema_overrides={"gpus": pl.Int32})


def site_frame(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "site": name,
                "grid_zone": s.grid_zone,
                "timezone": s.timezone,
                "pue": s.pue,
                "wue_l_per_kwh": s.wue_l_per_kwh,
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


def load_inventory(con: duckdb.DuckDBPyConnection, cfg: Config) -> dict[str, int]:
    """Replace the inventory tables with the config's content, in one transaction."""
    frames = {
        "hosts": host_frame(cfg),
        "sites": site_frame(cfg),
        "site_pue_months": pue_month_frame(cfg),
    }
    with transaction(con):
        for table, df in frames.items():
            run(con, f"delete_{table}")
            insert_frame(con, table, df)
    return {table: df.height for table, df in frames.items()}
