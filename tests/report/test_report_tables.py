"""The report's tables as CSV files (pipeline/report/tables.py).

A "rich" Disclosure (the report sample plus every optional section: full boundary, per-request
units, efficiency, lifecycle series, uncertainty, checks, regulatory annex, and awkward text) is
rendered once for real (HTML and PDF). The CSV files are then held against the Disclosure (same
values, floats exact), against the rendered HTML (same rows, and each printed number is the CSV
value through the report's own formatter) and against the PDF text (each row's printed numbers).
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.disclosure.model import HEADLINE_METRICS, Disclosure
from pipeline.formatting import fmt, fmt_change, fmt_date, fmt_datetime, fmt_flop, fmt_pct
from pipeline.report import tables as tables_mod
from pipeline.report.pdf import render_pdf
from pipeline.report.phases import ordered_phases, phase_label
from pipeline.report.render import render_html, uncertainty_label
from pipeline.report.tables import (
    INDEX_NAME,
    STEMS,
    Table,
    csv_cell,
    render_tables,
    report_tables,
    spreadsheet_safe,
    write_tables,
)
from tests.report_sample import sample_disclosure

HYPERLINK = '=HYPERLINK("http://x")'


# ----------------------------------------------------------------------------- the rich sample


def _units(wh: float, tokens: bool) -> dict:
    k = 1000 / 300 if tokens else None  # requests per 1k output tokens
    return {
        "wh_per_request": wh,
        "gco2e_location_per_request": wh * 0.2861,
        "gco2e_market_per_request": wh * 0.1179,
        "water_ml_per_request": wh * 1.743,
        "cost_usd_per_request": wh * 0.000211,
        "wh_per_1k_output_tokens": wh * k if k else None,
        "gco2e_location_per_1k_output_tokens": wh * 0.2861 * k if k else None,
        "gco2e_market_per_1k_output_tokens": wh * 0.1179 * k if k else None,
        "water_ml_per_1k_output_tokens": wh * 1.743 * k if k else None,
        "cost_usd_per_1k_output_tokens": wh * 0.000211 * k if k else None,
    }


def rich_disclosure() -> Disclosure:
    """The report sample with every optional section filled, odd floats, None cells and text
    that a spreadsheet would run (a model named =HYPERLINK(...), a team named @ops)."""
    data = sample_disclosure().model_dump()
    for i, (name, ph) in enumerate(data["phases"].items()):
        ph["water_l"] = ph["energy_kwh"] * 1.7431
        ph["cost_usd"] = ph["gpu_hours"] * 2.3109
        if name == "evaluation":  # no full-boundary row: the table skips it
            continue
        ph["full_boundary"] = {
            k: ph[k] * (1.0 + 0.0731 * (i + 1)) if name != "idle" else ph[k] * 0.1
            for k in (
                "energy_kwh",
                "it_energy_kwh",
                "gpu_hours",
                "co2e_kg_location",
                "co2e_kg_market",
                "water_l",
                "cost_usd",
                "share_pct",
            )
        } | {"embodied_kg": 12.345678 * (i + 1)}

    models = data["models"]
    models[0]["name"] = HYPERLINK  # serving, formula-like name
    for i, m in enumerate(models):
        m["training"].update(
            water_l=m["training"]["energy_kwh"] * 1.71,
            embodied_kg=m["training"]["gpu_hours"] * 0.0187,
            cost_usd=m["training"]["gpu_hours"] * 2.31 + 0.1,
            estimated_share=[0.1234567, 0.0, 1.0, 0.5][i],
        )
        m["crossover"].update(
            inference_share_pct=100 * m["crossover"]["lifecycle_inference_kwh"] / 1.3e6,
            training_wh_per_request_amortised=[0.93771, None, 0.0129851, None][i],
        )
        start = date(2025, 2, 27)
        m["cumulative"] = [
            {
                "day": start + timedelta(days=2 * k),
                "training_kwh": 1000.0 * (i + 1) + k / 3,
                "inference_kwh": 700.0 * k / 7,
            }
            for k in range(3)
        ]
    # per prompt: model 0 with a request log and server-measured energy, model 3 (serving
    # nothing) with figures the serving-only tables must leave out
    parts = (1.1137, 0.3251, 0.0873, 0.3392)
    models[0]["per_prompt"] = models[3]["per_prompt"] = {
        "requests": 4821,
        "input_token_weight": 1.0,
        **{
            k: {"mean": 2.2 * f, "p10": 0.31 * f, "median": 1.8653 * f, "p90": 4.0519 * f}
            for k, f in (
                ("wh", 1.0),
                ("gco2e_location", 0.29),
                ("gco2e_market", 0.117),
                ("water_ml", 3.31),
                ("cost_usd", 0.00041),
            )
        },
        "median_breakdown": dict(
            zip(
                ("accelerator_wh", "host_wh", "idle_wh", "facility_overhead_wh"), parts, strict=True
            )
        ),
        "median_shares": {
            k: 100 * v / sum(parts)
            for k, v in zip(
                ("accelerator_pct", "host_pct", "idle_pct", "facility_overhead_pct"),
                parts,
                strict=True,
            )
        },
        "measured_requests": 310,
        "measured_median_wh": 0.8312,
        "requests_without_energy": 3,
        "hours_without_requests": 17,
    }
    # serving: models 0-2; model 3 (orca) served nothing and must not appear in serving tables
    models[0]["units"] = {
        "accelerator": _units(4.1037, True),
        "full_boundary": _units(10.716, True),
        "breakdown_per_request": {
            "accelerator_wh": 4.1037,
            "host_wh": 1.2215,
            "idle_wh": 2.71,
            "facility_overhead_wh": 2.6808,
        },
        "sci_gco2e_per_request": 3.1416,
    }
    models[1]["units"] = {
        "accelerator": _units(0.6211, True),
        "full_boundary": _units(1.6552, True),
        "breakdown_per_request": None,  # no breakdown row
        "sci_gco2e_per_request": None,
    }
    models[2]["units"] = {
        "accelerator": _units(0.0301, False),
        "full_boundary": _units(0.073104, False),
        "breakdown_per_request": {
            "accelerator_wh": 0.0301,
            "host_wh": 0.01,
            "idle_wh": 0.0,
            "facility_overhead_wh": 0.033004,
        },
        "sci_gco2e_per_request": 0.021,
    }
    models[0]["efficiency"] = [
        {
            "basis": "previous month",
            "previous_wh_per_request": 11.9,
            "current_wh_per_request": 10.716,
            "previous_inference_kwh": 11_020.4,
            "current_inference_kwh": 13_764.2,
            "rebound": True,
            "wh_per_request_change_pct": -9.949579831932773,
            "inference_kwh_per_day_change_pct": 24.897463068491162,
        },
        {
            "basis": "week from 2025-03-08 vs the week before",
            "previous_wh_per_request": None,
            "current_wh_per_request": 10.5,
            "previous_inference_kwh": 0.0,
            "current_inference_kwh": 6_800.1,
            "rebound": None,
        },
    ]
    models[1]["efficiency"] = [dict(models[0]["efficiency"][0], rebound=False)]
    models[3]["efficiency"] = [dict(models[0]["efficiency"][0])]  # not serving: not printed

    data["sites"][0].update(co2e_kg_market=12_345.678, cfe_pct=41.25, hourly_matched_kwh=5_000.5)
    data["sites"][0].update(annual_volume_kwh=20_000.0, annual_matched_kwh=19_876.54321)
    data["teams"][1]["team"] = "@ops"
    data["teams"][2]["team"] = "-search"
    data["data_quality"].update(
        scheduler_estimated_share=0.0412, host_measured_share=0.66, unattributed_cost_usd=-12.5
    )
    gaps = [
        ("gpu-017", "fra-1", 4, 30, 192.0, 41.25),
        ("=cmd|gpu", "pdx-2", 50, 51, 0.5, 0.0),  # formula-like host name
    ]
    data["data_quality"]["coverage"] = {
        "expected_gpu_hours": 43_008.0,
        "measured_gpu_hours": 42_774.123456,
        "estimated_gpu_hours": 192.625,
        "missing_gpu_hours": 41.251544,
        "sites": [
            {
                "site": "fra-1",
                "expected_gpu_hours": 32_256.0,
                "measured_gpu_hours": 32_022.123456,
                "estimated_gpu_hours": 192.625,
                "missing_gpu_hours": 41.251544,
            },
            {
                "site": "pdx-2",
                "expected_gpu_hours": 10_752.0,
                "measured_gpu_hours": 10_752.0,
                "estimated_gpu_hours": 0.0,
                "missing_gpu_hours": 0.0,
            },
        ],
        "gaps": [
            {
                "host": host,
                "site": site,
                "from_utc": datetime(2025, 3, 1) + timedelta(hours=a),
                "to_utc": datetime(2025, 3, 1) + timedelta(hours=b),
                "gpu_hours": gpu_h,
                "missing_gpu_hours": missing,
            }
            for host, site, a, b, gpu_h, missing in gaps
        ],
        "gap_count": 5,
        "hosts_without_telemetry": ["gpu-099"],
        "unknown_hosts": [
            {
                "host": "gpu-spare-3",
                "samples": 1_234_567,
                "gpus": 8,
                "first_utc": datetime(2025, 3, 2, 6, 0, 15),
                "last_utc": datetime(2025, 3, 9, 23, 59, 45),
            }
        ],
    }
    quantiles = []
    groups = ["total", "phase:inference", "phase:training", f"model:{HYPERLINK}:training"]
    groups += ["model:atlas-7b-chat:inference", "site:fra-1", "batch:nightly"]
    for g, group in enumerate(groups):
        for metric in ("energy_kwh", "it_energy_kwh", "co2e_kg_location", "co2e_kg_market"):
            if group == "site:fra-1" and metric == "co2e_kg_market":
                continue  # a missing metric prints n/a
            c = 1234.5678 * (g + 1) + len(metric)
            quantiles.append(
                {
                    "group": group,
                    "metric": metric,
                    "central": c,
                    "p5": c * 0.91,
                    "p50": c * 1.001,
                    "p95": c * 1.093,
                }
            )
    quantiles.append(  # a group with only unprinted metrics: no row
        {"group": "phase:idle", "metric": "embodied_kg", "central": 1.0, "p5": 0.9}
        | {"p50": 1.0, "p95": 1.1}
    )
    data["uncertainty"] = {"seed": 20250301, "samples": 2000, "quantiles": quantiles}
    data["checks"] = [
        {"name": "phases sum to totals", "passed": True, "blocking": True, "detail": "ok"},
        {
            "name": "grid coverage",
            "passed": False,
            "blocking": False,
            "detail": 'zone "DE": 6 hours, fallback used,\nsee data quality',
        },
    ]
    data["factors"].append(
        {"name": "Credit", "value": "-0.5", "unit": "USD/GPU-h", "source": "+contract 7"}
    )
    data["inputs"][2]["path"] = "-landing/slurm/sacct, 2025-03.txt"
    data["regulatory"] = {
        "ai_act": [
            {
                "model": HYPERLINK,
                "training_gpu_hours": 128_450.5,
                "training_days": 14,
                "energy_kwh": 80_832.1,
                "energy_basis": "measured and estimated",
                "training_flops": 3.15e23,
                "training_compute_basis": "estimated: 6 × N × D",
            },
            {
                "model": "orca-13b-legal-ft",
                "training_gpu_hours": 20_288.0,
                "training_days": 9,
                "energy_kwh": 12_769.3,
                "energy_basis": "measured",
            },
        ],
        "scope2_location_kg": 38_123.456,
        "scope2_market_kg": 15_730.1,
        "scope2_instrument_kwh": 25_000.5,
        "scope2_residual_factor_note": "location intensity stands in for the residual mix at: "
        "pdx-2",
    }
    data["declared"] = {"runs": [_declared_run(i) for i in range(2)]}
    return Disclosure.model_validate(data)


def _declared_run(i: int) -> dict:
    """A declared run spanning the period: its share here and its whole run differ."""

    def figures(k: float) -> dict:
        return {
            "gpu_hours": 55_067.288 * k,
            "it_energy_kwh": 22_026.915 * k,
            "energy_kwh": 26_432.298 * k,
            "co2e_kg_location": 1_255.5342 * k,
            "co2e_kg_market": 1_255.5342 * k,
            "water_l": 0.0,
            "embodied_kg": 235.73325 * k,
            "cost_usd": 0.0,
            "requests": 0.0,
        }

    return {
        "run": ["bloom-176b-final", "=cmd|run"][i],
        "model": "bloom-176b",
        "phase": "training",
        "gpu_model": "A100-SXM4-80GB",
        "gpus": 384,
        "start_utc": datetime(2025, 1, 11),
        "end_utc": datetime(2025, 5, 7, 12, 30),
        "power_w": 400.0,
        "power_basis": "declared",
        "pue_basis": ["declared", "PUE not declared: IT energy only (PUE 1.0)"][i],
        "source": "Luccioni et al. 2022, Table 2",
        "source_path": "declared/published.csv",
        "line": 2 + i,
        "period": figures(1.0 + i),
        "total": figures(19.666 + i),
    }


def empty_disclosure() -> Disclosure:
    data = sample_disclosure().model_dump()
    data.update(models=[], sites=[], teams=[], daily=[], phases={}, factors=[], inputs=[], notes=[])
    data.update(previous=None, uncertainty=None, checks=[], regulatory=None)
    return Disclosure.model_validate(data)


def _serving(d: Disclosure):
    return [m for m in d.models if m.inference.requests > 0 or m.inference.energy_kwh > 0]


# ----------------------------------------------------------------------------- reading back


def _read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _value(cell: str) -> float | int | str | None:
    """A CSV cell as a number where it is one (the analyst's reading)."""
    if cell == "":
        return None
    if re.fullmatch(r"-?\d+", cell):
        return int(cell)
    try:
        return float(cell)
    except ValueError:
        return cell


def _expected_text(value) -> str:
    """How the CSV must write a Disclosure value (independent of tables.csv_cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    assert isinstance(value, str)
    numeric = re.fullmatch(r"[+-]?\d+(\.\d+)?", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not numeric else value


# Where each CSV row's values come from in the Disclosure: (object, {column: value}) per row.
# A column not in the dict is the object's attribute of the same name (after ALIASES).
ALIASES = {"check": "name", "factor": "name"}


_DECLARED_FIGURES = ("gpu_hours", "energy_kwh", "co2e_kg_location")


def _sources(d: Disclosure) -> dict[str, list[tuple[object, dict]]]:
    reg, cmp, serving = d.regulatory, d.previous, _serving(d)
    cov = d.data_quality.coverage
    unc = {(q.group, q.metric): q for q in (d.uncertainty.quantiles if d.uncertainty else [])}
    return {
        "metadata": [
            (
                d,
                {
                    "period_start": d.period.start,
                    "period_end": d.period.end,
                    "period_days": d.period.days,
                    "input_files": len(d.inputs),
                },
            )
        ],
        "totals": [(d.totals, {})],
        "comparison": [
            (
                None,
                {
                    "metric": k,
                    "current": getattr(d.totals, k),
                    "previous": getattr(cmp.totals, k),
                    "change_pct": cmp.change_pct[k],
                },
            )
            for k in HEADLINE_METRICS
        ]
        if cmp is not None and cmp.totals is not None
        else [],
        "phases": [(d.phases[p], {"phase": p}) for p in ordered_phases(d.phases)],
        "phases_full_boundary": [
            (d.phases[p].full_boundary, {"phase": p})
            for p in ordered_phases(d.phases)
            if d.phases[p].full_boundary is not None
        ],
        "daily_phase_energy": [(r, {}) for r in d.daily],
        "models_training": [(m.training, {"model": m.name}) for m in d.models],
        "models_inference": [(m.inference, {"model": m.name}) for m in d.models] if serving else [],
        "per_request": [
            (getattr(m.units, b), {"model": m.name, "boundary": b})
            for m in serving
            if m.units is not None
            for b in ("accelerator", "full_boundary")
        ],
        "per_1k_output_tokens": [
            (getattr(m.units, b), {"model": m.name, "boundary": b})
            for m in serving
            if m.units is not None
            for b in ("accelerator", "full_boundary")
        ],
        "per_request_breakdown": [
            (
                None,
                {"model": m.name, "sci_gco2e_per_request": m.units.sci_gco2e_per_request}
                | {
                    f"{k}_per_request": v
                    for k, v in m.units.breakdown_per_request.model_dump().items()
                },
            )
            for m in serving
            if m.units is not None and m.units.breakdown_per_request is not None
        ],
        "per_prompt": [
            (getattr(m.per_prompt, f), {"model": m.name, "metric": f})
            for m in serving
            if m.per_prompt is not None
            for f in ("wh", "gco2e_location", "gco2e_market", "water_ml", "cost_usd")
        ]
        + [
            (
                None,
                {"model": m.name, "metric": "wh_measured_by_server", "median": v}
                | dict.fromkeys(("mean", "p10", "p90")),
            )
            for m in serving
            if m.per_prompt is not None and (v := m.per_prompt.measured_median_wh) is not None
        ],
        "per_prompt_breakdown": [
            (
                m.per_prompt,
                {
                    f"median_{k}_{u}": getattr(
                        m.per_prompt.median_breakdown if u == "wh" else m.per_prompt.median_shares,
                        f"{k}_{u}",
                    )
                    for k in ("accelerator", "host", "idle", "facility_overhead")
                    for u in ("wh", "pct")
                }
                | {"model": m.name},
            )
            for m in serving
            if m.per_prompt is not None
        ],
        "crossover": [(m.crossover, {"model": m.name}) for m in d.models],
        "crossover_cumulative": [(p, {"model": m.name}) for m in d.models for p in m.cumulative],
        "efficiency": [(e, {"model": m.name}) for m in serving for e in m.efficiency],
        "declared": [
            (
                r,
                {f"period_{k}": getattr(r.period, k) for k in _DECLARED_FIGURES}
                | {f"total_{k}": getattr(r.total, k) for k in _DECLARED_FIGURES},
            )
            for r in d.declared.runs
        ],
        "sites": [(s, {}) for s in d.sites],
        "teams": [(t, {}) for t in d.teams],
        "uncertainty": None,  # keyed by group: checked in its own test
        "data_quality": [(d.data_quality, {})],
        "coverage": [(x, {}) for x in (cov.sites if cov else [])],
        "coverage_gaps": [(x, {}) for x in (cov.gaps if cov else [])],
        "coverage_unknown_hosts": [(x, {}) for x in (cov.unknown_hosts if cov else [])],
        "checks": [(c, {}) for c in d.checks],
        "factors": [(f, {}) for f in d.factors],
        "ai_act": [(a, {}) for a in reg.ai_act] if reg is not None else [],
        "scope2": [(reg, {})] if reg is not None else [],
        "sci": [
            (
                None,
                {
                    "model": m.name,
                    "sci_gco2e_per_request": m.units and m.units.sci_gco2e_per_request,
                },
            )
            for m in serving
        ]
        if reg is not None
        else [],
        "inputs": [(f, {}) for f in d.inputs],
    } | {"_uncertainty_index": unc}  # type: ignore[dict-item]


# ----------------------------------------------------------------------------- the HTML tables


class _Tables(HTMLParser):
    """Every <table> of the report: section id, classes, and its body rows' cells.

    A cell is (classes, text); element boundaries inside a cell read as "|" so that a value and
    its band (<span class="band">) stay apart.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._section: list[str] = []
        self._table: dict | None = None
        self._part = ""
        self._cell: list[str] | None = None
        self._cell_classes: list[str] = []
        self._row: list | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._section.append(a.get("id") or "")
        elif tag == "table":
            self._table = {
                "section": self._section[-1] if self._section else "",
                "classes": (a.get("class") or "").split(),
                "id": a.get("id"),
                "head": [],
                "body": [],
            }
            self.tables.append(self._table)
        elif self._table is None:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            self._cell_classes = (a.get("class") or "").split()
        elif tag in ("svg",):
            self._skip += 1
        elif self._cell is not None:
            self._cell.append("|")

    def handle_endtag(self, tag):
        if tag == "section" and self._section:
            self._section.pop()
        elif tag == "table":
            self._table = None
        elif self._table is None:
            return
        elif tag == "svg":
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell_classes, re.sub(r"\s+", " ", "".join(self._cell))))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            part = self._part or "tbody"
            if part == "thead":
                self._table["head"].append(self._row)
            elif part == "tbody":
                self._table["body"].append(self._row)
            self._row = None
        elif self._cell is not None:
            self._cell.append("|")

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


