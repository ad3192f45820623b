"""`wattprint verify` on the session's demo run (tests/conftest.py `demo_run`).

The demo's disclosure is recomputed once, in full, by the command in its own process (25-35 s
on 2 busy cores: the ingest of its 258 files and the 14 days' runs, without the PDF). Every other
case runs the command in this process and stops before the recompute (a missing or changed
input, another code version, a usage mistake) or replaces it with the demo's own document (a
doctored figure: what is under test there is the report of a mismatch; the recompute is the one
the first test checks), so that they add a second or two, not a recompute each. Each case runs
on a copy of the demo's config and landing folder, the files hard-linked and replaced, never
written, so the session's demo stays as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_config
from pipeline.verify import scratch_config
from tests.cli.cli_process import wattprint


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def demo_copy(demo_run, dest: Path) -> Path:
    """The demo's config, landing folder and instrument profiles under `dest` (the same bytes, so
    the same config SHA-256); returns the config's path."""
    for folder in ("landing", "instruments"):
        shutil.copytree(demo_run.out / folder, dest / folder, copy_function=_link)
    shutil.copy2(demo_run.config, dest / "wattprint.yaml")
    return dest / "wattprint.yaml"


def replace(path: Path, data: bytes) -> None:
    """New bytes for a hard-linked file, leaving the file it shares them with alone."""
    path.unlink()
    path.write_bytes(data)


def disclosure_path(demo_run) -> str:
    return str(demo_run.reports / "disclosure.json")


def verify(*args: str):
    return CliRunner().invoke(app, ["verify", *args])


