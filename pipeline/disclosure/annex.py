"""The regulatory annex: AI Act Annex XI §1.2 per model (training compute, time and energy, with
how each part of the energy is known) and the GHG Protocol Scope 2 dual figures."""

from __future__ import annotations

import polars as pl

from pipeline.config import Config
from pipeline.disclosure.figures import number
from pipeline.disclosure.model import AiActModel, Regulatory
from pipeline.disclosure.model_figures import ModelFigures
from pipeline.formatting import fmt_pct
from pipeline.method import period
from pipeline.method.training_compute import training_compute

TRAINING = ("training", "fine_tuning")


# the parts of facility energy, as the annex names them: (field, label)
_ENERGY_PARTS = (
    ("gpu_measured_pct", "GPU {} measured"),
    ("gpu_estimated_pct", "GPU {} estimated"),
    ("host_measured_pct", "host {} measured"),
    ("host_configured_pct", "host {} configured"),
    ("facility_overhead_pct", "facility overhead {} from PUE"),
)


def energy_parts(train: pl.DataFrame) -> dict[str, float]:
    """Each part's share of a model's training facility energy, 0-100 (they sum to 100): GPU
    energy measured or estimated, host overhead measured (node power) or configured (server
    watts), and the facility overhead that the PUE adds."""
    t = period.totals(train).row(0, named=True)
    fac = number(t, "facility_energy_kwh")
    kwh = {
        "gpu_measured_pct": number(t, "measured_kwh"),
        "gpu_estimated_pct": number(t, "gpu_energy_kwh") - number(t, "measured_kwh"),
        "host_measured_pct": number(t, "host_measured_kwh"),
        "host_configured_pct": number(t, "host_energy_kwh") - number(t, "host_measured_kwh"),
        "facility_overhead_pct": fac - number(t, "it_energy_kwh"),
    }
    return {k: 100 * v / fac if fac else 0.0 for k, v in kwh.items()}


def energy_basis(parts: dict[str, float]) -> str:
    """The annex's label for facility energy: how each part of it is known, with its share."""
    named = [label.format(fmt_pct(parts[k] / 100)) for k, label in _ENERGY_PARTS if parts[k] > 0]
    return "facility energy: " + (", ".join(named) if named else "none")


def declared_flops(runs: pl.DataFrame | None, model: str) -> tuple[float | None, str]:
    """The training FLOPs a model's declared training runs state, summed, and their sources."""
    if runs is None or not runs.height:
        return None, ""
    mine = runs.filter(
        (pl.col("model") == model) & pl.col("phase").is_in(TRAINING) & pl.col("flops").is_not_null()
    )
    if not mine.height:
        return None, ""
    sources = "; ".join(f"{r}: {s}" for r, s in mine.select("run", "source").iter_rows())
    return float(mine.get_column("flops").sum()), "declared usage (" + sources + ")"


def ai_act(
    df: pl.DataFrame,
    models: list[ModelFigures],
    t: dict,
    cfg: Config,
    declared_runs: pl.DataFrame | None = None,
) -> Regulatory:
    """`declared_runs`: the declared runs' totals (pipeline/method/declared.py), whose FLOPs, when
    they state them, come before the config's."""
    rows = []
    for m in models:
        train = df.filter((pl.col("model") == m.name) & pl.col("phase").is_in(TRAINING))
        if not train.height:
            continue
        parts = energy_parts(train)
        flops, source = declared_flops(declared_runs, m.name)
        compute = training_compute(cfg.models.get(m.name), flops, source)
        rows.append(
            AiActModel(
                model=m.name,
                training_gpu_hours=m.training.gpu_hours,
                training_days=train.filter(pl.col("gpu_hours") > 0).get_column("day").n_unique(),
                energy_kwh=m.training.energy_kwh,
                energy_basis=energy_basis(parts),
                training_flops=compute.flops,
                training_compute_basis=compute.basis,
                training_compute_source=compute.source,
                **parts,
            )
        )
    residual = [k for k, s in cfg.sites.items() if s.residual_mix_gco2e_per_kwh is None]
    return Regulatory(
        ai_act=rows,
        scope2_location_kg=number(t, "co2e_kg_location"),
        scope2_market_kg=number(t, "co2e_kg_market"),
        scope2_instrument_kwh=number(t, "instrument_kwh") + number(t, "annual_instrument_kwh"),
        scope2_residual_factor_note="residual mix configured for every site"
        if not residual
        else "location intensity stands in for the residual mix at: " + ", ".join(residual),
    )