# stem -> (section id, table class[, n-th such table]): the template's tables carry no id yet
HTML_HOOKS: dict[str, tuple] = {
    "comparison": ("headline", "comparison"),
    "phases": ("phases", "phases"),
    "phases_full_boundary": ("phases", "phases-full"),
    "models_training": ("models", "models-training"),
    "models_inference": ("models", "models-inference"),
    "per_request": ("models", "models-units", 0),
    "per_1k_output_tokens": ("models", "models-units", 1),
    "per_request_breakdown": ("models", "models-breakdown"),
    "per_prompt": ("models", "models-prompts"),
    "per_prompt_breakdown": ("models", "models-prompt-breakdown"),
    "crossover": ("models", "models-crossover"),
    "efficiency": ("models", "models-efficiency"),
    "declared": ("models", "declared"),
    "sites": ("sites", "sites"),
    "teams": ("teams", "teams"),
    "uncertainty": ("uncertainty", "uncertainty"),
    "data_quality": ("data-quality", "kv"),
    "coverage": ("data-quality", "coverage"),
    "coverage_gaps": ("data-quality", "coverage-gaps"),
    "coverage_unknown_hosts": ("data-quality", "coverage-unknown"),
    "checks": ("data-quality", "checks"),
    "factors": ("methodology", "factors"),
    "ai_act": ("regulatory", "ai-act"),
    "scope2": ("regulatory", "scope2"),
    "sci": ("regulatory", "sci"),
    "inputs": ("inputs", "manifest"),
}
KEY_VALUE = {"data_quality", "scope2"}  # one CSV row; one printed line per column
NOT_PRINTED_AS_TABLE = {"metadata", "totals", "daily_phase_energy", "crossover_cumulative"}