def test_the_demos_disclosure_verifies_from_its_inputs_alone(demo_run, tmp_path):
    config = demo_copy(demo_run, tmp_path)
    # a landing file the manifest does not name: used, it would add a line to the inputs
    extra = tmp_path / "landing" / "billing" / "late-bill.csv"
    extra.write_bytes((demo_run.out / "landing" / "billing" / "focus-2026-10.csv").read_bytes())
    proc = wattprint("verify", disclosure_path(demo_run), "--config", str(config), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "verified"
    assert "left out of the recompute (1): billing/late-bill.csv" in proc.stdout
    figures = [x for x in lines if x.endswith("mismatched")][0]
    compared, matched = (int(w) for w in figures.split()[0:4:3])
    # every number of the disclosure: the report's 1,400-odd figures, all matched
    assert compared == matched > 1000
    assert "0 mismatched; " in figures and figures.endswith(" 0 mismatched")
    assert not any(x.startswith("mismatch ") for x in lines)


def test_the_recompute_config_writes_and_sends_nothing_outside_its_scratch_folder(
    demo_run, tmp_path
):
    config = demo_copy(demo_run, tmp_path / "demo")
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["paths"]["lake"] = "shared-lake"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    cfg = load_config(config)
    assert cfg.publish_path is not None  # the demo publishes
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copy = load_config(scratch_config(config, cfg, scratch))
    assert copy.landing_dir == scratch / "landing"
    assert (
        copy.warehouse_path.parent == copy.reports_dir.parent / "warehouse" == scratch / "warehouse"
    )
    assert (copy.lake_root, copy.shared_catalog(), copy.publish_path) == (None, None, None)
    assert copy.delivery.smtp is None
    profile = copy.instruments[0].hourly_profile
    assert profile == cfg.resolve(cfg.instruments[0].hourly_profile).resolve()
    # the rest is the config as it was
    kept = {"paths", "delivery", "instruments", "base_dir", "config_sha256"}
    assert copy.model_dump(exclude=kept) == cfg.model_dump(exclude=kept)
    assert copy.model_dump(
        include={"instruments"}, exclude={"instruments": {0: {"hourly_profile"}}}
    ) == (cfg.model_dump(include={"instruments"}, exclude={"instruments": {0: {"hourly_profile"}}}))


def test_one_changed_byte_in_an_input_fails_naming_the_file(demo_run, tmp_path):
    config = demo_copy(demo_run, tmp_path)
    rel = next(f["path"] for f in demo_run.disclosure["inputs"] if f["path"].startswith("slurm/"))
    target = tmp_path / "landing" / rel
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    replace(target, bytes(data))
    proc = verify(disclosure_path(demo_run), "--config", str(config))
    assert proc.exit_code == 3, proc.output
    assert proc.stdout.splitlines()[0].startswith(f"changed: {rel}: SHA-256 ")
    files = len(demo_run.disclosure["inputs"])
    assert proc.stdout.splitlines()[-1] == (
        f"inputs changed: 1 missing or changed (of {files} input files and the config); "
        "nothing recomputed"
    )
    assert "figures compared" not in proc.stdout


def test_a_missing_input_is_named_in_the_json_result(demo_run, tmp_path):
    config = demo_copy(demo_run, tmp_path)
    rel = demo_run.disclosure["inputs"][0]["path"]
    (tmp_path / "landing" / rel).unlink()
    proc = verify(disclosure_path(demo_run), "--config", str(config), "--json")
    assert proc.exit_code == 3, proc.output
    result = json.loads(proc.stdout)
    assert result["status"] == "inputs_changed"
    assert [(p["path"], p["problem"]) for p in result["input_problems"]] == [(rel, "missing")]


def test_a_changed_config_file_is_named_as_a_changed_input(demo_run, tmp_path):
    config = demo_copy(demo_run, tmp_path)
    replace(config, config.read_bytes() + b"# edited after the report\n")
    proc = verify(disclosure_path(demo_run), "--config", str(config))
    assert proc.exit_code == 3, proc.output
    assert proc.stdout.splitlines()[0].startswith(f"changed: {config}: the config's SHA-256 ")


def doctored(demo_run, tmp_path: Path, edit) -> Path:
    doc = demo_run.disclosure
    edit(doc)
    path = tmp_path / "disclosure.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_doctored_figure_is_reported_by_its_path(demo_run, tmp_path, monkeypatch):
    original = demo_run.disclosure
    monkeypatch.setattr("pipeline.verify.recompute", lambda *args, **kw: original)
    before = original["models"][1]["inference"]["wh_per_request"]
    path = doctored(
        demo_run, tmp_path, lambda d: d["models"][1]["inference"].update(wh_per_request=before * 2)
    )
    args = [str(path), "--config", str(demo_run.config)]
    result = verify(*args)
    assert result.exit_code == 1, result.output
    mismatches = [x for x in result.stdout.splitlines() if x.startswith("mismatch ")]
    assert mismatches == [
        f"mismatch models[1].inference.wh_per_request: disclosure.json {before * 2!r}, "
        f"recomputed {before!r}"
    ]
    assert result.stdout.splitlines()[-1] == "NOT verified: fields differ (above)"
    out = json.loads(verify(*args, "--json").stdout)
    assert out["figures"]["mismatched"] == 1
    assert out["mismatches"][0]["path"] == "models[1].inference.wh_per_request"


def test_another_code_version_is_not_recomputed_unless_allowed(demo_run, tmp_path):
    path = doctored(demo_run, tmp_path, lambda d: d.update(code_version="000000000000"))
    proc = verify(str(path), "--config", str(demo_run.config))
    assert proc.exit_code == 4, proc.output
    assert "differs from the recorded code_version 000000000000" in proc.stdout
    assert "--allow-code-change" in proc.stdout


def test_a_file_that_is_no_disclosure_is_one_line_and_exit_2(demo_run, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("<html></html>", encoding="utf-8")
    proc = verify(str(path), "--config", str(demo_run.config))
    assert proc.exit_code == 2
    assert proc.stderr.startswith(f"error: {path}: not JSON")
    assert len(proc.stderr.splitlines()) == 1
    outside = doctored(demo_run, tmp_path, lambda d: d["inputs"][0].update(path="../../etc/x"))
    proc = verify(str(outside), "--config", str(demo_run.config))
    assert proc.exit_code == 2
    assert "inputs[0].path '../../etc/x' is outside the landing folder" in proc.stderr
