"""Mutation suite, scheduler records (issue 15, item 4): copies of the small demo fleet whose
sacct export was corrupted the way real exports get corrupted, each of which must be caught.

- A `COMPLETED` job whose `End` is `Unknown` must never hold its nodes to the end of the window:
  with an `Elapsed` column its End is Start + Elapsed (same allocation, same energy per job as the
  clean fleet); without one the row is quarantined with the reason (its energy goes to idle, no
  phantom allocation).
- The same export written with `sacct --noheader` reads with `scheduler.sacct_fields` (the same
  figures as the clean fleet), and without the key is an unreadable file saying what to set.

The clean fleet passes the same checks.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.config import ConfigError
from pipeline.ingest import IngestSummary
from pipeline.method.checks import energy_conservation
from pipeline.warehouse import connect
from tests.small_fleet import Fleet, make_fleet, run_all

SITE = "stockholm"
ZONE = ZoneInfo("Europe/Stockholm")
# A COMPLETED job with .batch and .extern steps that ends on the fleet's second day, with a
# running job (4410208, End=Unknown) beside it on the same host.
JOB = "4410243"
JOB_KEY = f"{SITE}/{JOB}"
WINDOW = (datetime(2026, 10, 1), datetime(2026, 10, 3))
FIELDS = ["JobID", "JobName", "User", "Account", "Partition", "State", "Start", "End"]
FIELDS += ["Elapsed", "NodeList", "AllocTRES", "Comment"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The small fleet's files, never run: each test copies it."""
    return make_fleet(tmp_path_factory.mktemp("pristine"))


def copy_of(pristine: Fleet, root: Path) -> Fleet:
    shutil.copytree(pristine.root, root)
    return Fleet(root, root / pristine.config_path.name)


def sacct_file(fleet: Fleet) -> Path:
    [path] = (fleet.landing / "slurm" / SITE).glob("*.txt")
    return path