def _html_table(parsed: list[dict], stem: str) -> dict | None:
    section, cls, *nth = HTML_HOOKS[stem]
    found = [t for t in parsed if t["section"] == section and cls in t["classes"]]
    if nth:
        return found[nth[0]] if len(found) > nth[0] else None
    assert len(found) <= 1, f"{stem}: {len(found)} tables match {section}/{cls}"
    return found[0] if found else None


def _num_cells(row: list) -> list[str]:
    """The printed numbers of an HTML row: its class="num" cells, split at a band or " / "."""
    out = []
    for classes, text in row:
        if "num" in classes:
            parts = re.split(r"\||–|\s/\s", text)
            out += [p.strip() for p in parts if p.strip()]
    return out


# How the template prints each CSV column that sits in a class="num" cell, in print order.
_PCT100 = {"share_pct", "cfe_pct", "inference_share_pct"}  # 0-100, printed as pct(v / 100)
_PCT100 |= {"wh_per_request_change_pct", "inference_kwh_per_day_change_pct"}
_PCT100 |= {f"median_{k}_pct" for k in ("accelerator", "host", "idle", "facility_overhead")}
_SHARE = {"estimated_share", "measured_share", "scheduler_estimated_share"}
_SHARE |= {"host_measured_share", "grid_hourly_share"}  # 0-1, printed as pct(v)
_NOT_NUM = {"model", "phase", "boundary", "basis", "rebound", "reached", "group", "site"}
_NOT_NUM |= {"grid_zone", "team", "check", "passed", "blocking", "detail", "factor", "unit"}
_NOT_NUM |= {"source", "path", "format", "sha256", "energy_basis", "scope2_residual_factor_note"}
_NOT_NUM |= {"metric", "host", "from_utc", "to_utc", "first_utc", "last_utc"}
_NOT_NUM |= {"training_compute_basis"}
_NOT_NUM |= {"run", "gpu_model", "start_utc", "end_utc", "pue_basis"}
_UNITS = {  # the unit a kv or comparison cell prints after the number
    "unattributed_cost_usd": "USD",
    "scope2_location_kg": "kg CO2e",
    "scope2_market_kg": "kg CO2e",
    "scope2_instrument_kwh": "kWh",
}
_METRIC_UNITS = {
    "energy_kwh": "kWh",
    "it_energy_kwh": "kWh",
    "gpu_hours": "GPU-h",
    "co2e_kg_location": "kg CO2e",
    "co2e_kg_market": "kg CO2e",
    "water_l": "L",
    "embodied_kg": "kg CO2e",
    "cost_usd": "USD",
}


