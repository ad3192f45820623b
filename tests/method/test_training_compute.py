"""Training compute for the EU AI Act annex (issue 20): declared FLOPs win over the 6 x N x D
estimate, which is labelled as such; neither is "not known"; and one small end-to-end report
carries the figure in disclosure.json and prints it, with the GPU factors cited from the
library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import ModelInfo
from pipeline.config.gpu_library import library
from pipeline.disclosure.build import build_disclosure
from pipeline.formatting import fmt_flop
from pipeline.method.training_compute import training_compute
from pipeline.report.render import render_html
from pipeline.warehouse import connect
from tests.small_fleet import LAST, START, make_fleet, run_all

# GPT-3 175B: 175e9 parameters, 300e9 training tokens (Brown et al. 2020, section 2.2); the paper
# and Patterson et al. 2021 (Carbon Emissions and Large Neural Network Training) give
# 3.14e23 FLOP
GPT3_N, GPT3_D, GPT3_PUBLISHED_FLOP = 175e9, 300e9, 3.14e23


def test_six_n_d_by_hand_for_gpt3():
    tc = training_compute(ModelInfo(parameters=GPT3_N, training_tokens=GPT3_D, source="Brown"))
    assert tc.basis == "estimated: 6 × N × D"
    assert tc.flops == pytest.approx(3.15e23, rel=1e-12)  # 6 x 175e9 x 300e9
    assert tc.flops == pytest.approx(GPT3_PUBLISHED_FLOP, rel=0.005)  # within 0.5% of published
    assert "Kaplan et al. 2020" in tc.source and "Brown" in tc.source
    assert "N = 1.75e+11, D = 3e+11" in tc.source
    assert fmt_flop(tc.flops) == "3.15e23"


def test_declared_wins_over_the_estimate():
    info = ModelInfo(
        parameters=GPT3_N,
        training_tokens=GPT3_D,
        training_flops=GPT3_PUBLISHED_FLOP,
        source="Patterson et al. 2021, Table 4",
    )
    tc = training_compute(info)
    assert (tc.flops, tc.basis, tc.source) == (3.14e23, "declared", info.source)
    # a figure the caller declares (e.g. from declared usage) wins over the config's
    tc = training_compute(info, declared_flops=2.0e23, declared_source="vendor disclosure")
    assert (tc.flops, tc.basis, tc.source) == (2.0e23, "declared", "vendor disclosure")
    assert training_compute(None, declared_flops=1e21).basis == "declared"


def test_without_figures_it_is_not_known():
    assert training_compute(None).flops is None
    assert training_compute(None).basis == "not known"
    half = training_compute(ModelInfo(parameters=7e9))
    assert (half.flops, half.basis) == (None, "not known")
    assert "training_tokens" in half.source
    assert fmt_flop(None) == "n/a"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, str]:
    """The demo fleet for two days with a models section: one model estimated, one declared."""
    fleet = make_fleet(tmp_path_factory.mktemp("fleet") / "fleet")
    fleet.edit_config(
        lambda d: d.update(
            models={
                "atlas-7b": {"parameters": 7e9, "training_tokens": 2e12, "source": "model card"},
                "orca-1b": {"parameters": 1e9, "training_flops": 1.5e21, "source": "paper"},
            }
        )
    )
    cfg = fleet.config()
    run_all(cfg)
    with connect(cfg.warehouse_path) as con:
        d = build_disclosure(con, cfg, START, LAST)
    return json.loads(d.model_dump_json()), render_html(d)


def test_the_annex_of_a_report_carries_training_compute(report):
    data, html = report
    rows = {a["model"]: a for a in data["regulatory"]["ai_act"]}
    atlas, orca, lynx = rows["atlas-7b"], rows["orca-1b"], rows["lynx-13b"]
    assert atlas["training_flops"] == pytest.approx(8.4e22, rel=1e-12)  # 6 x 7e9 x 2e12
    assert atlas["training_compute_basis"] == "estimated: 6 × N × D"
    assert "model card" in atlas["training_compute_source"]
    assert (orca["training_flops"], orca["training_compute_basis"]) == (1.5e21, "declared")
    assert orca["training_compute_source"] == "paper"
    assert (lynx["training_flops"], lynx["training_compute_basis"]) == (None, "not known")
    # printed in the annex table, each figure beside its basis
    table = html[html.index('class="data ai-act"') :]
    table = table[: table.index("</table>")]
    for figure, basis in (("8.4e22", "estimated: 6 × N × D"), ("1.5e21", "declared")):
        assert f'<td class="num">{figure}</td>\n        <td class="name">{basis}</td>' in table


def test_the_report_cites_the_library_for_the_demo_gpus(report):
    data, _ = report
    cited = {f["name"]: f for f in data["factors"]}
    h100 = library()["H100 SXM"]
    tdp = cited["H100-SXM5-80GB TDP"]
    assert tdp["value"] == "700" and tdp["source"].endswith(h100.tdp_w.source)
    # the demo's A100 overrides idle power: that value cites the demo's own source
    idle = cited["A100-SXM4-40GB idle power"]
    assert idle["value"] == "50" and idle["source"].startswith("idle 50 W from nvidia-smi")
    assert cited["A100-SXM4-40GB TDP"]["source"].startswith("wattprint GPU library (A100 40GB)")


def test_library_values_do_not_change_the_demo(tmp_path: Path):
    """The demo config's library entries resolve to the figures the demo fleet's telemetry was
    generated from (pipeline/demo/hardware.py)."""
    from pipeline.config.root import Config
    from pipeline.demo.hardware import A100, H100
    from pipeline.demo.inventory import config_dict

    data = config_dict(START)
    cfg = Config.model_validate({**data, "base_dir": tmp_path})
    for spec in (H100, A100):
        g = cfg.gpu_models[spec.key]
        assert g.library == spec.library
        got = (g.tdp_w, g.idle_w, g.embodied_kg, g.lifetime_years)
        assert got == (spec.tdp_w, spec.idle_w, spec.embodied_kg, spec.lifetime_years)


def test_the_annex_takes_flops_from_declared_training_runs_before_the_config():
    import polars as pl

    from pipeline.config.models import ModelInfo
    from pipeline.disclosure.annex import declared_flops

    runs = pl.DataFrame(
        {
            "run": ["pt-1", "pt-2", "serve", "other"],
            "model": ["m", "m", "m", "n"],
            "phase": ["training", "fine_tuning", "inference", "training"],
            "flops": [1e23, 2e22, 5e22, 7e22],
            "source": ["paper A", "paper B", "x", "y"],
        }
    )
    flops, source = declared_flops(runs, "m")
    assert flops == pytest.approx(1.2e23)  # the two training runs, not inference, not another model
    assert source == "declared usage (pt-1: paper A; pt-2: paper B)"
    assert declared_flops(runs, "none") == (None, "")
    c = training_compute(ModelInfo(training_flops=9e22, source="config"), flops, source)
    assert (c.flops, c.basis, c.source) == (flops, "declared", source)