def elapsed(start: str, end: str) -> str:
    """sacct's `Elapsed` for local Start and End: [D-]HH:MM:SS of real time."""
    t0, t1 = (datetime.fromisoformat(t).replace(tzinfo=ZONE) for t in (start, end))
    days, rest = divmod(int((t1 - t0).total_seconds()), 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{clock}" if days else clock


def corrupt(fleet: Fleet, *, with_elapsed: bool, header: bool = True) -> None:
    """Rewrite the site's export: JOB (and its steps) get End=Unknown; with_elapsed inserts an
    Elapsed column after End (running jobs get a short Elapsed, the time so far, which must not
    end them); header=False drops the header line (`sacct --noheader`)."""
    path = sacct_file(fleet)
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        fields = line.split("|")
        if i == 0:
            assert fields[6:8] == ["Start", "End"]
            if with_elapsed:
                fields.insert(8, "Elapsed")
            if header:
                out.append("|".join(fields))
            continue
        start, end = fields[6], fields[7]
        if with_elapsed:
            fields.insert(8, "00:05:00" if end == "Unknown" else elapsed(start, end))
        if fields[0].split(".")[0] == JOB:
            assert fields[5] == "COMPLETED" and end != "Unknown"
            fields[7] = "Unknown"
        out.append("|".join(fields))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def energy_by_job(fleet: Fleet) -> dict[str | None, float]:
    with connect(fleet.config().warehouse_path) as con:
        rows = con.execute(
            "SELECT job_key, sum(energy_wh) FROM gpu_energy_attributed GROUP BY job_key"
        ).fetchall()
    return dict(rows)


def job_span(fleet: Fleet) -> tuple[datetime, datetime] | None:
    with connect(fleet.config().warehouse_path) as con:
        row = con.execute(
            "SELECT min(start_utc), max(end_utc) FROM job_allocations WHERE job_key = ?",
            [JOB_KEY],
        ).fetchone()
    return None if row[0] is None else (row[0], row[1])


def conserved(fleet: Fleet) -> bool:
    with connect(fleet.config().warehouse_path) as con:
        result = energy_conservation(con, *WINDOW)
    assert result.checked > 0
    return result.passed


def quarantined(fleet: Fleet) -> list[tuple[int, str]]:
    with connect(fleet.config().warehouse_path) as con:
        return con.execute(
            "SELECT line, reason FROM quarantine WHERE source_path LIKE 'slurm/%' ORDER BY line"
        ).fetchall()


def same_energy(fleet: Fleet, clean: Fleet) -> None:
    """Every job's energy, and idle's, as in the clean fleet."""
    dirty, ref = energy_by_job(fleet), energy_by_job(clean)
    assert dirty.keys() == ref.keys()
    for key, wh in ref.items():
        assert dirty[key] == pytest.approx(wh, rel=1e-9, abs=1e-6), key


def corrupted_run(pristine: Fleet, root: Path, **how: bool) -> tuple[Fleet, IngestSummary]:
    fleet = copy_of(pristine, root)
    corrupt(fleet, **how)
    return fleet, run_all(fleet.config())


@pytest.fixture(scope="module")
def clean(pristine: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    fleet = copy_of(pristine, tmp_path_factory.mktemp("clean") / "fleet")
    summary = run_all(fleet.config())
    assert summary.count("unreadable") == 0
    return fleet


def test_clean_fleet_passes(clean: Fleet) -> None:
    assert conserved(clean)
    assert quarantined(clean) == []
    span = job_span(clean)
    assert span is not None
    # 21:14:02 CEST on 1 October to 04:24:00 CEST on 2 October
    assert span == (datetime(2026, 10, 1, 19, 14, 2), datetime(2026, 10, 2, 2, 24))


def test_completed_job_with_unknown_end_resolved_from_elapsed(
    pristine: Fleet, clean: Fleet, tmp_path: Path
) -> None:
    fleet, summary = corrupted_run(pristine, tmp_path / "fleet", with_elapsed=True)
    assert summary.count("unreadable") == 0
    assert quarantined(fleet) == []
    # the allocation ends at Start + Elapsed, as in the clean fleet: nothing held beyond it
    assert job_span(fleet) == job_span(clean)
    with connect(fleet.config().warehouse_path) as con:
        assert con.execute(
            "SELECT bool_and(end_from_elapsed), count(*) FROM raw_slurm_jobs WHERE job_id = ?",
            [JOB],
        ).fetchone() == (True, 3)
    # every job's energy as in the clean fleet; the running jobs beside it stay open
    same_energy(fleet, clean)
    assert conserved(fleet)


def test_completed_job_with_unknown_end_and_no_elapsed_is_quarantined(
    pristine: Fleet, clean: Fleet, tmp_path: Path
) -> None:
    fleet, summary = corrupted_run(pristine, tmp_path / "fleet", with_elapsed=False)
    [outcome] = [f for f in summary.files if f.path.startswith(f"slurm/{SITE}/")]
    assert outcome.rows_read == outcome.rows_accepted + outcome.rows_quarantined
    reasons = quarantined(fleet)
    assert len(reasons) == 3  # the job, its .batch and .extern steps
    assert all(
        reason.startswith("End: 'Unknown' for a job in the finished state 'COMPLETED'; expected")
        for _, reason in reasons
    )
    # no phantom job: the job holds nothing, and its GPUs' energy while it ran is idle
    assert job_span(fleet) is None
    dirty, ref = energy_by_job(fleet), energy_by_job(clean)
    assert JOB_KEY not in dirty
    assert dirty[None] == pytest.approx(ref[None] + ref[JOB_KEY], rel=1e-9)
    for key, wh in ref.items():
        if key not in (None, JOB_KEY):
            assert dirty[key] == pytest.approx(wh, rel=1e-9, abs=1e-6), key
    assert conserved(fleet)


def configure_fields(fleet: Fleet) -> None:
    fleet.edit_config(lambda data: data.setdefault("scheduler", {}).update(sacct_fields=FIELDS))


def test_noheader_export_reads_with_the_configured_fields(
    pristine: Fleet, clean: Fleet, tmp_path: Path
) -> None:
    fleet = copy_of(pristine, tmp_path / "fleet")
    corrupt(fleet, with_elapsed=True, header=False)
    configure_fields(fleet)
    assert fleet.config().read_context().sacct_fields == tuple(FIELDS)
    summary = run_all(fleet.config())
    assert summary.count("unreadable") == 0
    assert quarantined(fleet) == []
    assert job_span(fleet) == job_span(clean)
    same_energy(fleet, clean)


def test_noheader_export_without_the_field_list_is_unreadable(
    pristine: Fleet, tmp_path: Path
) -> None:
    fleet, summary = corrupted_run(pristine, tmp_path / "fleet", with_elapsed=True, header=False)
    [outcome] = [f for f in summary.files if f.status == "unreadable"]
    assert outcome.path.startswith(f"slurm/{SITE}/")
    assert "no sacct header line" in outcome.message
    assert "set scheduler.sacct_fields" in outcome.message
    # the site's jobs are not invented: no allocation from that file
    with connect(fleet.config().warehouse_path) as con:
        assert con.execute(
            "SELECT count(*) FROM job_allocations WHERE site = ?", [SITE]
        ).fetchone() == (0,)


def test_a_field_list_that_is_not_sacct_fields_is_a_config_error(
    pristine: Fleet, tmp_path: Path
) -> None:
    fleet = copy_of(pristine, tmp_path / "fleet")
    fleet.edit_config(lambda data: data.update(scheduler={"sacct_fields": ["JobID", "Sart"]}))
    with pytest.raises(ConfigError) as err:
        fleet.config()
    assert "scheduler.sacct_fields" in str(err.value)
    assert "'Sart' is not a sacct field" in str(err.value)


def test_elapsed_helper() -> None:
    assert elapsed("2026-10-01T21:14:02", "2026-10-02T04:24:00") == "07:09:58"
    assert elapsed("2026-10-01T00:00:00", "2026-10-02T01:02:03") == "1-01:02:03"