def _printed(column: str, cell: str, row: dict[str, str]) -> str:
    """The report's text for a CSV cell, through the report's own formatters."""
    v = _value(cell)
    if column == "date":
        return fmt_date(date.fromisoformat(cell) if cell else None)
    if column in ("current", "previous"):
        return fmt(v, _METRIC_UNITS[row["metric"]])
    if column == "change_pct":
        return fmt_change(v)
    if column in _PCT100:
        return fmt_pct(v / 100 if v is not None else None)
    if column in _SHARE:
        return fmt_pct(v)
    if column == "training_flops":
        return fmt_flop(v)
    return fmt(v, _UNITS.get(column, ""))


def _printed_row(stem: str, columns: list[str], row: dict[str, str]) -> list[str]:
    num = [c for c in columns if c not in _NOT_NUM]
    if stem == "factors":
        return [row["value"]]  # the factor's value is text, printed as is
    cells = [_printed(c, row[c], row) for c in num]
    if stem == "uncertainty":  # central and the P5-P95 band in one cell; "n/a" if no figure
        triples = [cells[i : i + 3] for i in range(0, len(cells), 3)]
        cells = [x for t in triples for x in (["n/a"] if t == ["n/a"] * 3 else t)]
    return cells


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def rich() -> Disclosure:
    return rich_disclosure()


