"""The demo fleet's inventory: sites, their hosts and instruments, phase rules, and the config
built from them (the GPU and server models are in `pipeline.demo.hardware`).

The demo config and `wattprint.example.yaml` describe the same fleet; the test suite checks that the
two stay in step, so a change here must be mirrored there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import hostlist

from pipeline.config import gpu_library
from pipeline.demo.hardware import A100, DGX_H100, GPUS_PER_NODE, H100, P4D, GpuSpec, ServerSpec


@dataclass(frozen=True)
class SiteSpec:
    name: str
    grid_zone: str
    timezone: str
    hosts: str  # Slurm-style host list
    gpu: GpuSpec
    pue: float
    pue_source: str
    wue_l_per_kwh: float
    wue_source: str
    annual_gco2e_per_kwh: float
    annual_gco2e_source: str
    deployment: str  # the serving gateway's name for this site's deployments
    server: ServerSpec
    offsite_water_l_per_kwh: float = 0.0
    offsite_water_source: str = "not configured"
    has_bmc: bool = False  # on-premises: node power readings from the servers' BMCs

    @property
    def host_names(self) -> list[str]:
        return hostlist.expand_hostlist(self.hosts)


STOCKHOLM = SiteSpec(
    name="stockholm",
    grid_zone="SE-SE3",
    timezone="Europe/Stockholm",
    hosts="sto-h100-[001-012]",
    gpu=H100,
    pue=1.10,
    pue_source=(
        "Google 2024 Environmental Report: fleet-wide trailing-twelve-month PUE 1.10 (modern "
        "free-cooled site; Uptime Institute Global Data Center Survey 2023 average is 1.58)"
    ),
    wue_l_per_kwh=0.20,
    wue_source="Meta 2023 Sustainability Report: data-center WUE 0.20 L/kWh",
    annual_gco2e_per_kwh=30.0,
    annual_gco2e_source="Electricity Maps, SE-SE3 annual average 2023 (direct emissions)",
    deployment="stockholm-prod",
    server=DGX_H100,
    has_bmc=True,
)

VIRGINIA = SiteSpec(
    name="virginia",
    grid_zone="US-MIDA-PJM",
    timezone="America/New_York",
    hosts="use1-a100-[01-04]",
    gpu=A100,
    pue=1.15,
    pue_source="Amazon 2023 Sustainability Report: AWS global data-center PUE 1.15",
    wue_l_per_kwh=0.18,
    wue_source="Amazon 2023 Sustainability Report: AWS global WUE 0.18 L/kWh",
    annual_gco2e_per_kwh=380.0,
    annual_gco2e_source="Electricity Maps, US-MIDA-PJM annual average 2023 (direct emissions)",
    deployment="virginia-prod",
    server=P4D,
    offsite_water_l_per_kwh=3.14,
    offsite_water_source=(
        "Li, Yang, Islam and Ren 2023, Making AI Less Thirsty (arXiv:2304.03271): U.S. average "
        "water consumption of electricity generation, 3.14 L/kWh"
    ),
)

# A run-of-river hydro PPA for Stockholm delivering by an hourly profile (hourly matching), and
# unbundled RECs for Virginia matched annually. The profile is written by the demo fleet.
HYDRO_PROFILE = "instruments/stockholm-hydro-ppa-2026.csv"
HYDRO_MWH_PER_HOUR = 0.03
INSTRUMENTS: list[dict[str, Any]] = [
    {
        "name": "stockholm-hydro-ppa",
        "kind": "PPA",
        "site": "stockholm",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "hourly_profile": HYDRO_PROFILE,
        "gco2e_per_kwh": 0.0,
        "source": "demo contract: 0.03 MWh each hour from a run-of-river plant in SE3, with "
        "hourly delivery data",
    },
    {
        "name": "virginia-recs-2026",
        "kind": "REC",
        "site": "virginia",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "mwh": 50.0,
        "gco2e_per_kwh": 0.0,
        "source": "demo contract: 50 MWh of Green-e certified wind RECs for calendar 2026",
    },
]


SITES: tuple[SiteSpec, ...] = (STOCKHOLM, VIRGINIA)

# Model names are one lowercase word, a size and an optional variant ("atlas-7b-chat"); the
# eval pattern puts the suite first so that a variant is never mistaken for a suite.
_MODEL = r"(?P<model>[a-z0-9][a-z0-9.-]*)"

PHASE_RULES: list[dict[str, Any]] = [
    {
        "name": "pre-training",
        "field": "job_name",
        "pattern": rf"^pretrain-{_MODEL}$",
        "phase": "training",
        "model": "{model}",
        "team": "foundation",
    },
    {
        "name": "fine-tuning",
        "field": "job_name",
        "pattern": rf"^ft-{_MODEL}$",
        "phase": "fine_tuning",
        "model": "{model}",
        "team": "applied",
    },
    {
        "name": "evaluation",
        "field": "job_name",
        "pattern": rf"^eval-(?P<suite>[a-z0-9]+)-{_MODEL}$",
        "phase": "evaluation",
        "model": "{model}",
        "team": "evals",
    },
    {
        "name": "serving",
        "field": "job_name",
        "pattern": rf"^serve-{_MODEL}$",
        "phase": "inference",
        "model": "{model}",
        "team": "serving",
    },
    {
        "name": "interactive",
        "field": "partition",
        "pattern": r"^dev$",
        "phase": "development",
        "team": "research",
    },
]


def _gpu_entry(g: GpuSpec) -> dict[str, Any]:
    """A GPU's `gpu_models` entry: its library GPU and, with the spec's source, the values that
    differ from the library's, so that the demo's figures never move with the library."""
    library = gpu_library.resolve(g.library).values()
    own = {
        f: getattr(g, f)
        for f in ("tdp_w", "idle_w", "embodied_kg", "lifetime_years")
        if getattr(g, f) != library[f]
    }
    return {"library": g.library, **own, **({"source": g.source} if own else {})}


def config_dict(start: date) -> dict[str, Any]:
    """The demo configuration, as the mapping `wattprint.yaml` holds."""
    gpus = {s.gpu.key: s.gpu for s in SITES}
    return {
        "start_date": start.isoformat(),
        "timezone": "UTC",
        "paths": {
            "landing": "landing",
            "warehouse": "warehouse/wattprint.duckdb",
            "reports": "reports",
        },
        "telemetry": {"max_gap_s": 900.0},
        "sites": {
            s.name: {
                "grid_zone": s.grid_zone,
                "timezone": s.timezone,
                "pue": s.pue,
                "pue_source": s.pue_source,
                "wue_l_per_kwh": s.wue_l_per_kwh,
                "wue_source": s.wue_source,
                "offsite_water_l_per_kwh": s.offsite_water_l_per_kwh,
                "offsite_water_source": s.offsite_water_source,
                "annual_gco2e_per_kwh": s.annual_gco2e_per_kwh,
                "annual_gco2e_source": s.annual_gco2e_source,
            }
            for s in SITES
        },
        "gpu_models": {g.key: _gpu_entry(g) for g in gpus.values()},
        "server_models": {
            s.server.key: {
                "overhead_w": s.server.overhead_w,
                "embodied_kg": s.server.embodied_kg,
                "lifetime_years": s.server.lifetime_years,
                "source": s.server.source,
            }
            for s in SITES
        },
        "host_groups": [
            {
                "hosts": s.hosts,
                "site": s.name,
                "gpu_model": s.gpu.key,
                "gpus": GPUS_PER_NODE,
                "server_model": s.server.key,
            }
            for s in SITES
        ],
        "phase_rules": PHASE_RULES,
        # lynx-13b is fine-tuned here from a base pre-trained elsewhere (pipeline/demo/declared.py);
        # atlas-7b-chat from atlas-7b, pre-trained here (its lifecycle carries atlas-7b apart)
        "models": {
            "atlas-7b": {
                "parameters": 7e9,
                "training_tokens": 5e11,
                "source": "demo: illustrative size and token count",
            },
            "atlas-7b-chat": {
                "base_model": "atlas-7b",
                "source": "demo: chat fine-tune of atlas-7b",
            },
            "lynx-13b": {
                "base_model": "lynx-13b-base",
                "source": "demo: fine-tuned from lynx-13b-base (declared usage)",
            },
        },
        "instruments": INSTRUMENTS,
        "reporting": {
            "title": "AI energy and carbon disclosure (demo fleet)",
            "organisation": "Example AI Lab",
            # `run` writes the latest day's Prometheus metrics here (node_exporter textfile)
            "metrics_textfile": "metrics/wattprint.prom",
        },
        # no mail server in the demo: the report is delivered by copying it to a folder
        "delivery": {"publish_dir": "published"},
    }
