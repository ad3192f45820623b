"""`wattprint validate` as a tool people script (issue 17): folders, --json, exit codes, output
that does not depend on the terminal's width, and files in encodings other than UTF-8.

CliRunner's stdout is not a terminal, so these see what a pipe sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
runner = CliRunner()

HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


def _smi(n: int, gpus: int = 1) -> str:
    rows = [
        f"2026/10/01 00:{i:02d}:00.000, {g}, GPU-{g}, NVIDIA H100 80GB HBM3, {300 + i}.5 W, "
        "50 %, 1000 MiB"
        for i in range(n)
        for g in range(gpus)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


def _landing(root: Path) -> Path:
    """A landing folder: two hosts' telemetry, a hidden file ingest skips, a bad row."""
    for host, gpus in (("sto-h100-001", 2), ("sto-h100-002", 1)):
        (root / "telemetry" / host).mkdir(parents=True)
        (root / "telemetry" / host / "smi.csv").write_text(_smi(5, gpus))
    bad = _smi(3).replace("301.5 W", "abc W")
    (root / "telemetry" / "sto-h100-002" / "smi-2.csv").write_text(bad)
    (root / "telemetry" / ".partial.csv").write_text("half a file")
    return root


def test_a_folder_is_walked_as_ingest_walks_the_landing_folder(tmp_path) -> None:
    landing = _landing(tmp_path / "landing")
    result = runner.invoke(app, ["validate", str(landing)])
    assert result.exit_code == 0, result.output
    rows = [ln.split("\t") for ln in result.output.splitlines() if "\t" in ln]
    files = {Path(r[0]).name: r[1:] for r in rows if r[0].endswith(".csv")}
    assert files == {
        "smi.csv": ["nvidia-smi-csv", "5", "5", "0"],  # both hosts' smi.csv: the same counts
        "smi-2.csv": ["nvidia-smi-csv", "3", "2", "1"],
    }
    assert len([r for r in rows if r[0].endswith(".csv")]) == 3  # the hidden file is skipped
    assert f"{landing}/telemetry/sto-h100-002/smi-2.csv:3:" in result.output