@pytest.fixture(scope="module")
def files(rich) -> dict[str, bytes]:
    return render_tables(rich)


@pytest.fixture(scope="module")
def html(rich) -> str:
    return render_html(rich)


@pytest.fixture(scope="module")
def html_tables(html) -> list[dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture(scope="module")
def pdf_text(html) -> str:
    reader = PdfReader(io.BytesIO(render_pdf(html)))
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in reader.pages))


# ----------------------------------------------------------------------------- values


def test_every_table_is_written_and_indexed(files, rich):
    assert list(files) == [f"{s}.csv" for s in STEMS] + [INDEX_NAME]
    assert len(set(STEMS)) == len(STEMS)
    header, index = _read_csv(files[INDEX_NAME])
    assert header == ["stem", "title", "rows", "columns"]
    assert [r["stem"] for r in index] == list(STEMS)
    for r in index:
        cols, rows = _read_csv(files[f"{r['stem']}.csv"])
        assert int(r["rows"]) == len(rows), r["stem"]
        assert int(r["columns"]) == len(cols), r["stem"]
        assert r["title"]
    # the rich sample exercises every table
    assert [r["stem"] for r in index if r["rows"] == "0"] == []


def test_csv_values_are_the_disclosure_values(files, rich):
    sources = _sources(rich)
    checked = 0
    for stem in STEMS:
        src = sources[stem]
        if src is None:
            continue
        header, rows = _read_csv(files[f"{stem}.csv"])
        assert len(rows) == len(src), f"{stem}: {len(rows)} rows, expected {len(src)}"
        for i, (row, (obj, extra)) in enumerate(zip(rows, src, strict=True)):
            for col in header:
                expected = extra[col] if col in extra else getattr(obj, ALIASES.get(col, col))
                where = f"{stem}.csv row {i + 1} column {col}"
                assert row[col] == _expected_text(expected), where
                if isinstance(expected, float) and row[col]:
                    assert float(row[col]) == expected, where  # exact round trip
                checked += 1
    assert checked > 500  # not a vacuous walk


