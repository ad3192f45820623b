"""dcgm-exporter Prometheus text scrapes: the four real scrapes in shared/data, both hostname label
spellings, sample timestamps or the file's modification time, MIG instances counted once,
workload labels, bad lines quarantined with their line numbers, and random corruption."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.plausibility import HostLimits, Limits, screen
from pipeline.readers import UnreadableFileError, detect_format, read_file
from pipeline.readers.telemetry import dcgm_prometheus
from tests.fuzz import corrupted

REPO = Path(__file__).resolve().parents[2]
DCGM = Path(__file__).resolve().parents[3] / "shared" / "data" / "cncf_k8s_ai_conformance_dcgm"
FORMAT = "dcgm-prometheus-text"

# 2024-03-01T12:00:00.250Z, the mtime given to hand-written scrapes without timestamps.
SCRAPE_NS = int(datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp()) * 10**9 + 250_000_000
SCRAPE_TIME = datetime(2024, 3, 1, 12, 0, 0, 250000)


def write(tmp_path: Path, text: str, host: str = "dgx-07", mtime_ns: int = SCRAPE_NS) -> Path:
    path = tmp_path / host / "metrics.prom"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def mtime_utc(path: Path) -> datetime:
    return datetime(1970, 1, 1) + timedelta(microseconds=path.stat().st_mtime_ns // 1000)


def labels(gpu: str = "0", host: str = 'Hostname="dgx-07"', extra: str = "") -> str:
    # The label order and spelling dcgm-exporter writes (see the real scrapes in shared/data).
    return (
        f'{{gpu="{gpu}",UUID="GPU-0000000{gpu}-aaaa-bbbb-cccc-dddddddddddd",'
        f'pci_bus_id="00000000:1{gpu}:00.0",device="nvidia{gpu}",'
        f'modelName="NVIDIA H100 80GB HBM3",{host},DCGM_FI_DRIVER_VERSION="550.54.15"{extra}}}'
    )


def scrape(
    power: str = "250.5",
    util: str = "45",
    energy: str = "15152422938",
    gpu: str = "0",
    host: str = 'Hostname="dgx-07"',
    extra: str = "",
    ts: str = "",
) -> list[str]:
    lab = labels(gpu, host, extra)
    stamp = f" {ts}" if ts else ""
    return [
        f"DCGM_FI_DEV_SM_CLOCK{lab} 1980{stamp}",
        f"DCGM_FI_DEV_POWER_USAGE{lab} {power}{stamp}",
        f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{lab} {energy}{stamp}",
        f"DCGM_FI_DEV_GPU_UTIL{lab} {util}{stamp}",
        f"DCGM_FI_DEV_FB_USED{lab} 1024{stamp}",
    ]


# --- the real scrapes -------------------------------------------------------------------------

# Read from the files by eye: the line of each file's first line of the three metrics and the
# values exactly as written there. Each holds one GPU (gpu="0") and one scrape; kops_L4.prom holds
# the same scrape twice (lines 1-69 and 70-138, copied twice into its source page), identical
# values without timestamps, so its two copies are one reading.
REAL = {
    "ericsson_ccd_T4.prom": dict(
        line=5,  # POWER_USAGE on line 5, ENERGY 6, GPU_UTIL 8 (no HELP/TYPE lines)
        host="cp-bm14r7",
        uuid="GPU-6d5c0ac5-74d7-3130-46f1-e93ed57f469a",
        name="Tesla T4",
        power_w=68.244,  # "68.244000"
        util_pct=91.0,
        energy_mj=15152422938.0,
    ),
    "kops_L4.prom": dict(
        line=15,  # POWER_USAGE 15, ENERGY 18, GPU_UTIL 24; again at 84, 87, 93
        host="i-030791dc5a37cd257",
        uuid="GPU-c2f76b33-7953-256e-8f33-1343419b1a1c",
        name="NVIDIA L4",
        power_w=16.365,  # "16.365000"
        util_pct=0.0,
        energy_mj=4742776.0,
    ),
    "rafay_T4.prom": dict(
        line=3,  # GPU_UTIL comes first here (line 3), POWER_USAGE 21, ENERGY 24
        host="ip-10-200-3-41",
        uuid="GPU-d7cbb0cd-d4bd-c2f7-dfaf-221df5e958ea",
        name="Tesla T4",
        power_w=14.512,  # "14.512000"
        util_pct=0.0,
        energy_mj=48287135.0,
    ),
    "upcloud_L40S.prom": dict(
        line=15,  # POWER_USAGE 15, ENERGY 18, GPU_UTIL 24
        host="gpu1-wl8sg",
        uuid="GPU-5b4e07f6-3a86-4340-039d-25f2a83cdc43",
        name="NVIDIA L40S",
        power_w=35.686,  # "35.686000"
        util_pct=0.0,
        energy_mj=5551899580.0,
    ),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_scrape(name: str) -> None:
    path = DCGM / name
    expected = REAL[name]
    assert detect_format(path) == FORMAT
    result = read_file(path)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)
    [row] = result.frame.to_dicts()
    assert row == {
        "source_path": str(path),
        "line": expected["line"],
        "host": expected["host"],  # the Hostname label (the older spelling)
        "gpu_index": 0,
        "gpu_uuid": expected["uuid"],
        "gpu_name": expected["name"],
        "ts_utc": mtime_utc(path),  # no timestamps in the lines: read when the file was written
        "power_w": expected["power_w"],
        "util_pct": expected["util_pct"],
        "energy_mj": expected["energy_mj"],
        "workload": None,  # no pod/namespace or hpc_job labels
    }


def test_real_scrapes_cover_every_prom_file() -> None:
    assert sorted(p.name for p in DCGM.glob("*.prom")) == sorted(REAL)


@pytest.mark.parametrize("name", sorted(p.name for p in DCGM.glob("src_*.md")))
def test_provenance_pages_quoting_a_scrape_are_not_scrapes(name: str) -> None:
    with pytest.raises(UnreadableFileError):
        detect_format(DCGM / name)


def test_two_scrapes_appended_without_timestamps_that_differ_are_quarantined(
    tmp_path: Path,
) -> None:
    # kops_L4.prom repeats one scrape; change the repeat's power (line 84) and the two copies
    # can no longer be one reading, and nothing says when each was taken.
    lines = (DCGM / "kops_L4.prom").read_text().splitlines()
    assert lines[83].endswith("} 16.365000")
    lines[83] = lines[83].replace("} 16.365000", "} 17.000000")
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert (result.rows_read, result.rows_accepted) == (1, 0)
    [problem] = result.problems
    assert problem.line == 15
    assert problem.reason == (
        "power_w (DCGM_FI_DEV_POWER_USAGE): expected one value per GPU and time (MIG instances "
        "and repeated lines must agree), got 16.365 at line 15 and 17.0 at line 84"
    )
    # the raw text is the reading's lines in order (15, 18, 24, 84, ...), cut to 500 characters
    assert problem.raw.startswith(lines[14] + "\n" + lines[17] + "\n")
    assert len(problem.raw) == 500


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host_label", "folder", "expected"),
    [
        ('Hostname="dgx-07"', "folder-a", "dgx-07"),  # older exporters
        ('hostname="dgx-08"', "folder-a", "dgx-08"),  # newer exporters
        ('Hostname=""', "folder-b", "folder-b"),  # empty = absent: the folder names the host
        ('pod_ip="10.0.0.1"', "folder-c", "folder-c"),  # no host label at all
    ],
)
def test_host_label_spellings_and_folder_fallback(
    tmp_path: Path, host_label: str, folder: str, expected: str
) -> None:
    result = read_file(write(tmp_path, "\n".join(scrape(host=host_label)), host=folder))
    assert result.frame["host"].to_list() == [expected]


def test_workload_from_pod_and_namespace_or_hpc_job(tmp_path: Path) -> None:
    lines = [
        # gpu 0: a pod; the container label is not part of the workload
        *scrape(gpu="0", extra=',container="trainer",namespace="ml",pod="llama-ft-0"'),
        # gpu 1: a Slurm job through the exporter's HPC job mapping
        *scrape(gpu="1", extra=',hpc_job="4211"'),
        # gpu 2: the exporter's empty pod labels (no pod holds it) = no workload
        *scrape(gpu="2", extra=',container="",namespace="",pod=""'),
        # gpu 3: a pod without its namespace cannot be named; the hpc_job label then applies
        *scrape(gpu="3", extra=',pod="orphan",hpc_job="4212"'),
        # gpu 4: both set: the pod wins
        *scrape(gpu="4", extra=',namespace="ml",pod="eval-1",hpc_job="4213"'),
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.problems == []
    assert result.frame["gpu_index"].to_list() == [0, 1, 2, 3, 4]
    assert result.frame["workload"].to_list() == [
        "ml/llama-ft-0",
        "4211",
        None,
        "4212",
        "ml/eval-1",
    ]
    # each GPU's reading starts at its POWER_USAGE line (the 2nd of its 5 lines)
    assert result.frame["line"].to_list() == [2, 7, 12, 17, 22]


# --- time --------------------------------------------------------------------------------------


def test_sample_timestamps_in_ms_are_used(tmp_path: Path) -> None:
    # 1709294400123 ms = 2024-03-01T12:00:00.123Z (1709294400 s = 19783 days × 86400 + 43200)
    result = read_file(write(tmp_path, "\n".join(scrape(ts="1709294400123"))))
    assert result.frame["ts_utc"].to_list() == [datetime(2024, 3, 1, 12, 0, 0, 123000)]


def test_without_timestamps_the_file_time_is_the_scrape_time(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, "\n".join(scrape())))
    assert result.frame["ts_utc"].to_list() == [SCRAPE_TIME]


def test_many_scrapes_appended_with_timestamps(tmp_path: Path) -> None:
    # Three scrapes 15 s apart of two GPUs, each scrape with its # HELP/# TYPE block, as a
    # collector appending `curl` output with timestamps added writes them.
    lines = []
    for k in range(3):
        ts = str(1709294400000 + 15000 * k)
        lines += [
            "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
            "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
        ]
        for gpu in ("0", "1"):
            power = str(200 + 10 * k + int(gpu))
            # energy grows by power × 15 s = 3000-3300 J per step (in mJ)
            energy = str(1_000_000_000 + k * 15_000 * (200 + 10 * k + int(gpu)))
            lines += scrape(power=power, energy=energy, gpu=gpu, ts=ts)
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert (result.rows_read, result.rows_accepted) == (6, 6)
    frame = result.frame.sort(["gpu_index", "ts_utc"])
    assert frame["power_w"].to_list() == [200.0, 210.0, 220.0, 201.0, 211.0, 221.0]
    assert frame["energy_mj"].to_list() == [
        1_000_000_000.0,
        1_003_150_000.0,  # 1e9 + 15000 × 210
        1_006_600_000.0,  # 1e9 + 2 × 15000 × 220
        1_000_000_000.0,
        1_003_165_000.0,
        1_006_630_000.0,
    ]
    start = datetime(2024, 3, 1, 12, 0)
    assert frame["ts_utc"].to_list() == [start + timedelta(seconds=15 * k) for k in range(3)] * 2
    # scrape k starts at line 1 + 12k; GPU g's POWER_USAGE is line 2 of its block of five
    assert sorted(result.frame["line"].to_list()) == [4, 9, 16, 21, 28, 33]


# --- MIG -----------------------------------------------------------------------------------------

# An A100 80GB split into two 3g.40gb instances (GPU 0) beside a whole A100 (GPU 1), written the
# way dcgm-exporter 3.x writes MIG series (cf. NVIDIA/dcgm-exporter#713): one series per GPU
# instance, each repeating the GPU's power and energy counter, GPU_UTIL 0 for instances.
A100 = 'modelName="NVIDIA A100 80GB PCIe"'
GPU0 = 'gpu="0",UUID="GPU-06357e72-c3ee-614b-775f-a89e18e8cc08",device="nvidia0",' + A100
GPU1 = 'gpu="1",UUID="GPU-8345bdf0-6a9c-e1c1-5994-9e656aed3abc",device="nvidia1",' + A100
TAIL = ',hostname="metal-gpu-08",DCGM_FI_DRIVER_VERSION="535.154.05"'
I1 = GPU0 + ',GPU_I_PROFILE="3g.40gb",GPU_I_ID="1"' + TAIL
I2 = GPU0 + ',GPU_I_PROFILE="3g.40gb",GPU_I_ID="2"' + TAIL
WHOLE = GPU1 + TAIL
POD1 = ',container="trainer",namespace="ml",pod="train-7f9c"'
POD2 = ',container="server",namespace="serving",pod="infer-55d"'
POD3 = ',container="trainer",namespace="ml",pod="train-big"'
MIG_SCRAPE = (
    "\n".join(
        [
            "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",  # 1
            "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",  # 2
            f"DCGM_FI_DEV_POWER_USAGE{{{I1}{POD1}}} 182.431000",  # 3
            f"DCGM_FI_DEV_POWER_USAGE{{{I2}{POD2}}} 182.431000",  # 4
            f"DCGM_FI_DEV_POWER_USAGE{{{WHOLE}{POD3}}} 301.002000",  # 5
            "# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot "
            "(in mJ).",
            "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter",
            f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{{I1}{POD1}}} 98110042230",  # 8
            f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{{I2}{POD2}}} 98110042230",
            f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{{WHOLE}{POD3}}} 120554001938",
            "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).",
            "# TYPE DCGM_FI_DEV_GPU_UTIL gauge",
            f"DCGM_FI_DEV_GPU_UTIL{{{I1}{POD1}}} 0",  # 13
            f"DCGM_FI_DEV_GPU_UTIL{{{I2}{POD2}}} 0",
            f"DCGM_FI_DEV_GPU_UTIL{{{WHOLE}{POD3}}} 97",
            "# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.",
            "# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge",
            f"DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{I1}{POD1}}} 0.912311",
            f"DCGM_FI_PROF_GR_ENGINE_ACTIVE{{{I2}{POD2}}} 0.274420",
        ]
    )
    + "\n"
)


def test_mig_instances_count_their_gpu_once(tmp_path: Path) -> None:
    path = write(tmp_path, MIG_SCRAPE, host="ignored-folder")
    assert detect_format(path) == FORMAT
    result = read_file(path)
    assert result.problems == []
    # 9 lines of our metrics (3 metrics × 3 series) are 2 readings: GPU 0 once, GPU 1 once
    assert result.rows_read == 2
    assert result.frame.drop("source_path").to_dicts() == [
        {
            "line": 3,
            "host": "metal-gpu-08",  # the newer `hostname` spelling
            "gpu_index": 0,
            "gpu_uuid": "GPU-06357e72-c3ee-614b-775f-a89e18e8cc08",
            "gpu_name": "NVIDIA A100 80GB PCIe",
            "ts_utc": SCRAPE_TIME,
            "power_w": 182.431,  # the GPU's power, once (not 2 × 182.431)
            "util_pct": None,  # instances report 0 for GPU_UTIL: not the GPU's utilisation
            "energy_mj": 98110042230.0,
            "workload": None,  # its instances run ml/train-7f9c and serving/infer-55d
        },
        {
            "line": 5,
            "host": "metal-gpu-08",
            "gpu_index": 1,
            "gpu_uuid": "GPU-8345bdf0-6a9c-e1c1-5994-9e656aed3abc",
            "gpu_name": "NVIDIA A100 80GB PCIe",
            "ts_utc": SCRAPE_TIME,
            "power_w": 301.002,
            "util_pct": 97.0,
            "energy_mj": 120554001938.0,
            "workload": "ml/train-big",
        },
    ]


def test_mig_workload_kept_when_every_instance_names_it(tmp_path: Path) -> None:
    text = MIG_SCRAPE.replace(POD2, POD1)
    result = read_file(write(tmp_path, text))
    assert result.frame["workload"].to_list() == ["ml/train-7f9c", "ml/train-big"]


def test_mig_busy_instance_beside_an_idle_one_names_no_workload(tmp_path: Path) -> None:
    text = MIG_SCRAPE.replace(
        'container="server",namespace="serving",pod="infer-55d"',
        ('container="",namespace="",pod=""'),
    )
    result = read_file(write(tmp_path, text))
    assert result.frame["workload"].to_list() == [None, "ml/train-big"]


def test_mig_instances_disagreeing_on_the_gpu_power_are_quarantined(tmp_path: Path) -> None:
    lines = MIG_SCRAPE.splitlines()
    assert lines[3].endswith("} 182.431000")
    lines[3] = lines[3].replace("} 182.431000", "} 90.000000")
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.frame["gpu_index"].to_list() == [1]
    [problem] = result.problems
    assert (problem.line, problem.reason) == (
        3,
        "power_w (DCGM_FI_DEV_POWER_USAGE): expected one value per GPU and time (MIG instances "
        "and repeated lines must agree), got 90.0 at line 4 and 182.431 at line 3",
    )


# --- bad lines and values -----------------------------------------------------------------------


def test_bad_lines_and_values_are_quarantined_with_their_lines(tmp_path: Path) -> None:
    lines = [
        "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",  # 1
        "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",  # 2
        *scrape(gpu="0"),  # 3-7: fine (POWER_USAGE on 4)
        *scrape(gpu="1", power="NaN"),  # 8-12: NaN power (line 9)
        *scrape(gpu="2", energy="-5"),  # 13-17: negative counter (line 15)
        *scrape(gpu="3", util="101"),  # 18-22: util over 100 % (line 21)
        *scrape(gpu="4", power="+Inf"),  # 23-27: infinite power (line 24)
        f"DCGM_FI_DEV_POWER_USAGE{labels('5')} abc",  # 28: not a number
        'DCGM_FI_DEV_POWER_USAGE{gpu="6",UUID="GPU-6",Hostn',  # 29: cut off mid-write
        "this is not prometheus text",  # 30
        'DCGM_FI_DEV_POWER_USAGE{UUID="GPU-7",Hostname="dgx-07"} 100',  # 31: no gpu label
        f"DCGM_FI_DEV_POWER_USAGE{labels('x')} 100",  # 32: gpu label not an index
        "# TYPE DCGM_FI_DEV_GPU_UTIL",  # 33: a TYPE line without its type
        "",  # 34: blank lines are not rows
        f"DCGM_FI_DEV_POWER_USAGE{labels('8')} 120 99999999999999999",  # 35: year 3170843
    ]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [4]
    got = [(p.line, p.reason) for p in result.problems]
    assert got[:4] == [
        (
            9,
            "power_w (DCGM_FI_DEV_POWER_USAGE at line 9): expected a finite non-negative "
            "number in W, got NaN",
        ),
        (
            14,  # the reading starts at its POWER_USAGE line; the reason names 15
            "energy_mj (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION at line 15): expected a finite "
            "non-negative counter in mJ, got -5",
        ),
        (
            19,
            "util_pct (DCGM_FI_DEV_GPU_UTIL at line 21): expected a number from 0 to 100 (%), "
            "got 101",
        ),
        (
            24,
            "power_w (DCGM_FI_DEV_POWER_USAGE at line 24): expected a finite non-negative "
            "number in W, got +Inf",
        ),
    ]
    assert [line for line, _ in got[4:]] == [28, 29, 30, 31, 32, 33, 35]
    reasons = dict(got)
    assert reasons[28].startswith("not a Prometheus text line (could not convert string to float")
    assert reasons[29].startswith("not a Prometheus text line (")
    assert reasons[30].startswith("not a Prometheus text line (")
    assert reasons[31] == 'gpu (line 31): expected a GPU index label like gpu="0", got nothing'
    assert reasons[32] == "gpu (line 32): expected a GPU index label like gpu=\"0\", got 'x'"
    assert reasons[33].startswith("not a Prometheus text line (")
    assert reasons[35] == (
        "timestamp (line 35): expected a sample timestamp in ms since 1970-01-01 UTC within "
        "years 1970-2099, got 99999999999999999"
    )
    # readings: gpus 0-4 (5), gpu 'x' (32), no gpu (31), gpu 8 (35) = 8; unparseable: 28-30, 33
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (12, 1, 11)
    expected = [9, 14, 19, 24, 28, 29, 30, 31, 32, 33, 35]
    assert result.quarantine_frame()["line"].to_list() == expected


def test_undecodable_line_is_quarantined_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    data = "\n".join(scrape(gpu="0") + scrape(gpu="1")).encode()
    data = data.replace(b'pci_bus_id="00000000:11:00.0"', b'pci_bus_id="\xff\xfe"', 1)
    path.write_bytes(data)
    result = read_file(path)
    # the first of GPU 1's lines (line 6, SM_CLOCK) is damaged; its readings are unharmed
    assert result.frame["line"].to_list() == [2, 7]
    assert [(p.line, p.reason) for p in result.problems] == [
        (6, "line is not valid UTF-8 text (undecodable bytes or NUL); expected a text line")
    ]


def test_other_families_are_not_rows(tmp_path: Path) -> None:
    lab = labels()
    lines = [
        f"DCGM_FI_DEV_SM_CLOCK{lab} 1980",
        f"DCGM_FI_DEV_POWER_USAGE_INSTANT{lab} 251.2",  # not the metric we read
        f"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{lab} 0.61",
        'dcgm_exporter_build_info{version="3.3.5"} 1',
        f"DCGM_FI_DEV_GPU_UTIL{lab} 45",
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert (result.rows_read, result.rows_accepted) == (1, 1)
    assert result.frame.select("line", "power_w", "util_pct", "energy_mj").row(0) == (
        5,
        None,
        45.0,
        None,
    )


def test_lines_the_fast_split_does_not_know_are_parsed_whole(tmp_path: Path) -> None:
    # prometheus_client accepts a name in the label block and tab separators; so do we.
    lines = [
        '{__name__="DCGM_FI_DEV_POWER_USAGE",gpu="0",Hostname="h"}\t250.5\t1709294400000',
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="h"} 45 1709294400000',
    ]
    result = read_file(write(tmp_path, "\n".join(lines)))
    assert result.problems == []
    assert result.frame.select("line", "host", "power_w", "util_pct", "ts_utc").row(0) == (
        1,
        "h",
        250.5,
        45.0,
        datetime(2024, 3, 1, 12, 0),
    )


def test_frame_loads_into_the_raw_gpu_samples_table(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "schema_raw_gpu_samples.sql").read_text())
    for path in [DCGM / name for name in sorted(REAL)] + [write(tmp_path, MIG_SCRAPE)]:
        frame = read_file(path).frame
        assert frame.schema == dcgm_prometheus.SCHEMA
        con.from_arrow(frame.to_arrow()).insert_into("raw_gpu_samples")
    assert con.execute("SELECT count(*), sum(power_w) FROM raw_gpu_samples").fetchone() == (
        6,
        pytest.approx(68.244 + 16.365 + 14.512 + 35.686 + 182.431 + 301.002),
    )


def test_a_large_appended_file(tmp_path: Path) -> None:
    # 1,500 scrapes × 8 GPUs with timestamps: 60,000 metric lines, 12,000 readings.
    lines = []
    for k in range(1500):
        ts = str(1709294400000 + 15000 * k)
        for gpu in range(8):
            lines += scrape(power=f"{100 + gpu}.5", gpu=str(gpu), ts=ts)
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert (result.rows_read, result.rows_accepted) == (12_000, 12_000)
    assert result.frame["power_w"].sum() == pytest.approx(1500 * sum(100.5 + g for g in range(8)))


# --- sniffing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        ["# HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz)."],
        ["# TYPE DCGM_FI_DEV_GPU_UTIL gauge"],
        ['DCGM_FI_DEV_SM_CLOCK{gpu="0"} 1980'],
        ["", "# HELP go_gc_duration_seconds x", "go_gc_duration_seconds 0.1", 'DCGM_FI_X{a="b"} 1'],
    ],
)
def test_sniff_accepts_dcgm_text(head: list[str]) -> None:
    assert dcgm_prometheus.sniff(head)


@pytest.mark.parametrize(
    "head",
    [
        ["# Accelerator Metrics", "Some prose", "# HELP DCGM_FI_DEV_SM_CLOCK x"],
        ["```bash", 'DCGM_FI_DEV_SM_CLOCK{gpu="0"} 1980'],
        ["# HELP go_gc_duration_seconds x", "go_gc_duration_seconds 0.1"],
        ['{"status":"success","data":{"resultType":"matrix"}}'],
        ["timestamp, index, power.draw [W]"],
    ],
)
def test_sniff_rejects_other_text(head: list[str]) -> None:
    assert not dcgm_prometheus.sniff(head)


# --- random corruption ----------------------------------------------------------------------------

VALID = (
    "\n".join(
        [
            "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
            "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
            *scrape(gpu="0", ts="1709294400000", extra=',namespace="ml",pod="p"'),
            *scrape(gpu="1", ts="1709294400000", host='hostname="dgx-07"'),
            *scrape(gpu="0", ts="1709294415000", extra=',namespace="ml",pod="p"'),
            *scrape(gpu="1", power="0", ts="1709294415000", host='hostname="dgx-07"'),
        ]
        + MIG_SCRAPE.splitlines()
    )
    + "\n"
)


def _bad_value(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    """A sample line's value replaced by NaN, an infinity, a negative or a non-number."""
    token = draw(st.sampled_from([b"NaN", b"+Inf", b"-Inf", b"-1", b"1e999", b"", b"x"]))
    i = draw(st.integers(0, len(lines) - 1))
    head, _, _ = lines[i].rpartition(b"} ")
    return [*lines[:i], head + b"} " + token if head else lines[i], *lines[i + 1 :]]


