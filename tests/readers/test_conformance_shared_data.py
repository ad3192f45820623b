"""Conformance: every file in ../shared/data is either an input format wattprint reads, with the
format it is detected as and its exact row counts, or a file we deliberately do not read, with the
reason. A new shared file fails `test_every_shared_file_is_classified` until someone decides.

Row counts were worked out from the files themselves (line counts less headers and comments, JSON
slots, DCGM GPUs per scrape); the per-format test modules spot-check values in the same files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.readers import UnreadableFileError, detect_format, read_file

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"

# file → (format, rows read, accepted, quarantined)
INPUTS: dict[str, tuple[str, int, int, int]] = {
    # GPU telemetry: one reading per GPU in each single-GPU scrape
    "cncf_k8s_ai_conformance_dcgm/ericsson_ccd_T4.prom": ("dcgm-prometheus-text", 1, 1, 0),
    # (kops_L4 holds its one scrape printed twice; identical repeats are one reading)
    "cncf_k8s_ai_conformance_dcgm/kops_L4.prom": ("dcgm-prometheus-text", 1, 1, 0),
    "cncf_k8s_ai_conformance_dcgm/rafay_T4.prom": ("dcgm-prometheus-text", 1, 1, 0),
    "cncf_k8s_ai_conformance_dcgm/upcloud_L40S.prom": ("dcgm-prometheus-text", 1, 1, 0),
    # scheduler: 9 data lines; the 4 after the comment blocks of snippets [2] and [3] come from
    # `sacct --noheader` and have no header to be read against, so they are quarantined
    "slurm_sacct_issue_snippets/sacct_gpu_snippets.txt": ("slurm-sacct", 9, 5, 4),
    # billing: every line of each export (quoted multi-line fields counted once)
    "focus_sample_data/focus_sample.csv": ("focus-csv", 1000, 1000, 0),
    "focus_converters_samples/aws_cur_sample-anonymous-aws-export-dataset.csv": (
        "aws-cur-legacy-csv",
        1281,
        1281,
        0,
    ),
    "focus_converters_samples/azure_ea_sample-anonymous-ea-export-dataset.csv": (
        "azure-cost-csv",
        27,
        27,
        0,
    ),
    "focus_converters_samples/oci_reports_cost-csv_0000000030000269.csv": (
        "oci-cost-csv",
        506,
        506,
        0,
    ),
    "finops_toolkit_azure_ea/EA_ActualCost_Small.csv": ("azure-cost-csv", 11, 11, 0),
    "finops_toolkit_azure_ea/EA_AmortizedCost_Small.csv": ("azure-cost-csv", 28, 28, 0),
    # grid: 8,760 hours of 2023 each; 48 half-hour slots of one GB API response
    "electricitymaps_hourly/CISO_2023_hourly.csv": ("electricitymaps-csv", 8760, 8760, 0),
    "electricitymaps_hourly/DE_2023_hourly.csv": ("electricitymaps-csv", 8760, 8760, 0),
    "electricitymaps_hourly/ERCOT_2023_hourly.csv": ("electricitymaps-csv", 8760, 8760, 0),
    "uk_carbon_intensity_api/national_pt24h_2023-03-15T1201Z.json": (
        "gb-carbon-intensity-json",
        48,
        48,
        0,
    ),
}

REFERENCE_FACTORS = (
    "a reference-factor table: a source for config defaults (and cited with them), not a "
    "landing file"
)
# folder/ (every file in it) or file → why it is not read as a landing file
NOT_INPUTS: dict[str, str] = {
    "PROVENANCE.json": "provenance of the shared files",
    "README.md": "documentation",
    "alibaba_gpu_v2020/": "a research trace's machine inventory and table headers (no header "
    "row, anonymised machine ids): hosts come from the config, not from trace tables",
    "ccf_coefficients/": REFERENCE_FACTORS,
    "codecarbon_pkg/": REFERENCE_FACTORS,
    "green_algorithms/": REFERENCE_FACTORS,
    "mlco2_impact/": REFERENCE_FACTORS,
    "zeus_nsdi23/": "per-configuration research measurements (average power per power limit, "
    "per-window energy from a simulator trace), not a telemetry log of a fleet",
    "cncf_k8s_ai_conformance_dcgm/LICENSE": "licence",
    "cncf_k8s_ai_conformance_dcgm/SOURCE.txt": "provenance",
    "cncf_k8s_ai_conformance_dcgm/src_ericsson_ccd_T4.md": "provenance",
    "cncf_k8s_ai_conformance_dcgm/src_kops_L4.md": "provenance",
    "cncf_k8s_ai_conformance_dcgm/src_rafay_T4.md": "provenance",
    "cncf_k8s_ai_conformance_dcgm/src_upcloud_L40S.md": "provenance",
    "finops_toolkit_azure_ea/LICENSE": "licence",
    "focus_converters_samples/LICENSE": "licence",
    "focus_sample_data/README.md": "documentation",
    "focus_sample_data/license.md": "licence",
    "uk_carbon_intensity_api/SOURCE.txt": "provenance",
}


def shared_files() -> list[str]:
    return sorted(p.relative_to(SHARED).as_posix() for p in SHARED.rglob("*") if p.is_file())


def why_not_read(rel: str) -> str | None:
    if rel in NOT_INPUTS:
        return NOT_INPUTS[rel]
    folder = rel.split("/")[0] + "/"
    return NOT_INPUTS.get(folder)


def test_the_shared_data_is_there() -> None:
    assert SHARED.is_dir(), f"{SHARED} is missing; CI keeps ../shared beside the repository"
    assert len(shared_files()) > 50


def test_every_shared_file_is_classified() -> None:
    unclassified = [f for f in shared_files() if f not in INPUTS and why_not_read(f) is None]
    assert unclassified == []
    assert [f for f in INPUTS if why_not_read(f) is not None] == []
    missing = [f for f in INPUTS if not (SHARED / f).is_file()]
    assert missing == []


@pytest.mark.parametrize("rel", sorted(INPUTS))
def test_input_file_is_detected_and_read_with_its_row_counts(rel: str) -> None:
    fmt, read, accepted, quarantined = INPUTS[rel]
    path = SHARED / rel
    assert detect_format(path) == fmt
    result = read_file(path)
    assert result.format == fmt
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (
        read,
        accepted,
        quarantined,
    )
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    # every quarantined row says where and why
    assert all(p.line >= 1 and p.reason for p in result.problems)


@pytest.mark.parametrize("rel", [f for f in shared_files() if f not in INPUTS])
def test_file_we_do_not_read_is_refused_not_misread(rel: str) -> None:
    with pytest.raises(UnreadableFileError, match="unrecognised"):
        detect_format(SHARED / rel)