def test_json_gives_every_file_and_host_and_the_totals(tmp_path) -> None:
    landing = _landing(tmp_path / "landing")
    result = runner.invoke(app, ["validate", "--json", str(landing)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["totals"] == {
        "files": 3,
        "unreadable": 0,
        "rows_read": 18,
        "rows_accepted": 17,
        "rows_quarantined": 1,
    }
    bad = next(f for f in doc["files"] if f["path"].endswith("smi-2.csv"))
    assert (
        bad["first_problems"][0]["line"] == 3 and "power.draw" in bad["first_problems"][0]["reason"]
    )
    hosts = {h["host"]: h for h in doc["gpu_hosts"]}
    assert hosts["sto-h100-001"]["gpus_seen"] == 2 and hosts["sto-h100-002"]["gpus_seen"] == 1
    assert hosts["sto-h100-001"]["cadence_s"] == 60.0
    assert hosts["sto-h100-001"]["first_utc"] == "2026-10-01T00:00:00"
    assert doc["inventory"] is False and hosts["sto-h100-001"]["gpus_configured"] is None


def test_exit_codes_are_those_documented(tmp_path) -> None:
    landing = _landing(tmp_path / "landing")
    assert runner.invoke(app, ["validate", str(landing)]).exit_code == 0  # quarantine is normal
    assert runner.invoke(app, ["validate", "--strict", str(landing)]).exit_code == 3
    good = landing / "telemetry" / "sto-h100-001" / "smi.csv"
    assert runner.invoke(app, ["validate", "--strict", str(good)]).exit_code == 0
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert (
        missing.output.strip()
        == f"{tmp_path}/nope.csv: no such file or folder; expected a landing file or folder"
    )
    (landing / "notes.txt").write_text("alpha,beta\n1,2\n")
    assert runner.invoke(app, ["validate", str(landing)]).exit_code == 1


def test_piped_output_is_one_line_per_file_whatever_the_width(tmp_path) -> None:
    deep = tmp_path / ("a-long-folder-name-" * 12) / "sto-h100-001"
    deep.mkdir(parents=True)
    f = deep / "smi.csv"
    f.write_text(_smi(4))
    result = runner.invoke(app, ["validate", str(f)], env={"COLUMNS": "40"})
    assert result.exit_code == 0
    assert f"{f}\tnvidia-smi-csv\t4\t4\t0" in result.output.splitlines()


def test_utf16_with_a_byte_order_mark_is_read_like_utf8(tmp_path) -> None:
    host = tmp_path / "sto-h100-001"
    host.mkdir()
    text = _smi(5).replace("\n", "\r\n")  # as PowerShell writes it
    for name, data in (
        ("utf8.csv", text.encode("utf-8")),
        ("utf16.csv", text.encode("utf-16")),  # BOM + little-endian
        ("utf16be.csv", b"\xfe\xff" + text.encode("utf-16-be")),
        ("utf8bom.csv", text.encode("utf-8-sig")),
    ):
        (host / name).write_bytes(data)
    doc = json.loads(runner.invoke(app, ["validate", "--json", str(host)]).output)
    counts = {Path(f["path"]).name: (f["format"], f["rows_accepted"]) for f in doc["files"]}
    assert set(counts.values()) == {("nvidia-smi-csv", 5)}, counts


def test_utf16_without_a_byte_order_mark_is_named_not_shown_as_mojibake(tmp_path) -> None:
    host = tmp_path / "sto-h100-001"
    host.mkdir()
    f = host / "smi.csv"
    f.write_bytes(_smi(5).encode("utf-16-le"))
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if "UTF-16" in ln)
    assert "little-endian" in line and "save it as UTF-8" in line
    assert "\x00" not in result.output


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda t: t.encode("cp1252"), "read as cp1252 (e.g. 'ö'); save the file as UTF-8"),
        (
            lambda t: t.encode("utf-8") + "Malmö é,2026-10-01T04:00:00Z,3\n".encode("cp1252"),
            "the file mixes encodings",
        ),
    ],
    ids=["windows-1252", "mixed"],
)
def test_lines_in_another_encoding_get_a_hint_naming_it(tmp_path, encode, expected) -> None:
    f = tmp_path / "grid.csv"
    text = "zone,datetime_utc,gco2e_per_kwh\n"
    text += "".join(f"SE-SE3,2026-10-01T{h:02d}:00:00Z,{20 + h}\n" for h in range(3))
    f.write_bytes(encode(text + "Malmö é,2026-10-01T03:00:00Z,30\n"))
    result = runner.invoke(app, ["validate", "--json", str(f)])
    (only,) = json.loads(result.output)["files"]
    assert only["rows_quarantined"] >= 1
    assert only["hint"] and expected in only["hint"], only


def test_every_real_sample_file_is_accounted_for() -> None:
    """The shared real files (folders of them, with READMEs and licences beside the data): each
    one readable or named as not, and for the readable ones read = accepted + quarantined."""
    result = runner.invoke(app, ["validate", "--json", str(SHARED)])
    doc = json.loads(result.output)
    readable = [f for f in doc["files"] if f["readable"]]
    assert len(readable) >= 10 and doc["gpu_hosts"]
    for f in readable:
        assert f["rows_read"] == f["rows_accepted"] + f["rows_quarantined"], f["path"]
    for f in doc["files"]:
        assert f["readable"] or f["error"].startswith(f["path"]), f
    assert result.exit_code == 1  # README.md and the licences are not landing files


def test_a_bidi_control_in_a_bad_row_is_shown_not_obeyed(tmp_path) -> None:
    host = tmp_path / "sto-h100-001"
    host.mkdir()
    f = host / "smi.csv"
    f.write_text(_smi(3).replace("301.5 W", "atlas\u202egnp.exe W"), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(f)])
    assert "\u202e" not in result.output
    assert "atlas⟨U+202E⟩gnp.exe" in result.output
