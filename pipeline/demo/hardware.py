"""The demo fleet's hardware: its GPU and server models, with their power, embodied carbon,
lifetime and sources, and how many GPUs a node holds. A GPU's config entry names its GPU of the
factor library and gives only the values that differ from it, with `source` for those.

`pipeline.demo.inventory` places them at the demo's sites; like the rest of the demo config, they
must stay in step with `wattprint.example.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuSpec:
    key: str  # the key under `gpu_models` in the config
    library: str  # the GPU of the factor library (pipeline/config/gpu_library.yaml)
    smi_name: str  # what `nvidia-smi --query-gpu=name` prints
    gres_type: str  # the typed GRES name in Slurm's AllocTRES
    tdp_w: float
    idle_w: float
    memory_mib: int
    embodied_kg: float
    lifetime_years: float
    source: str
    # what one GPU's share of the node looks like in Slurm's AllocTRES
    cpus_per_gpu: int
    mem_g_per_gpu: int


@dataclass(frozen=True)
class ServerSpec:
    key: str  # the key under `server_models` in the config
    overhead_w: float  # non-GPU power (CPUs, DRAM, NICs, fans)
    embodied_kg: float  # GPUs excluded
    lifetime_years: float
    source: str


GPUS_PER_NODE = 8

H100 = GpuSpec(
    key="H100-SXM5-80GB",
    library="H100 SXM",
    smi_name="NVIDIA H100 80GB HBM3",
    gres_type="h100",
    tdp_w=700.0,
    idle_w=70.0,
    memory_mib=81559,
    embodied_kg=150.0,
    lifetime_years=4.0,
    source=(
        "NVIDIA H100 Tensor Core GPU datasheet (SXM5: max TDP 700 W); idle 70 W from nvidia-smi "
        "readings of idle SXM5 boards; embodied 150 kgCO2e per GPU from Luccioni et al. 2023, "
        "Estimating the Carbon Footprint of BLOOM (JMLR), used as a proxy"
    ),
    cpus_per_gpu=14,
    mem_g_per_gpu=240,
)

A100 = GpuSpec(
    key="A100-SXM4-40GB",
    library="A100 40GB",
    smi_name="NVIDIA A100-SXM4-40GB",
    gres_type="a100",
    tdp_w=400.0,
    idle_w=50.0,
    memory_mib=40960,
    embodied_kg=150.0,
    lifetime_years=4.0,
    source=(
        "idle 50 W from nvidia-smi readings of idle SXM4 boards, above the library's 10 % of the "
        "400 W TDP of the NVIDIA A100 Tensor Core GPU datasheet"
    ),
    cpus_per_gpu=12,
    mem_g_per_gpu=140,
)

DGX_H100 = ServerSpec(
    key="DGX-H100",
    overhead_w=1100.0,
    embodied_kg=2500.0,
    lifetime_years=6.0,
    source=(
        "Non-GPU power: assumption scaled from the Cloud Carbon Footprint coefficients for "
        "p4d.24xlarge (CPU + DRAM at 50 % load + chassis, 942 W) to 2x Xeon 8480C; embodied "
        "2,500 kgCO2e per server without GPUs and 6-year life from Luccioni et al. 2023, "
        "Estimating the Carbon Footprint of BLOOM (JMLR)"
    ),
)

P4D = ServerSpec(
    key="p4d.24xlarge",
    overhead_w=942.0,
    embodied_kg=3476.8,
    lifetime_years=4.0,
    source=(
        "Cloud Carbon Footprint coefficients, p4d.24xlarge: CPU 448.31 W + DRAM 397.56 W at 50 % "
        "load + 96 W chassis delta; embodied 4,676.79 kgCO2e less 1,200 for the 8 GPUs; 4-year "
        "life (CCF default)"
    ),
)