def check(path: Path) -> None:
    try:
        result = read_file(path)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    assert result.frame.schema == dcgm_prometheus.SCHEMA
    for column in dcgm_prometheus.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    physical = len(path.read_bytes().split(b"\n"))
    accepted = result.frame["line"].to_list()
    quarantined = [p.line for p in result.problems]
    assert all(1 <= n <= physical for n in accepted + quarantined)
    assert len(set(accepted + quarantined)) == len(accepted) + len(quarantined)
    assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
    assert result.frame.filter(pl.col("power_w") < 0).height == 0
    assert result.frame.filter(~pl.col("util_pct").is_between(0, 100)).height == 0


def test_valid_sample_reads_cleanly(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    result = read_file(path)
    assert result.problems == []
    # 2 GPUs × 2 timestamps + the MIG scrape's 2 GPUs
    assert (result.rows_read, result.rows_accepted) == (6, 6)
    check(path)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corruption_never_raises_or_loses_rows(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "host-x" / "scrape.prom"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(
        data.draw(corrupted(VALID.encode(), mutations={"bad_value": _bad_value}, header_lines=2))
    )
    check(path)


H100_PAIR = HostLimits("H100-SXM5-80GB", tdp_w=700.0, gpus=2, overhead_w=0.0)


def test_gpus_beyond_the_inventory_are_quarantined_naming_it(tmp_path: Path) -> None:
    # A scrape showing GPUs 0-3 of a host the inventory says has 2 (issue 15): GPUs 2 and 3 are
    # quarantined with the reason; a host missing from the inventory keeps all its GPUs.
    lines = [line for gpu in "0123" for line in scrape(gpu=gpu)]
    path = write(tmp_path, "\n".join(lines))
    capped = screen(read_file(path), Limits({"dgx-07": H100_PAIR}))
    assert sorted(capped.frame["gpu_index"].unique().to_list()) == [0, 1]
    assert capped.rows_read == capped.rows_accepted + capped.rows_quarantined
    beyond = [p for p in capped.problems if "inventory" in p.reason]
    assert len(beyond) == 2
    assert "GPU index 2" in beyond[0].reason and "dgx-07" in beyond[0].reason
    other = screen(read_file(path), Limits({"dgx-01": H100_PAIR}))
    assert sorted(other.frame["gpu_index"].unique().to_list()) == [0, 1, 2, 3]
