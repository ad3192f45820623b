"""Per-model figures: training, inference, functional units, lifecycle; AI Act fields."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from pipeline.disclosure.comparison import previous_month
from pipeline.disclosure.declared import declared_models, with_declared_lifecycle
from pipeline.disclosure.figures import number
from pipeline.disclosure.model_figures import (
    BoundaryBreakdown,
    FunctionalUnits,
    InferenceFigures,
    ModelFigures,
    TrainingFigures,
)
from pipeline.disclosure.prompts_section import per_prompt, served_requests
from pipeline.method import period
from pipeline.method.lifecycle import (
    REBOUND_MIN_CHANGE,
    crossover,
    cumulative,
    efficiency,
    with_amortisation,
)
from pipeline.method.results import Efficiency
from pipeline.method.units import unit_figures
from pipeline.warehouse import frame

TRAINING = ("training", "fine_tuning")
WEEK = 7


def _sum(df: pl.DataFrame, expr: pl.Expr) -> float:
    return float(df.select(expr.sum()).item() or 0.0) if df.height else 0.0


def _efficiencies(
    name: str, inf_daily: pl.DataFrame, srv_daily: pl.DataFrame, p: dict, min_change: float
) -> list[Efficiency]:
    """Month over month (the previous calendar month) and week over week inside the period."""
    inf = inf_daily.filter(pl.col("model") == name)
    srv = srv_daily.filter(pl.col("model") == name)

    def span(a: date, b: date) -> tuple[float, int, int]:
        kwh = _sum(inf.filter(pl.col("day").is_between(a, b)), pl.col("inference_kwh"))
        req = int(_sum(srv.filter(pl.col("day").is_between(a, b)), pl.col("requests")))
        days_with_data = inf.filter(pl.col("day").is_between(a, b)).get_column("day").n_unique()
        return kwh, req, days_with_data

    start, end = p["start_day"], p["end_day"]
    pm_start, pm_end = previous_month(start)
    out = [efficiency("previous month", span(pm_start, pm_end), span(start, end), min_change)]
    weeks = ((end - start).days + 1) // WEEK
    for w in range(1, weeks):
        a = start + timedelta(days=w * WEEK)
        prev = span(a - timedelta(days=WEEK), a - timedelta(days=1))
        cur = span(a, a + timedelta(days=WEEK - 1))
        out.append(
            efficiency(f"week from {a.isoformat()} vs the week before", prev, cur, min_change)
        )
    return out


def _units(inf: pl.DataFrame, inf_cost: tuple[float, float], requests: int, tokens: int):
    t = period.totals(inf).row(0, named=True)
    gpu, fac = pl.col("gpu_energy_kwh"), pl.col("facility_energy_kwh")
    # accelerator-only: GPU energy with the row's grid intensity, no PUE, host or idle
    share_of_fac = pl.when(fac > 0).then(gpu / fac).otherwise(0.0)
    share_of_it = pl.when(pl.col("it_energy_kwh") > 0).then(gpu / pl.col("it_energy_kwh"))
    accel = unit_figures(
        energy_kwh=number(t, "gpu_energy_kwh"),
        co2e_kg_location=_sum(inf, pl.col("co2e_kg_location") * share_of_fac),
        co2e_kg_market=_sum(inf, pl.col("co2e_kg_market") * share_of_fac),
        water_l=_sum(
            inf,
            pl.col("water_onsite_l") * share_of_it.otherwise(0.0)
            + pl.col("water_offsite_l") * share_of_fac,
        ),
        cost_usd=inf_cost[0],
        requests=requests,
        output_tokens=tokens,
    )
    full = unit_figures(
        energy_kwh=number(t, "full_facility_energy_kwh"),
        co2e_kg_location=number(t, "full_co2e_kg_location"),
        co2e_kg_market=number(t, "full_co2e_kg_market"),
        water_l=number(t, "full_water_l"),
        cost_usd=inf_cost[1],
        requests=requests,
        output_tokens=tokens,
    )
    breakdown = (
        BoundaryBreakdown(
            accelerator_wh=number(t, "gpu_energy_kwh") * 1000 / requests,
            host_wh=number(t, "host_energy_kwh") * 1000 / requests,
            idle_wh=(number(t, "full_it_energy_kwh") - number(t, "it_energy_kwh"))
            * 1000
            / requests,
            facility_overhead_wh=(
                number(t, "full_facility_energy_kwh") - number(t, "full_it_energy_kwh")
            )
            * 1000
            / requests,
        )
        if requests
        else None
    )
    sci = (
        (number(t, "full_co2e_kg_location") + number(t, "full_embodied_kg")) * 1000 / requests
        if requests
        else None
    )
    return FunctionalUnits(
        accelerator=accel,
        full_boundary=full,
        breakdown_per_request=breakdown,
        sci_gco2e_per_request=sci,
    )


def model_figures(
    con: duckdb.DuckDBPyConnection,
    df: pl.DataFrame,
    costs: pl.DataFrame,
    p: dict,
    rebound_min_change: float = REBOUND_MIN_CHANGE,
    input_token_weight: float = 1.0,
    declared: pl.DataFrame | None = None,
) -> list[ModelFigures]:
    """`declared`: declared usage per run × day (pipeline/method/declared.py), counted in each
    model's lifecycle whichever month it ran in; not in the period's figures."""
    serving = served_requests(con, p["start_day"], p["end_day"])
    prompts = per_prompt(con, df, costs, p, input_token_weight)
    life = frame(con, "select_model_daily_lifecycle", {"end_day": p["end_day"]}).fill_null(0.0)
    if declared is not None:
        life = with_declared_lifecycle(life, declared, p["end_day"])
    life_req = served_requests(con, None, p["end_day"])
    history = {"start_day": previous_month(p["start_day"])[0], "end_day": p["end_day"]}
    inf_daily = frame(con, "select_model_inference_daily", history)
    srv_daily = frame(con, "select_serving_daily", history)
    names = sorted(
        (set(df.get_column("model").to_list()) - {""})
        | set(serving.get_column("model").to_list())
        | (
            declared_models(declared, p["start_day"], p["end_day"])
            if declared is not None
            else set()
        )
    )
    out = []
    for name in names:
        mine = df.filter(pl.col("model") == name)
        train = mine.filter(pl.col("phase").is_in(TRAINING))
        inf = mine.filter(pl.col("phase") == "inference")
        tt = period.totals(train).row(0, named=True)
        it = period.totals(inf).row(0, named=True)
        c = costs.filter(pl.col("model") == name)
        train_cost = _sum(c.filter(pl.col("phase").is_in(TRAINING)), pl.col("cost_usd"))
        inf_c = c.filter(pl.col("phase") == "inference")
        inf_cost = (_sum(inf_c, pl.col("cost_usd")), _sum(inf_c, pl.col("full_cost_usd")))
        srv = serving.filter(pl.col("model") == name)
        requests = int(_sum(srv, pl.col("requests")))
        tokens = int(_sum(srv, pl.col("output_tokens")))
        inf_kwh = number(it, "facility_energy_kwh")
        lc = life.filter(pl.col("model") == name)
        days = lc.get_column("day").to_list()
        t_kwh, i_kwh = (
            lc.get_column("training_kwh").to_numpy(),
            lc.get_column("inference_kwh").to_numpy(),
        )
        lr = life_req.filter(pl.col("model") == name)
        out.append(
            ModelFigures(
                name=name,
                training=TrainingFigures(
                    gpu_hours=number(tt, "gpu_hours"),
                    energy_kwh=number(tt, "facility_energy_kwh"),
                    co2e_kg_location=number(tt, "co2e_kg_location"),
                    co2e_kg_market=number(tt, "co2e_kg_market"),
                    water_l=number(tt, "water_l"),
                    embodied_kg=number(tt, "embodied_kg"),
                    cost_usd=train_cost,
                    estimated_share=1 - number(tt, "measured_kwh") / number(tt, "gpu_energy_kwh")
                    if number(tt, "gpu_energy_kwh")
                    else 0.0,
                ),
                inference=InferenceFigures(
                    requests=requests,
                    output_tokens=tokens,
                    gpu_hours=number(it, "gpu_hours"),
                    energy_kwh=inf_kwh,
                    co2e_kg_location=number(it, "co2e_kg_location"),
                    wh_per_request=inf_kwh * 1000 / requests if requests else None,
                    wh_per_1k_output_tokens=inf_kwh * 1e6 / tokens if tokens else None,
                    co2e_kg_market=number(it, "co2e_kg_market"),
                    water_l=number(it, "water_l"),
                    cost_usd=inf_cost[0],
                ),
                crossover=with_amortisation(
                    crossover(days, t_kwh, i_kwh),
                    int(lr.get_column("requests").sum() or 0) if lr.height else 0,
                ),
                units=_units(inf, inf_cost, requests, tokens),
                efficiency=_efficiencies(name, inf_daily, srv_daily, p, rebound_min_change),
                cumulative=cumulative(days, t_kwh, i_kwh),
                per_prompt=prompts.get(name),
            )
        )
    return out
