"""From landing file to attributed energy: a dcgm-exporter scrape log (timestamped samples, energy
counters, pod labels) is ingested and its GPU energy priced by counter deltas and attributed by
the pod label, with no scheduler record at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.ingest import ingest_landing
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.checks import energy_conservation
from pipeline.method.energy import build_gpu_energy_attributed, build_gpu_energy_intervals
from pipeline.warehouse import connect
from tests.method.test_method_k8s_allocations import make_config

D1 = datetime(2026, 10, 1)
D2 = D1 + timedelta(days=1)
LABELS = 'UUID="GPU-{g}",modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-01"'


def scrape(minute: int, energy_mj: dict[int, int], pods: dict[int, str]) -> list[str]:
    """One scrape at 10:<minute> UTC: power and the energy counter for GPUs 0 and 1."""
    when = (D1 + timedelta(hours=10, minutes=minute)).replace(tzinfo=UTC)
    ts_ms = int(when.timestamp() * 1000)
    lines = []
    for g, counter in energy_mj.items():
        pod = f',namespace="serve",pod="{pods[g]}",container="vllm"' if g in pods else ""
        labels = f'gpu="{g}",' + LABELS.format(g=g) + pod
        lines.append(f"DCGM_FI_DEV_POWER_USAGE{{{labels}}} 999.0 {ts_ms}")
        lines.append(f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{{labels}}} {counter} {ts_ms}")
    return lines


def test_counter_energy_goes_to_the_labelled_pod(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    folder = cfg.landing_dir / "telemetry" / "gpu-01"
    folder.mkdir(parents=True)
    # Scrapes at 10:00, 10:30, 11:00. GPU 0 runs pod serve/vllm-0 throughout; GPU 1 is unlabelled.
    # Counters (mJ): GPU 0: 0 → 900e6 → 1800e6, i.e. 250 Wh per half hour (900e6 mJ / 3.6e6);
    # GPU 1: 5e9 → 5.18e9 → 5.36e9, i.e. 50 Wh per half hour. The power gauge (999 W) must be
    # ignored where the counter is there.
    text = [
        "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
        "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
    ]
    for minute, e0, e1 in (
        (0, 0, 5_000_000_000),
        (30, 900_000_000, 5_180_000_000),
        (60, 1_800_000_000, 5_360_000_000),
    ):
        text += scrape(minute, {0: e0, 1: e1}, {0: "vllm-0"})
    (folder / "metrics.prom").write_text("\n".join(text) + "\n")

    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        summary = ingest_landing(con, cfg)
        [outcome] = summary.files
        # 3 scrapes × 2 GPUs, each reading merged from its power and counter lines
        assert (outcome.format, outcome.rows_read, outcome.rows_accepted) == (
            "dcgm-prometheus-text",
            6,
            6,
        )
        build_job_allocations(con, cfg, D1, D2)
        build_gpu_energy_intervals(con, cfg, D1, D2)
        build_gpu_energy_attributed(con, D1, D2)
        assert energy_conservation(con, D1, D2).passed
        sources = con.execute("SELECT DISTINCT source FROM gpu_energy_intervals").fetchall()
        assert sources == [("counter",)]
        rows = con.execute(
            "SELECT gpu_index, job_key, round(sum(energy_wh), 9), round(sum(measured_wh), 9) "
            "FROM gpu_energy_attributed GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    # GPU 0: 2 × 250 Wh to the pod's synthesised allocation; GPU 1: 2 × 50 Wh idle (no job).
    assert rows == [(0, "s1/serve/vllm-0", 500.0, 500.0), (1, None, 100.0, 100.0)]