def test_uncertainty_csv_is_one_row_per_figure(files, rich):
    unc = _sources(rich)["_uncertainty_index"]
    header, rows = _read_csv(files["uncertainty.csv"])
    metrics = ("energy_kwh", "co2e_kg_location", "co2e_kg_market")
    assert header == ["group"] + [f"{m}_{p}" for m in metrics for p in ("central", "p5", "p95")]
    printed_groups = {g for (g, m) in unc if m in metrics}
    assert {_expected_text(g) for g in printed_groups} == {r["group"] for r in rows}
    for row in rows:
        group = next(g for g in printed_groups if _expected_text(g) == row["group"])
        for m in metrics:
            q = unc.get((group, m))
            for part in ("central", "p5", "p95"):
                expected = getattr(q, part) if q is not None else None
                assert row[f"{m}_{part}"] == _expected_text(expected), (group, m, part)


def test_csv_files_are_utf8_lf_and_rfc4180_quoted(files):
    checks = files["checks.csv"]
    text = checks.decode("utf-8")
    assert "\r" not in text and text.endswith("\n")
    # a comma, a double quote and a line break: one quoted field, quotes doubled
    assert '"zone ""DE"": 6 hours, fallback used,\nsee data quality"' in text
    _, rows = _read_csv(checks)
    assert rows[1]["detail"] == 'zone "DE": 6 hours, fallback used,\nsee data quality'
    assert rows[1]["passed"] == "false" and rows[0]["blocking"] == "true"
    for name, data in files.items():
        assert not data.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in data, name


