"""sacct --parsable2 / -p: the real issue-thread snippets in place, and a hand-written export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.readers import ReadContext, ReadResult, detect_format, read_file, slurm_sacct

SNIPPETS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "slurm_sacct_issue_snippets"
    / "sacct_gpu_snippets.txt"
)
STOCKHOLM = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm")
HEADER = "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment"


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "sacct.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the real file ---------------------------------------------------------------------------


def test_snippets_detected_and_identity_holds() -> None:
    assert detect_format(SNIPPETS) == "slurm-sacct"
    result = read_file(SNIPPETS)
    # Physical lines 6-11 are block [1] (header + 5 rows); 15 is the headerless rtx2080ti line of
    # block [2]; 19-21 are the `-pno` (no header) lines of block [3].
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (9, 5, 4)
    assert result.rows_read == result.rows_accepted + result.rows_quarantined


def test_snippets_job_rows_and_steps() -> None:
    frame = read_file(SNIPPETS).frame
    assert frame["line"].to_list() == [7, 8, 9, 10, 11]
    assert frame["job_id"].to_list() == ["8117657"] * 3 + ["8117678"] * 2
    assert frame["step"].to_list() == [None, "batch", "extern", None, "batch"]
    # Fields the export did not carry stay null rather than being invented.
    assert frame["start_utc"].null_count() == 5
    assert frame["hosts"].null_count() == 5


def test_snippets_mig_slice_and_h100_count_once() -> None:
    frame = read_file(SNIPPETS).frame
    # `gres/gpu:a100_3g.20gb=1,gres/gpu=1`: one MIG slice, not two GPUs.
    assert frame["gpus"].to_list() == [1, 1, 1, 1, 1]


def test_snippets_headerless_lines_are_quarantined_with_the_reason() -> None:
    problems = read_file(SNIPPETS).problems
    assert [p.line for p in problems] == [15, 19, 20, 21]
    assert all(p.reason == slurm_sacct.NO_HEADER_REASON for p in problems)
    assert "no sacct header line before this row" in problems[0].reason
    assert problems[0].raw == "billing=112,cpu=36,gres/gpu:rtx2080ti=4,gres/gpu=4,mem=180G,node=1"
    assert problems[1].raw == "18194943||"


def test_rtx_line_counts_four_gpus_once_it_has_a_header(tmp_path: Path) -> None:
    # The same AllocTRES the snippet file has without a header (line 15), read with one.
    rtx = "billing=112,cpu=36,gres/gpu:rtx2080ti=4,gres/gpu=4,mem=180G,node=1"
    assert slurm_sacct.count_gpus(rtx) == 4
    result = read_file(write(tmp_path, ["JobID|AllocTRES", f"12345678|{rtx}"]))
    assert result.frame["gpus"].to_list() == [4]


# --- a hand-written site export ---------------------------------------------------------------

SITE = [
    "# nightly export, sacct --parsable2, site clock Europe/Stockholm",
    HEADER,
    "4242|llama-pretrain|alice|ml-research|gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00"
    "|gpu[001-004,007]|billing=256,cpu=160,gres/gpu:h100=40,gres/gpu=40,mem=1T,node=5|phase=train",
    "4242.batch|batch|||gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00|gpu001"
    "|cpu=32,gres/gpu:h100=8,gres/gpu=8,mem=200G,node=1|",
    "4242.extern|extern|||gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T03:30:00|gpu[001-004,007]"
    "|billing=256,cpu=160,gres/gpu=40,node=5|",
    "4242.0|python|||gpu|COMPLETED|2024-10-27T01:31:00|2024-10-27T02:29:00|gpu[001-004,007]"
    "|cpu=160,gres/gpu=40,node=5|",
    "4300_7|sweep|bob|ml-eval|gpu|RUNNING|2024-01-10T09:00:00|Unknown|gpu012"
    "|cpu=8,gres/gpu:a100=2,gres/gpu:a100_3g.20gb=1,node=1|",
    "4301|queued|carol|ml|gpu|PENDING|Unknown|Unknown|None assigned||",
    "",
    "# second export appended later, sacct -p (trailing bar)",
    "JobID|State|AllocTRES|",
    "5000|COMPLETED|gres/gpu=2|",
    "5001|COMPLETED|gres/gpu=2",
    "JobID|JobName|Start",
    "5002|eval|2024-03-31T02:30:00",
    "5003|eval|2024-13-40T00:00:00",
    "5004|eval",
    "abc|eval|None",
    "JobID|AllocTRES|NodeList",
    "6000|gres/gpu=two|gpu01",
    "6001|gres/gpu|gpu01",
    "6002|gres/gpu=1|gpu[01-",
    "6003|gres/gpu=1,gres/gpu=2|gpu01",
]


@pytest.fixture
def site(tmp_path: Path) -> ReadResult:
    return read_file(write(tmp_path, SITE), STOCKHOLM)


def rows_by_key(result: ReadResult) -> dict[tuple[str, str | None], dict]:
    return {(r["job_id"], r["step"]): r for r in result.frame.iter_rows(named=True)}


def test_site_export_counts(site: ReadResult) -> None:
    assert site.format == "slurm-sacct" and site.table == "raw_slurm_jobs"
    # Rows: lines 3-8, 12-13, 15-18, 20-23; comments, blanks and the three headers are not rows.
    assert (site.rows_read, site.rows_accepted, site.rows_quarantined) == (16, 7, 9)


def test_site_jobs_and_steps(site: ReadResult) -> None:
    rows = rows_by_key(site)
    assert list(rows) == [
        ("4242", None),
        ("4242", "batch"),
        ("4242", "extern"),
        ("4242", "0"),
        ("4300_7", None),
        ("4301", None),
        ("5000", None),
    ]
    assert site.frame["line"].to_list() == [3, 4, 5, 6, 7, 8, 12]
    job = rows[("4242", None)]
    assert job["job_name"] == "llama-pretrain" and job["user_name"] == "alice"
    assert job["account"] == "ml-research" and job["partition"] == "gpu"
    assert job["state"] == "COMPLETED" and job["comment"] == "phase=train"
    assert job["node_list"] == "gpu[001-004,007]"
    assert job["hosts"] == ["gpu001", "gpu002", "gpu003", "gpu004", "gpu007"]
    assert job["gpus"] == 40  # typed and untyped on one line: counted once
    assert rows[("4242", "batch")]["user_name"] is None  # empty field → null
    assert rows[("4242", "batch")]["hosts"] == ["gpu001"]


def test_site_local_times_to_utc_with_dst(site: ReadResult) -> None:
    rows = rows_by_key(site)
    job = rows[("4242", None)]
    assert job["start_utc"] == datetime(2024, 10, 26, 23, 30)  # CEST, UTC+2
    assert job["end_utc"] == datetime(2024, 10, 27, 0, 30)  # 02:30 twice: earliest
    assert rows[("4242", "extern")]["end_utc"] == datetime(2024, 10, 27, 2, 30)  # CET
    running = rows[("4300_7", None)]
    assert running["start_utc"] == datetime(2024, 1, 10, 8, 0)
    assert running["end_utc"] is None  # End=Unknown: still running
    assert running["gpus"] == 3  # only typed entries: summed


def test_site_pending_job_has_no_hosts(site: ReadResult) -> None:
    rows = rows_by_key(site)
    pending = rows[("4301", None)]
    assert pending["start_utc"] is None and pending["end_utc"] is None
    assert pending["hosts"] == [] and pending["gpus"] == 0


def test_site_trailing_bar_mode(site: ReadResult) -> None:
    rows = rows_by_key(site)
    assert rows[("5000", None)]["gpus"] == 2
    assert rows[("5000", None)]["state"] == "COMPLETED"


def test_site_problems_name_line_and_expectation(site: ReadResult) -> None:
    reasons = {p.line: p.reason for p in site.problems}
    assert sorted(reasons) == [13, 15, 16, 17, 18, 20, 21, 22, 23]
    assert "looks truncated" in reasons[13]
    assert "'2024-03-31T02:30:00' does not exist in Europe/Stockholm" in reasons[15]
    assert "Start: expected local time like '2024-05-01T13:45:00'" in reasons[16]
    assert "expected 3 '|'-separated fields as in the header on line 14" in reasons[17]
    assert "JobID: expected a Slurm job id" in reasons[18]
    assert "AllocTRES: expected a whole GPU count" in reasons[20]
    assert "AllocTRES: expected name=value entries" in reasons[21]
    assert "NodeList: expected a Slurm host list like 'gpu[001-004,007]'" in reasons[22]
    assert "two different untyped gres/gpu counts" in reasons[23]
    assert [p.raw for p in site.problems][0] == SITE[12]


def test_header_without_jobid_quarantines_its_rows(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, ["JobID|State", "1|RUNNING", "#", "State|AllocTRES", "X|"]))
    assert result.frame["job_id"].to_list() == ["1"]
    [problem] = result.problems
    assert problem.line == 5
    assert "has no JobID field" in problem.reason


@pytest.mark.parametrize(
    ("tres", "gpus"),
    [
        ("", 0),
        ("cpu=4,mem=16G,node=1", 0),
        ("gres/gpu=4", 4),
        ("gres/gpu:h100=4", 4),
        ("gres/gpu:h100=4,gres/gpu=4", 4),
        ("gres/gpu=4,gres/gpu:h100=4", 4),
        ("gres/gpu:a100=2,gres/gpu:v100=2", 4),
        ("gres/gpu:a100=2,gres/gpu:v100=2,gres/gpu=4", 4),
        ("gres/gpumem=38888M,gres/gpuutil=100", 0),
    ],
)
def test_count_gpus(tres: str, gpus: int) -> None:
    assert slurm_sacct.count_gpus(tres) == gpus


@pytest.mark.parametrize(
    ("line", "is_header"),
    [
        (HEADER, True),
        ("JobID|AllocTRES|", True),
        ("jobid", True),
        ("8117657|billing=64", False),
        ("billing=112,cpu=36", False),
        ("JobID|Alloc TRES", False),
        ("Unknown|State", False),
    ],
)
def test_header_lines(line: str, is_header: bool) -> None:
    assert (slurm_sacct.parse_header(line) is not None) is is_header
