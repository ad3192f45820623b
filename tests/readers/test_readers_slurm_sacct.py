"""sacct --parsable2 / -p: the real issue-thread snippets in place, and a hand-written export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.readers import ReadContext, ReadResult, UnreadableFileError, detect_format, read_file
from pipeline.readers.scheduler import slurm_sacct
from pipeline.warehouse import connect, frame, insert_frame

SNIPPETS = (
    Path(__file__).resolve().parents[3]
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
    # Lines 7-9 `gres/gpu:a100_3g.20gb=1,gres/gpu=1`: one 3g MIG slice, not two GPUs: the total
    # of 1 device is that slice, which counts 3 of 7 compute slices, (1 - 1) + 1 * 3/7.
    # Lines 10-11 `gres/gpu:h100=1,gres/gpu=1`: one whole H100, counted once.
    assert frame["gpus"].to_list() == [3 / 7, 3 / 7, 3 / 7, 1.0, 1.0]
    assert frame.schema["gpus"] == pl.Float64


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
    # only typed entries: summed, 2 A100s and one 3g.20gb slice (3 of 7 compute slices)
    assert running["gpus"] == pytest.approx(2 + 3 / 7, rel=1e-15)


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
        # MIG: a `<N>g.<M>gb` slice is N/7 of a GPU; the untyped total counts it as a device
        ("gres/gpu:a100_3g.20gb=1,gres/gpu=1", 3 / 7),  # (1 - 1) + 3/7
        ("gres/gpu:a100_3g.20gb=1", 3 / 7),
        ("gres/gpu:3g.20gb=2", 2 * (3 / 7)),
        ("gres/gpu:nvidia_a100-sxm4-40gb_1g.5gb=1", 1 / 7),
        ("gres/gpu:h100_1g.10gb+me=1", 1 / 7),
        ("gres/gpu:A100_7G.80GB=1,gres/gpu=1", 1.0),  # all 7 slices: a whole GPU
        # 1 H100 and 2 1g slices, total 3 devices: (3 - 2) + 2 * 1/7
        ("gres/gpu:h100=1,gres/gpu:h100_1g.10gb=2,gres/gpu=3", 1 + 2 * (1 / 7)),
        # no total: 2 whole A100s + one 3g slice
        ("gres/gpu:a100=2,gres/gpu:a100_3g.20gb=1", 2 + 3 / 7),
        # `h100_80gb` is a model with its memory, not a MIG profile (no `<N>g.`)
        ("gres/gpu:h100_80gb=2,gres/gpu=2", 2),
    ],
)
def test_count_gpus(tres: str, gpus: float) -> None:
    assert slurm_sacct.count_gpus(tres) == pytest.approx(gpus, rel=1e-15)


@pytest.mark.parametrize(
    ("tres", "message"),
    [
        ("gres/gpu:a100_3g.20gb=2,gres/gpu=1", "2 MIG slices but a gres/gpu total of 1"),
        ("gres/gpu:x_9g.90gb=1", "expected a MIG profile of 1 to 7 compute slices"),
        ("gres/gpu:x_0g.5gb=1", "expected a MIG profile of 1 to 7 compute slices"),
    ],
)
def test_inconsistent_mig_counts_are_refused(tres: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        slurm_sacct.count_gpus(tres)


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


# --- ids, host lists, pending and running jobs, time zones -----------------------------------

IDS = [
    "# sacct --parsable2, site clock Europe/Stockholm",
    "JobID|State|Start|End|NodeList|AllocTRES",
    # line 3: array task, its batch step, a pending array summary with a throttle, a pending range
    "700_4|COMPLETED|2024-05-01T10:00:00|2024-05-01T11:00:00|node[1-2],other3|gres/gpu=3",
    "700_4.batch|COMPLETED|2024-05-01T10:00:00|2024-05-01T11:00:00|node1|gres/gpu=1",
    "700_[5-9%2]|PENDING|None|Unknown|None assigned|",
    "701_[1-5]|PENDING|Unknown|Unknown|None assigned|",
    # line 7: heterogeneous job, two components with their own nodes and GPUs, and their steps
    "800+0|RUNNING|2024-05-01T12:00:00|Unknown|gpu[001-004,007]|gres/gpu:h100=40,gres/gpu=40",
    "800+1|RUNNING|2024-05-01T12:00:00|Unknown|cpu[01-02],gpu[010-011]|gres/gpu=16",
    "800+0.batch|RUNNING|2024-05-01T12:00:00|Unknown|gpu001|gres/gpu=8",
    "800+1.0|RUNNING|2024-05-01T12:05:00|Unknown|gpu010|gres/gpu=8",
    "800+0.extern|RUNNING|2024-05-01T12:00:00|Unknown|gpu[001-004,007]|gres/gpu=40",
    # line 12: across the autumn change, 02:45 CEST then 02:15 CET (the second pass through 02:xx)
    "900|COMPLETED|2024-10-27T02:45:00|2024-10-27T02:15:00|gpu020|gres/gpu=1",
    # line 13: winter and summer time, CET (UTC+1) and CEST (UTC+2)
    "901|COMPLETED|2024-01-15T08:00:00|2024-07-15T08:00:00|gpu021|gres/gpu=1",
    # line 14: ends before it starts, outside any clock change
    "902|COMPLETED|2024-05-01T10:00:00|2024-05-01T09:00:00|gpu022|gres/gpu=1",
    # line 15: a two-dimensional (rack × node) host list
    "903|COMPLETED|2024-05-01T10:00:00|2024-05-01T10:30:00|r[1-2]n[01-02]|gres/gpu=4",
]


@pytest.fixture
def ids(tmp_path: Path) -> ReadResult:
    return read_file(write(tmp_path, IDS), STOCKHOLM)


def test_ids_counts_and_end_before_start(ids: ReadResult) -> None:
    # lines 3-15 are rows (13); line 14 (End before Start) is the only one quarantined
    assert (ids.rows_read, ids.rows_accepted, ids.rows_quarantined) == (13, 12, 1)
    [problem] = ids.problems
    assert problem.line == 14
    assert problem.reason == (
        "End: '2024-05-01T09:00:00' is before Start '2024-05-01T10:00:00'; "
        "expected a job to end at or after its start"
    )


def test_array_and_heterogeneous_ids(ids: ReadResult) -> None:
    keys = [(r["job_id"], r["step"]) for r in ids.frame.iter_rows(named=True)]
    assert keys == [
        ("700_4", None),
        ("700_4", "batch"),
        ("700_[5-9%2]", None),
        ("701_[1-5]", None),
        ("800+0", None),
        ("800+1", None),
        ("800+0", "batch"),
        ("800+1", "0"),
        ("800+0", "extern"),
        ("900", None),
        ("901", None),
        ("903", None),
    ]


def test_compressed_host_lists(ids: ReadResult) -> None:
    hosts = {(r["job_id"], r["step"]): r["hosts"] for r in ids.frame.iter_rows(named=True)}
    assert hosts[("700_4", None)] == ["node1", "node2", "other3"]
    assert hosts[("800+0", None)] == ["gpu001", "gpu002", "gpu003", "gpu004", "gpu007"]
    assert hosts[("800+1", None)] == ["cpu01", "cpu02", "gpu010", "gpu011"]
    assert hosts[("903", None)] == ["r1n01", "r1n02", "r2n01", "r2n02"]
    assert hosts[("700_[5-9%2]", None)] == []  # None assigned: pending


def test_pending_running_and_time_zones(ids: ReadResult) -> None:
    rows = {(r["job_id"], r["step"]): r for r in ids.frame.iter_rows(named=True)}
    for pending in ("700_[5-9%2]", "701_[1-5]"):  # Start=None / Start=Unknown, End=Unknown
        assert rows[(pending, None)]["start_utc"] is None
        assert rows[(pending, None)]["end_utc"] is None
        assert rows[(pending, None)]["gpus"] == 0.0  # empty AllocTRES
    running = rows[("800+0", None)]
    assert running["start_utc"] == datetime(2024, 5, 1, 10, 0)  # 12:00 CEST = 10:00 UTC
    assert running["end_utc"] is None  # End=Unknown: still running
    assert running["gpus"] == 40.0
    # 02:45 is read as CEST (earliest, 00:45 UTC); 02:15 as CEST would be 00:15 UTC, before the
    # start, so the End is the CET reading, 01:15 UTC: the job ran 30 minutes across the change.
    assert rows[("900", None)]["start_utc"] == datetime(2024, 10, 27, 0, 45)
    assert rows[("900", None)]["end_utc"] == datetime(2024, 10, 27, 1, 15)
    assert rows[("901", None)]["start_utc"] == datetime(2024, 1, 15, 7, 0)  # CET, UTC+1
    assert rows[("901", None)]["end_utc"] == datetime(2024, 7, 15, 6, 0)  # CEST, UTC+2


def test_steps_are_not_jobs_for_the_allocation_query(tmp_path: Path, ids: ReadResult) -> None:
    # The reader keeps steps as rows; sql/method/select_slurm_jobs_window.sql folds them away: in
    # the window 2024-05-01 only the job lines that overlap it count (700_4, 800+0 and 800+1
    # running, 901 from January to July, 903; not their .batch/.extern/.0 steps, not the pending
    # arrays, not 900 in October).
    with connect(tmp_path / "w.duckdb") as con:
        insert_frame(con, "raw_slurm_jobs", ids.frame)
        jobs = frame(
            con,
            "select_slurm_jobs_window",
            {"start": datetime(2024, 5, 1), "end": datetime(2024, 5, 2)},
        )
    assert jobs["job_id"].to_list() == ["700_4", "800+0", "800+1", "901", "903"]
    assert jobs["gpus"].to_list() == [3.0, 40.0, 16.0, 1.0, 4.0]


# --- finished jobs with End=Unknown (issue 15) -------------------------------------------------
#
# A job in a finished state has ended; an `End` of `Unknown` there is an accounting gap, not a job
# still running. Left open it would hold its nodes to the end of every later window (a COMPLETED
# job with End=Unknown moved 907 kWh to a phantom job). It is resolved from Start + Elapsed when
# the export has Elapsed, else quarantined.

# the finished states as issue 15 lists them, and a cancellation as sacct prints it
FINISHED = "COMPLETED FAILED CANCELLED TIMEOUT OUT_OF_MEMORY NODE_FAIL PREEMPTED BOOT_FAIL".split()
FINISHED += ["DEADLINE", "CANCELLED by 1234"]
OPEN = ["RUNNING", "PENDING", "REQUEUED", "SUSPENDED", "RESIZING", "REQUEUE_HOLD"]
ELAPSED_HEADER = "JobID|State|Start|End|Elapsed|NodeList|AllocTRES"


@pytest.mark.parametrize("state", FINISHED)
def test_finished_job_with_unknown_end_takes_start_plus_elapsed(tmp_path: Path, state: str) -> None:
    result = read_file(
        write(
            tmp_path,
            [ELAPSED_HEADER, f"71|{state}|2024-05-01T10:00:00|Unknown|02:30:15|gpu01|gres/gpu=8"],
        ),
        STOCKHOLM,
    )
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)
    [row] = result.frame.iter_rows(named=True)
    assert row["start_utc"] == datetime(2024, 5, 1, 8, 0)  # CEST
    assert row["end_utc"] == datetime(2024, 5, 1, 10, 30, 15)  # Start + 2 h 30 min 15 s
    assert row["end_from_elapsed"] is True


@pytest.mark.parametrize("state", FINISHED)
def test_finished_job_with_unknown_end_and_no_elapsed_is_quarantined(
    tmp_path: Path, state: str
) -> None:
    lines = [HEADER, f"72|x|u|a|gpu|{state}|2024-05-01T10:00:00|Unknown|gpu01|gres/gpu=8|"]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 0, 1)
    [problem] = result.problems
    assert problem.line == 2
    assert problem.reason == (
        f"End: 'Unknown' for a job in the finished state '{state}'; expected its end time, or "
        "an Elapsed (or ElapsedRaw) field to derive it as Start + Elapsed (a finished job is "
        "never held open to the end of the window)"
    )


@pytest.mark.parametrize("state", OPEN)
def test_unfinished_job_with_unknown_end_stays_open(tmp_path: Path, state: str) -> None:
    # Elapsed of a running job is the time so far, not its length: its End stays open.
    result = read_file(
        write(
            tmp_path,
            [ELAPSED_HEADER, f"73|{state}|2024-05-01T10:00:00|Unknown|02:30:15|gpu01|gres/gpu=8"],
        ),
        STOCKHOLM,
    )
    [row] = result.frame.iter_rows(named=True)
    assert row["end_utc"] is None and row["end_from_elapsed"] is False
    assert result.problems == []


@pytest.mark.parametrize(
    ("elapsed", "seconds"),
    [
        ("1-02:03:04", 86400 + 2 * 3600 + 3 * 60 + 4),
        ("02:03:04", 2 * 3600 + 3 * 60 + 4),
        ("03:04", 3 * 60 + 4),
        ("00:00:00", 0),
        ("12-00:00:00", 12 * 86400),
        ("0-23:59:59", 86399),
    ],
)
def test_elapsed_formats(tmp_path: Path, elapsed: str, seconds: int) -> None:
    lines = [ELAPSED_HEADER, f"74|COMPLETED|2024-05-01T10:00:00|Unknown|{elapsed}|gpu01|"]
    [row] = read_file(write(tmp_path, lines), STOCKHOLM).frame.iter_rows(named=True)
    assert (row["end_utc"] - row["start_utc"]).total_seconds() == seconds


def test_elapsed_raw_seconds_resolve_the_end_too(tmp_path: Path) -> None:
    lines = ["JobID|State|Start|End|ElapsedRaw", "75|TIMEOUT|2024-05-01T10:00:00|Unknown|5400"]
    [row] = read_file(write(tmp_path, lines), STOCKHOLM).frame.iter_rows(named=True)
    assert row["end_utc"] == datetime(2024, 5, 1, 9, 30)
    assert row["end_from_elapsed"] is True


@pytest.mark.parametrize("elapsed", ["", "Unknown", "1:2:3:4", "02:61:00", "1-25:00:00", "-01:00"])
def test_unreadable_elapsed_quarantines_a_finished_job_it_would_resolve(
    tmp_path: Path, elapsed: str
) -> None:
    lines = [ELAPSED_HEADER, f"76|COMPLETED|2024-05-01T10:00:00|Unknown|{elapsed}|gpu01|"]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    [problem] = result.problems
    assert problem.reason.startswith(
        "Elapsed: expected a duration like '1-02:03:04', '02:03:04' or '03:04' "
        f"([DD-[HH:]]MM:SS) to derive the End of the finished job (state 'COMPLETED'), got "
        f"{elapsed!r}"
    )


def test_elapsed_is_only_read_where_it_is_needed(tmp_path: Path) -> None:
    # A known End is kept as written (Elapsed excludes suspended time, so it may differ), and an
    # odd Elapsed on a row that does not need it quarantines nothing.
    lines = [
        ELAPSED_HEADER,
        "77|COMPLETED|2024-05-01T10:00:00|2024-05-01T12:00:00|01:00:00|gpu01|",
        "78|RUNNING|2024-05-01T10:00:00|Unknown|INVALID|gpu01|",
    ]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    assert result.problems == []
    assert result.frame["end_utc"].to_list() == [datetime(2024, 5, 1, 10, 0), None]
    assert result.frame["end_from_elapsed"].to_list() == [False, False]


def test_elapsed_is_real_time_across_the_autumn_change(tmp_path: Path) -> None:
    # 01:30 CEST (23:30 UTC) on the night the clocks go back, plus three hours of real time:
    # 02:30 UTC (03:30 CET), though the wall clock moved only two.
    lines = [ELAPSED_HEADER, "79|COMPLETED|2024-10-27T01:30:00|Unknown|03:00:00|gpu01|"]
    [row] = read_file(write(tmp_path, lines), STOCKHOLM).frame.iter_rows(named=True)
    assert row["start_utc"] == datetime(2024, 10, 26, 23, 30)
    assert row["end_utc"] == datetime(2024, 10, 27, 2, 30)


def test_finished_job_with_no_end_field_needs_elapsed(tmp_path: Path) -> None:
    lines = [
        "JobID|State|Start|AllocTRES",
        "80|COMPLETED|2024-05-01T10:00:00|gres/gpu=1",
        "#",
        "JobID|State|Start|Elapsed",
        "81|FAILED|2024-05-01T10:00:00|00:10:00",
    ]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (2, 1, 1)
    assert result.problems[0].line == 2
    assert "no End field for a job in the finished state 'COMPLETED'" in result.problems[0].reason
    assert result.frame["end_utc"].to_list() == [datetime(2024, 5, 1, 8, 10)]


def test_finished_job_that_never_started_holds_nothing(tmp_path: Path) -> None:
    # Cancelled while pending: no Start, so no allocation to hold open; kept as a pending row is.
    lines = [HEADER, "82|x|u|a|gpu|CANCELLED by 0|None|Unknown|None assigned||"]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    [row] = result.frame.iter_rows(named=True)
    assert row["start_utc"] is None and row["end_utc"] is None
    assert row["end_from_elapsed"] is False


def test_steps_of_a_finished_job_resolve_the_same_way(tmp_path: Path) -> None:
    lines = [
        ELAPSED_HEADER,
        "83|COMPLETED|2024-05-01T10:00:00|Unknown|01:00:00|gpu01|gres/gpu=8",
        "83.batch|COMPLETED|2024-05-01T10:00:00|Unknown|01:00:00|gpu01|gres/gpu=8",
        "83.extern|COMPLETED|2024-05-01T10:00:00|Unknown||gpu01|gres/gpu=8",
    ]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    assert result.frame["end_utc"].to_list() == [datetime(2024, 5, 1, 9, 0)] * 2
    assert [p.line for p in result.problems] == [4]


def test_a_resolved_job_is_not_an_allocation_after_its_end(tmp_path: Path) -> None:
    lines = [
        ELAPSED_HEADER,
        "84|COMPLETED|2024-05-01T10:00:00|Unknown|01:00:00|gpu01|gres/gpu=8",
        "85|RUNNING|2024-05-01T10:00:00|Unknown|01:00:00|gpu02|gres/gpu=8",
    ]
    result = read_file(write(tmp_path, lines), STOCKHOLM)
    with connect(tmp_path / "w.duckdb") as con:
        insert_frame(con, "raw_slurm_jobs", result.frame)
        later = frame(
            con,
            "select_slurm_jobs_window",
            {"start": datetime(2024, 5, 2), "end": datetime(2024, 5, 3)},
        )
    assert later["job_id"].to_list() == ["85"]  # the running one only


# --- sacct --noheader with a configured field list (issue 15) ----------------------------------

FIELDS = (
    "JobID",
    "JobName",
    "User",
    "Account",
    "Partition",
    "State",
    "Start",
    "End",
    "Elapsed",
    "NodeList",
    "AllocTRES",
    "Comment",
)
NOHEADER = [
    "4242|llama|alice|ml|gpu|COMPLETED|2024-05-01T10:00:00|2024-05-01T12:00:00|02:00:00"
    "|gpu[001-002]|gres/gpu=16|phase=train",
    "4242.batch|batch|||gpu|COMPLETED|2024-05-01T10:00:00|2024-05-01T12:00:00|02:00:00|gpu001"
    "|gres/gpu=8|",
    "4243|eval|bob|ml|gpu|COMPLETED|2024-05-01T13:00:00|Unknown|00:45:00|gpu003|gres/gpu=4|",
    "4244|serve|carol|ml|gpu|RUNNING|2024-05-01T14:00:00|Unknown|10:00:00|gpu004|gres/gpu=2|",
]


@pytest.fixture
def configured() -> ReadContext:
    return ReadContext(timezone_for_path=lambda p: "Europe/Stockholm", sacct_fields=FIELDS)


def test_noheader_file_reads_with_the_configured_fields(
    tmp_path: Path, configured: ReadContext
) -> None:
    path = write(tmp_path, NOHEADER)
    assert detect_format(path) == "slurm-sacct"
    result = read_file(path, configured)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 4, 0)
    # the same rows as the same export with its header
    headed = read_file(write(tmp_path, ["|".join(FIELDS), *NOHEADER]), configured)
    assert headed.frame.drop("line").equals(result.frame.drop("line"))
    rows = rows_by_key(result)
    assert rows[("4242", None)]["hosts"] == ["gpu001", "gpu002"]
    assert rows[("4242", None)]["comment"] == "phase=train"
    assert rows[("4243", None)]["end_utc"] == datetime(2024, 5, 1, 11, 45)  # Start + Elapsed
    assert rows[("4244", None)]["end_utc"] is None


def test_noheader_parsable_with_trailing_bar_reads_too(
    tmp_path: Path, configured: ReadContext
) -> None:
    # `sacct -p --noheader` ends every line with '|'
    result = read_file(write(tmp_path, [line + "|" for line in NOHEADER]), configured)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 4, 0)
    assert result.frame["comment"].to_list()[0] == "phase=train"


def test_noheader_field_list_takes_sacct_width_suffixes_and_any_case(tmp_path: Path) -> None:
    fields = tuple(f.lower() if i % 2 else f + "%30" for i, f in enumerate(FIELDS))
    ctx = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm", sacct_fields=fields)
    assert read_file(write(tmp_path, NOHEADER), ctx).rows_accepted == 4


def test_noheader_file_without_a_configured_field_list_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path, NOHEADER)
    with pytest.raises(UnreadableFileError) as err:
        read_file(path, STOCKHOLM)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: no sacct header line")
    assert "set scheduler.sacct_fields" in message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("JobID", "Sart", "End"), "scheduler.sacct_fields entry 'Sart' is not a sacct field"),
        (("State", "Start", "End"), "scheduler.sacct_fields .* has no JobID"),
    ],
)
def test_bad_configured_field_list_is_unreadable(
    tmp_path: Path, fields: tuple[str, ...], message: str
) -> None:
    ctx = ReadContext(sacct_fields=fields)
    with pytest.raises(UnreadableFileError, match=message):
        read_file(write(tmp_path, NOHEADER), ctx)


def test_noheader_line_with_another_field_count_names_the_configured_list(
    tmp_path: Path, configured: ReadContext
) -> None:
    lines = [NOHEADER[0], "4245|short|line", NOHEADER[2] + "|extra|x"]
    result = read_file(write(tmp_path, lines), configured)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (3, 1, 2)
    listed = "|".join(FIELDS)
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            2,
            f"expected 12 '|'-separated fields as configured in scheduler.sacct_fields "
            f"({listed}), got 3",
        ),
        (
            3,
            f"expected 12 '|'-separated fields as configured in scheduler.sacct_fields "
            f"({listed}), got 14",
        ),
    ]


def test_a_header_in_the_file_wins_over_the_configured_list(
    tmp_path: Path, configured: ReadContext
) -> None:
    # Blocks with a header are read against it; rows after a comment (another sacct run, maybe
    # --noheader) fall back to the configured list.
    lines = [
        "JobID|State|AllocTRES",
        "90|COMPLETED|gres/gpu=2",
        "# later run, --noheader",
        NOHEADER[3],
    ]
    result = read_file(write(tmp_path, lines), configured)
    assert result.problems == []
    assert result.frame["job_id"].to_list() == ["90", "4244"]


def test_snippets_noheader_block_reads_with_its_field_list() -> None:
    # Block [3] is `sacct -pno JobID,TRESUsageInMax` (trailing bar, no header): configured with
    # that list, its three lines are rows; block [2] (`--format alloctres`) is one field, not two.
    ctx = ReadContext(sacct_fields=("JobID", "TRESUsageInMax"))
    result = read_file(SNIPPETS, ctx)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (9, 8, 1)
    assert result.frame["line"].to_list() == [7, 8, 9, 10, 11, 19, 20, 21]
    assert result.frame["job_id"].to_list()[-3:] == ["18194943"] * 3
    assert result.frame["step"].to_list()[-3:] == [None, "batch", "extern"]
    [problem] = result.problems
    assert problem.line == 15
    assert "as configured in scheduler.sacct_fields (JobID|TRESUsageInMax), got 1" in (
        problem.reason
    )


@pytest.mark.parametrize(
    ("head", "is_sacct"),
    [
        (NOHEADER, True),
        (["# sacct --noheader -P", *NOHEADER], True),
        (["4301|queued|PENDING|Unknown|Unknown", NOHEADER[0]], True),  # pending first
        (["700_4|COMPLETED|2024-05-01T10:00:00|2024-05-01T11:00:00"], True),
        (["800+1.0|RUNNING|2024-05-01T12:05:00|Unknown|gpu010|gres/gpu=8"], True),
        (["18194943||"], False),  # a job id but no time: too little to tell
        (["4243|eval|bob"], False),
        (["abc|COMPLETED|2024-05-01T10:00:00|Unknown"], False),  # no job id
        (["GB,2023-03-14T12:00:00Z,101"], False),  # grid CSV
        (["2024/01/15 10:00:00.123, 0, 250.12 W"], False),  # nvidia-smi noheader
        (["a|b|2024-05-01T10:00:00"], False),
        (["4243|2024-05-01T10:00:00Z|x"], False),  # a zone: not sacct's local time
        (["billing=112,cpu=36,gres/gpu=4"], False),
    ],
)
def test_sniff_headerless_sacct_lines(head: list[str], is_sacct: bool) -> None:
    assert slurm_sacct.sniff(head) is is_sacct
