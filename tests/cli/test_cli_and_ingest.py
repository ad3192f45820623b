"""The CLI's validate/report/run commands and ingest of bad files, through the real code paths."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline import warehouse
from pipeline.cli import app
from pipeline.config import ConfigError, load_config
from pipeline.demo.fleet import generate_fleet
from pipeline.ingest import ingest_landing

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
runner = CliRunner()

HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


def _smi_lines(n: int) -> list[str]:
    return [
        f"2026/10/01 00:{i:02d}:00.000, 0, GPU-0, NVIDIA H100 80GB HBM3, {300 + i}.5 W, 50 %, "
        "1000 MiB"
        for i in range(n)
    ]


@pytest.fixture()
def fleet(tmp_path) -> Path:
    return generate_fleet(tmp_path / "fleet", days=1, start=date(2026, 10, 1))


def test_validate_reports_format_and_counts():
    f = SHARED / "electricitymaps_hourly" / "DE_2023_hourly.csv"
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 0, result.output
    assert "electricitymaps-csv" in result.output and "8760" in result.output


def test_validate_names_file_and_line_of_bad_rows(tmp_path):
    host = tmp_path / "sto-h100-001"
    host.mkdir()
    f = host / "smi.csv"
    lines = _smi_lines(5)
    lines[1] = lines[1].replace("301.5 W", "abc W")
    lines[2] = lines[2].replace("302.5 W", "-5.0 W")
    f.write_text("\n".join([HEADER, *lines]) + "\n" + lines[4][:20])  # truncated last line
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{f}:3:" in out and f"{f}:4:" in out and f"{f}:7:" in out
    assert "nvidia-smi-csv" in out


def test_validate_unknown_format_exits_non_zero(tmp_path):
    f = tmp_path / "mystery.csv"
    f.write_text("alpha,beta\n1,2\n")
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 1
    assert "mystery.csv" in result.output and "unrecognised" in result.output
    assert "tried" in result.output


def test_ingest_keeps_good_rows_and_quarantines_bad_ones(fleet):
    cfg = load_config(fleet)
    bad_dir = cfg.landing_dir / "telemetry" / "sto-h100-001"
    lines = _smi_lines(6)
    lines[2] = lines[2].replace("302.5 W", "n/a W")
    (bad_dir / "extra.csv").write_text("\n".join([HEADER, *lines]) + "\n2026/10/01 00:0")
    (cfg.landing_dir / "notes.txt").write_text("this is not telemetry\n")
    with warehouse.connect(cfg.warehouse_path) as con:
        summary = ingest_landing(con, cfg)
        by_path = {f.path: f for f in summary.files}
        extra = by_path["telemetry/sto-h100-001/extra.csv"]
        assert (extra.rows_read, extra.rows_accepted, extra.rows_quarantined) == (7, 5, 2)
        assert by_path["notes.txt"].status == "unreadable"
        q = con.execute(
            "SELECT line, reason FROM quarantine WHERE source_path = ? ORDER BY line",
            ["telemetry/sto-h100-001/extra.csv"],
        ).fetchall()
        assert [line for line, _ in q] == [4, 8]
        assert "power.draw" in q[0][1]
        assert (
            con.execute(
                "SELECT line, reason FROM quarantine WHERE source_path = 'notes.txt'"
            ).fetchall()[0][0]
            == 0
        )
        # identity per file in the manifest, and the good rows landed
        bad = con.execute(
            "SELECT count(*) FROM ingest_manifest "
            "WHERE rows_read <> rows_accepted + rows_quarantined"
        ).fetchall()[0][0]
        assert bad == 0
        landed = con.execute(
            "SELECT count(*) FROM raw_gpu_samples WHERE source_path = ?",
            ["telemetry/sto-h100-001/extra.csv"],
        ).fetchall()[0][0]
        assert landed == 5
        # re-ingesting unchanged files is a no-op; a changed file replaces its rows
        assert ingest_landing(con, cfg).count("ingested") == 0
        (bad_dir / "extra.csv").write_text("\n".join([HEADER, *_smi_lines(3)]) + "\n")
        again = ingest_landing(con, cfg)
        assert again.count("ingested") == 1
        landed = con.execute(
            "SELECT count(*) FROM raw_gpu_samples WHERE source_path = ?",
            ["telemetry/sto-h100-001/extra.csv"],
        ).fetchall()[0][0]
        assert landed == 3
        assert (
            con.execute(
                "SELECT count(*) FROM quarantine WHERE source_path = ?",
                ["telemetry/sto-h100-001/extra.csv"],
            ).fetchall()[0][0]
            == 0
        )


def test_config_errors_name_the_file_and_key(tmp_path, fleet):
    text = Path(fleet).read_text().replace("pue: 1.1\n", "pue: 0.5\n", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "bad.yaml" in str(e.value) and "sites.stockholm.pue" in str(e.value)
    result = runner.invoke(app, ["run", "--config", str(bad)])
    assert result.exit_code == 2
    assert "sites.stockholm.pue" in result.output


def test_run_then_report_command(fleet, tmp_path):
    result = runner.invoke(
        app, ["run", "--config", str(fleet), "--start", "2026-10-01", "--end", "2026-10-01"]
    )
    assert result.exit_code == 0, result.output
    cfg = load_config(fleet)
    shutil.rmtree(cfg.reports_dir)
    result = runner.invoke(app, ["report", "--config", str(fleet), "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert (cfg.reports_dir / "2026-10" / "report.pdf").is_file()
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    days = con.execute("SELECT DISTINCT day FROM daily_summary").fetchall()
    con.close()
    assert days == [(date(2026, 10, 1),)]
    result = runner.invoke(app, ["report", "--config", str(fleet), "--period", "2026-08"])
    assert result.exit_code == 1
    assert "no computed data" in result.output


def test_run_days_in_words_are_utc_days():
    from datetime import UTC, datetime, timedelta

    from pipeline.cli.runs import _day

    today = datetime.now(UTC).date()
    assert _day("today") == today
    assert _day("yesterday") == today - timedelta(days=1)
    assert _day("2026-10-01") == date(2026, 10, 1)
    with pytest.raises(ValueError):
        _day("tomorrow")


def test_run_rejects_a_bad_day_in_words(fleet):
    result = runner.invoke(app, ["run", "--config", str(fleet), "--start", "last week"])
    assert result.exit_code == 2
    assert "'yesterday' or 'today'" in result.output


def test_validate_prints_gpus_seen_against_configured_span_and_cadence(fleet, tmp_path):
    # Per host: GPUs in the log against the inventory's count, the time span and the cadence
    # (issue 15). The demo config lists 8 GPUs on sto-h100-001; this log shows one, every minute.
    host = tmp_path / "sto-h100-001"
    host.mkdir()
    f = host / "smi.csv"
    f.write_text("\n".join([HEADER, *_smi_lines(5)]) + "\n")
    result = runner.invoke(app, ["validate", "--config", str(fleet), str(f)])
    assert result.exit_code == 0, result.output
    # piped output (CliRunner's is not a terminal): tab-separated, one line per host
    line = next(x for x in result.output.splitlines() if x.startswith("sto-h100-001\t"))
    cells = line.split("\t")
    assert cells[1:3] == ["1", "8"]
    assert cells[5] == "60" and cells[3].startswith("2026-09-30")  # 00:00 Stockholm: 22:00 UTC
    # Without a config there is no inventory, and validate says so.
    result = runner.invoke(app, ["validate", str(f)])
    assert "no inventory" in result.output
