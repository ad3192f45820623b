"""`wattprint verify`: recompute a disclosure from the input files its manifest names and say,
figure by figure, whether it matches (pipeline/verify.py; docs/outputs.md).

Exit codes: 0 every field matches; 1 a field differs; 2 a usage mistake (the config, the
disclosure.json or an option); 3 an input file or the config file is missing or changed (nothing
recomputed); 4 the code version differs from the recorded one and --allow-code-change was not
given (nothing recomputed). With both 3 and 4 found, 3.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import ConfigOpt, config_or_exit, console
from pipeline.disclosure_diff import ABS_TOL, ABSENT, IGNORED_FIELDS, REL_TOL, DiffSummary

MATCH, MISMATCH, INPUTS_CHANGED, CODE_CHANGED = 0, 1, 3, 4
STATUS = {
    MATCH: "match",
    MISMATCH: "mismatch",
    INPUTS_CHANGED: "inputs_changed",
    CODE_CHANGED: "code_changed",
}
SHOWN_UNLISTED = 5  # landing files outside the manifest named in the text output


def verify(
    disclosure: Annotated[Path, typer.Argument(help="a report's disclosure.json")],
    config: ConfigOpt = Path("wattprint.yaml"),
    allow_code_change: Annotated[
        bool,
        typer.Option(
            "--allow-code-change",
            help="recompute with this code even if its version is not the recorded one",
        ),
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="print the result as one JSON object")
    ] = False,
    rel_tol: Annotated[float, typer.Option(min=0.0, help="relative tolerance of a figure")] = (
        REL_TOL
    ),
    abs_tol: Annotated[float, typer.Option(min=0.0, help="absolute tolerance of a figure")] = (
        ABS_TOL
    ),
) -> None:
    """Recompute a disclosure from the input files its manifest names (their SHA-256 checked
    first, with the config file's and the code version) in a scratch folder, and compare every
    figure. Exit 0 all match, 1 a mismatch, 3 an input missing or changed, 4 another code version
    (see --allow-code-change), 2 a usage mistake."""
    from pipeline import verify as v
    from pipeline.disclosure.build import code_version
    from pipeline.disclosure_diff import compare

    cfg = config_or_exit(config)
    recorded = v.read_recorded(disclosure)
    problems = v.input_problems(recorded, cfg)
    if (changed := v.config_problem(recorded, cfg, config)) is not None:
        problems.append(changed)
    result: dict = {
        "disclosure": str(disclosure),
        "config": str(config),
        "inputs": len(recorded.inputs),
        "input_problems": [asdict(p) for p in problems],
        "code_version": {"recorded": recorded.code_version, "current": code_version()},
        "unlisted_files": v.unlisted_files(recorded, cfg),
        "ignored_fields": list(IGNORED_FIELDS),
        "tolerance": {"relative": rel_tol, "absolute": abs_tol},
    }
    code_changed = result["code_version"]["recorded"] != result["code_version"]["current"]
    if problems:
        _finish(result, INPUTS_CHANGED, json_output)
    if code_changed and not allow_code_change:
        _finish(result, CODE_CHANGED, json_output)
    with console.status(
        f"recomputing {recorded.start} .. {recorded.end} from {len(recorded.inputs)} files"
    ):
        recomputed = v.recompute(recorded, config, cfg)
    summary = compare(recorded.document, recomputed, rel_tol, abs_tol)
    result |= _diff_fields(summary)
    _finish(result, MATCH if summary.ok else MISMATCH, json_output, summary)


def _diff_fields(s: DiffSummary) -> dict:
    def side(value: object) -> dict:
        return {} if value is ABSENT else {"value": value}

    return {
        "figures": {
            "compared": s.figures,
            "matched": s.figures_matched,
            "mismatched": s.figures_mismatched,
        },
        "other_fields": {
            "compared": s.other_fields,
            "matched": s.other_fields - s.other_mismatched,
            "mismatched": s.other_mismatched,
        },
        "mismatches": [
            {"path": m.path, "recorded": side(m.recorded), "recomputed": side(m.recomputed)}
            for m in s.mismatches
        ],
    }


def _finish(result: dict, code: int, json_output: bool, summary: DiffSummary | None = None) -> None:
    """Print the result (text or JSON) and exit with `code`."""
    result |= {"status": STATUS[code], "exit_code": code}
    if json_output:
        typer.echo(json.dumps(result, indent=2))
        raise typer.Exit(code)
    for line in _text_lines(result, summary):
        typer.echo(line)
    raise typer.Exit(code)


def _text_lines(result: dict, summary: DiffSummary | None) -> list[str]:
    lines = [f"{p['problem']}: {p['path']}: {p['detail']}" for p in result["input_problems"]]
    versions = result["code_version"]
    if versions["recorded"] != versions["current"]:
        lines.append(
            f"code version {versions['current']} differs from the recorded code_version "
            f"{versions['recorded']}"
        )
    if versions["recorded"].endswith("+dirty"):
        lines.append(
            f"note: the recorded code_version {versions['recorded']} had uncommitted changes: "
            "the same version may name other code"
        )
    if unlisted := result["unlisted_files"]:
        shown = unlisted[:SHOWN_UNLISTED] + (["..."] if len(unlisted) > SHOWN_UNLISTED else [])
        lines.append(
            f"note: landing files not in the manifest, left out of the recompute "
            f"({len(unlisted)}): {', '.join(shown)}"
        )
    status = result["status"]
    if status == "inputs_changed":
        lines.append(
            f"inputs changed: {len(result['input_problems'])} missing or changed (of "
            f"{result['inputs']} input files and the config); nothing recomputed"
        )
    elif status == "code_changed":
        lines.append(
            "code changed: nothing recomputed; check out the recorded code version, or give "
            "--allow-code-change to recompute with this one"
        )
    elif summary is not None:
        lines += [m.line() for m in summary.mismatches]
        f, o = result["figures"], result["other_fields"]
        lines.append(
            f"{f['compared']} figures compared: {f['matched']} matched, {f['mismatched']} "
            f"mismatched; {o['compared']} other fields (text, flags, dates): {o['matched']} "
            f"matched, {o['mismatched']} mismatched"
        )
        lines.append("verified" if status == "match" else "NOT verified: fields differ (above)")
    return lines
