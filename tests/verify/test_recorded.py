"""What `verify` reads from a disclosure.json, and the days its recompute computes
(pipeline/verify.py): pure functions on small documents."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.verify import DisclosureFileError, Recorded, read_recorded, recompute_days

GOOD = {
    "code_version": "a8bef89c1912",
    "config_sha256": "ab" * 32,
    "period": {"start": "2026-10-01", "end": "2026-10-14", "days": 14},
    "inputs": [{"path": "billing/focus.csv", "sha256": "cd" * 32, "rows": 3, "size_bytes": 9}],
}


def written(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "disclosure.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_disclosure_gives_its_inputs_versions_and_period(tmp_path):
    r = read_recorded(written(tmp_path, GOOD))
    assert (r.code_version, r.config_sha256) == ("a8bef89c1912", "ab" * 32)
    assert (r.start, r.end) == (date(2026, 10, 1), date(2026, 10, 14))
    assert [f["path"] for f in r.inputs] == ["billing/focus.csv"]


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ([1, 2], "no code_version, config_sha256, period, inputs"),
        ({k: v for k, v in GOOD.items() if k != "inputs"}, "no inputs"),
        ({**GOOD, "inputs": [{"path": "a.csv"}]}, "inputs[0] has no path and sha256"),
        ({**GOOD, "inputs": "a.csv"}, "inputs[0] has no path and sha256"),
        ({**GOOD, "period": {"start": "2026-10"}}, "period is not {start, end} as YYYY-MM-DD"),
    ],
)
def test_a_file_that_is_no_disclosure_is_named_with_what_it_lacks(tmp_path, doc, says):
    path = written(tmp_path, doc)
    with pytest.raises(DisclosureFileError) as e:
        read_recorded(path)
    assert str(e.value).startswith(f"{path}: {says}: expected the disclosure.json")


def recorded(previous: dict) -> Recorded:
    return Recorded(
        Path("d.json"), {"previous": previous}, [], "v", "s", date(2026, 10, 1), date(2026, 10, 14)
    )


def test_the_recompute_covers_the_previous_period_the_disclosure_compared_with():
    end = date(2026, 10, 14)
    compared = {"period": {"start": "2026-09-01"}, "totals": {"energy_kwh": 1.0}}
    assert recompute_days(recorded(compared)) == (date(2026, 9, 1), end)
    partly = {
        "period": {"start": "2026-09-01"},
        "totals": None,
        "reason": "the previous period 2026-09-01..2026-09-14 is only partly computed "
        "(data from 2026-09-05)",
    }
    assert recompute_days(recorded(partly)) == (date(2026, 9, 5), end)
    first = {"period": {"start": "2026-09-01"}, "totals": None, "reason": "no computed data"}
    assert recompute_days(recorded(first)) == (date(2026, 10, 1), end)