# ----------------------------------------------------------------------------- against the HTML


def test_every_printed_table_has_a_hook_and_vice_versa(html_tables):
    assert set(HTML_HOOKS) | NOT_PRINTED_AS_TABLE == set(STEMS)
    data_tables = [
        t for t in html_tables if "data" in t["classes"] and "boundary" not in t["classes"]
    ]
    hooked = [t for t in data_tables if any(_html_table(html_tables, s) is t for s in HTML_HOOKS)]
    assert len(hooked) == len(data_tables), [t["classes"] for t in data_tables if t not in hooked]


def _compare_with_html(stem: str, files: dict[str, bytes], html_tables: list[dict]) -> None:
    """The CSV has the printed table's rows, and each printed number is its CSV value through
    the report's formatter; a table the report leaves out has a header-only CSV."""
    header, rows = _read_csv(files[f"{stem}.csv"])
    table = _html_table(html_tables, stem)
    if table is None:
        assert rows == [], f"{stem}: not printed, but the CSV has {len(rows)} rows"
        return
    if stem in KEY_VALUE:
        assert len(rows) == 1
        assert len(table["body"]) == len(header)  # one printed line per column
        printed_lines = [_num_cells(r) for r in table["body"]]
        assert [x for line in printed_lines for x in line] == _printed_row(stem, header, rows[0])
        return
    assert len(table["body"]) == len(rows), f"{stem}: HTML rows vs CSV rows"
    for i, (html_row, row) in enumerate(zip(table["body"], rows, strict=True)):
        assert _num_cells(html_row) == _printed_row(stem, header, row), f"{stem} row {i + 1}"


@pytest.mark.parametrize("stem", sorted(HTML_HOOKS))
def test_rows_and_printed_numbers_match_the_html(stem, files, html_tables):
    assert _html_table(html_tables, stem) is not None, f"{stem}: no table in the rendered HTML"
    _compare_with_html(stem, files, html_tables)


def _no_serving(d: Disclosure) -> Disclosure:
    data = d.model_dump()
    for m in data["models"]:
        m["inference"].update(requests=0, output_tokens=0, energy_kwh=0.0, gpu_hours=0.0)
    return Disclosure.model_validate(data)


def _without(d: Disclosure, **changes) -> Disclosure:
    return Disclosure.model_validate(d.model_dump() | changes)


VARIANTS = {
    "report sample": sample_disclosure,
    "empty": empty_disclosure,
    "no model served": lambda: _no_serving(rich_disclosure()),
    "no regulatory annex, uncertainty or comparison": lambda: _without(
        rich_disclosure(), regulatory=None, uncertainty=None, previous=None
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_rows_match_the_html_when_sections_are_missing(variant):
    d = VARIANTS[variant]()
    parser = _Tables()
    parser.feed(render_html(d))
    files = render_tables(d)
    for stem in HTML_HOOKS:
        _compare_with_html(stem, files, parser.tables)


def test_phase_and_uncertainty_rows_follow_the_printed_order(files, html_tables):
    _, rows = _read_csv(files["phases.csv"])
    printed = [r[0][1].strip(" |") for r in _html_table(html_tables, "phases")["body"]]
    assert printed == [phase_label(r["phase"]) for r in rows]

    _, rows = _read_csv(files["uncertainty.csv"])
    printed = [r[0][1].strip(" |") for r in _html_table(html_tables, "uncertainty")["body"]]
    groups = [r["group"][1:] if r["group"].startswith("'") else r["group"] for r in rows]
    assert printed == [uncertainty_label(g) for g in groups]
    assert groups[:3] == ["total", "phase:training", "phase:inference"]


def test_header_widths_match_the_html(files, html_tables):
    # sites prints "annual volume / matched" in one column; per_request prints the model name on
    # the first of its two rows only, but keeps the column
    wider = {"sites": 1, "uncertainty": 6}  # uncertainty: central, P5 and P95 in one cell
    wider["declared"] = 2  # source and pue_basis: printed in a list under the table
    for stem in HTML_HOOKS:
        if stem in KEY_VALUE:
            continue
        header, _ = _read_csv(files[f"{stem}.csv"])
        head = _html_table(html_tables, stem)["head"]
        width = len(head[0]) if head else 0
        assert len(header) == width + wider.get(stem, 0), stem


# ----------------------------------------------------------------------------- against the PDF

PDF_TABLES = ("phases", "phases_full_boundary", "models_training", "models_inference")
PDF_TABLES += (
    "per_request",
    "per_1k_output_tokens",
    "per_request_breakdown",
    "per_prompt",
    "per_prompt_breakdown",
    "crossover",
    "sites",
    "teams",
    "coverage",
    "coverage_gaps",
    "coverage_unknown_hosts",
    "ai_act",
    "declared",
)


def _in_pdf(text: str, cells: list[str]) -> bool:
    """The printed cells appear in order, one after the other (" / " allowed between)."""
    body = r"\s*(?:/\s*)?".join(re.escape(c) for c in cells)
    return re.search(rf"(?<![\d.,]){body}(?![\d]|[.,]\d)", text) is not None


@pytest.mark.parametrize("stem", PDF_TABLES)
def test_each_rows_printed_numbers_are_in_the_pdf(stem, files, pdf_text):
    header, rows = _read_csv(files[f"{stem}.csv"])
    assert rows
    missing = []
    for i, row in enumerate(rows):
        cells = _printed_row(stem, header, row)
        if not _in_pdf(pdf_text, cells):
            missing.append((i + 1, cells))
    assert missing == []


def test_a_changed_value_is_caught_by_the_pdf_check(files, pdf_text):
    header, rows = _read_csv(files["teams.csv"])
    cells = _printed_row("teams", header, rows[0])
    assert _in_pdf(pdf_text, cells)
    wrong = cells[:-1] + [fmt(_value(rows[0]["co2e_kg_location"]) * 1.5)]
    assert not _in_pdf(pdf_text, wrong)


# ----------------------------------------------------------------------------- spreadsheets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-0.5", "-0.5"),  # a number written as text stays a number
        ("+3", "+3"),
        ("atlas-7b", "atlas-7b"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(text, expected):
    assert spreadsheet_safe(text) == expected


def test_formula_like_names_are_prefixed_and_numbers_are_not(rich):
    data = rich.model_dump()
    data["models"][1]["training"]["cost_usd"] = -250.0  # a refund
    d = Disclosure.model_validate(data)
    files = render_tables(d)
    _, rows = _read_csv(files["models_training.csv"])
    assert rows[0]["model"] == "'" + HYPERLINK
    assert rows[1]["cost_usd"] == "-250.0"
    _, teams = _read_csv(files["teams.csv"])
    assert [t["team"] for t in teams][1:] == ["'@ops", "'-search"]
    _, inputs = _read_csv(files["inputs.csv"])
    assert inputs[2]["path"] == "'-landing/slurm/sacct, 2025-03.txt"
    _, factors = _read_csv(files["factors.csv"])
    assert factors[-1]["value"] == "-0.5" and factors[-1]["source"] == "'+contract 7"
    _, dq = _read_csv(files["data_quality.csv"])
    assert dq[0]["unattributed_cost_usd"] == "-12.5"
    # every text cell of every file is safe; no number cell is prefixed
    for name, data in files.items():
        _, rows = _read_csv(data)
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "@", "\t", "\r")), (name, cell)
                if cell.startswith(("-", "+")):
                    assert isinstance(_value(cell), int | float), (name, cell)


def test_cell_text():
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(False) == "false"
    assert csv_cell(0.1 + 0.2) == "0.30000000000000004"
    assert csv_cell(-1e-300) == "-1e-300"
    assert csv_cell(1284377) == "1284377"
    assert csv_cell(date(2025, 3, 9)) == "2025-03-09"
    with pytest.raises(TypeError):
        csv_cell([1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="row 0: 1 cells, expected 2"):
        Table("t", "T", ("a", "b"), ((1,),))


# ----------------------------------------------------------------------------- writing


def test_write_is_atomic_and_the_file_set_is_stable(tmp_path, rich, monkeypatch):
    folder = tmp_path / "tables"
    paths = write_tables(rich, folder)
    assert [p.name for p in paths] == [f"{s}.csv" for s in STEMS] + [INDEX_NAME]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in paths)
    before = {p.name: p.read_bytes() for p in paths}

    # an empty Disclosure writes the same files, tables the report leaves out header-only
    empty_paths = write_tables(empty_disclosure(), tmp_path / "empty")
    assert [p.name for p in empty_paths] == [p.name for p in paths]
    for p in empty_paths:
        cols, rows = _read_csv(p.read_bytes())
        assert cols == _read_csv(before[p.name])[0], p.name
        if p.stem not in ("metadata", "totals", "data_quality", "index"):
            assert rows == [], p.name

    # a failure while writing leaves every file whole: old or new, never cut, no temp files
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_tables(empty_disclosure(), folder)
    monkeypatch.setattr(os, "replace", real_replace)
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)  # no temp file left
    written = [Path(c).name for c in calls[:2]]
    for name, data in before.items():
        now = (folder / name).read_bytes()
        if name in written:
            assert now == (tmp_path / "empty" / name).read_bytes()
        else:
            assert now == data, name

    # an error while making the tables writes nothing at all
    monkeypatch.setattr(tables_mod, "table_csv", lambda t: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_tables(rich, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_metadata_names_the_report(files, rich):
    _, rows = _read_csv(files["metadata.csv"])
    assert rows[0]["generated_at"] == rich.generated_at.isoformat()
    assert fmt_datetime(rich.generated_at) == "2025-03-15 06:00 UTC"
    assert rows[0]["config_sha256"] == rich.config_sha256


def test_report_tables_is_pure(rich):
    assert report_tables(rich) == report_tables(rich)
    assert report_tables(rich_disclosure()) == report_tables(rich)
