"""Comparing a disclosure with its recompute, field by field (pipeline/disclosure_diff.py): pure
functions on a small document."""

from __future__ import annotations

import copy

import pytest

from pipeline.disclosure_diff import ABSENT, compare, leaves

DOC = {
    "generated_at": "2026-12-06T12:00:00Z",
    "code_version": "a8bef89c1912",
    "config_sha256": "ab" * 32,
    "totals": {"energy_kwh": 1234.5678, "cost_usd": 99.0, "cfe_pct": None},
    "models": [
        {"name": "chat-7b", "inference": {"wh_per_request": 0.25}},
        {"name": "llama-70b", "inference": {"wh_per_request": 1.5}},
    ],
    "checks": [
        {"name": "conservation", "passed": True, "detail": "2,522 rows agree (largest 2.8e-14)"}
    ],
    "previous": {"change_pct": {}},
}


def changed(edit) -> dict:
    doc = copy.deepcopy(DOC)
    edit(doc)
    return doc


def paths(summary) -> list[str]:
    return [m.path for m in summary.mismatches]


def test_leaves_name_each_field_by_its_path():
    got = dict(leaves(DOC))
    assert got["totals.energy_kwh"] == 1234.5678
    assert got["models[1].inference.wh_per_request"] == 1.5
    assert got["checks[0].passed"] is True
    assert not any(p.startswith("previous") for p in got)  # an empty object has no leaf


def test_the_same_document_matches_and_counts_figures_and_other_fields():
    s = compare(DOC, copy.deepcopy(DOC))
    assert s.ok
    # energy, cost, wh_per_request ×2; cfe_pct is null on both sides, so not a figure
    assert (s.figures, s.figures_matched) == (4, 4)
    assert s.other_fields == 6  # cfe_pct, two names, check name, passed, detail


def test_a_figure_summed_in_another_order_matches_and_a_doctored_one_does_not():
    noise = changed(lambda d: d["totals"].update(energy_kwh=1234.5678 * (1 + 1e-13)))
    assert compare(DOC, noise).ok
    doctored = changed(lambda d: d["models"][1]["inference"].update(wh_per_request=1.5001))
    s = compare(DOC, doctored)
    assert paths(s) == ["models[1].inference.wh_per_request"]
    assert (s.figures_mismatched, s.other_mismatched) == (1, 0)
    assert s.mismatches[0].line() == (
        "mismatch models[1].inference.wh_per_request: disclosure.json 1.5, recomputed 1.5001"
    )


def test_the_tolerances_are_the_callers():
    doctored = changed(lambda d: d["totals"].update(cost_usd=99.001))
    assert not compare(DOC, doctored).ok
    assert compare(DOC, doctored, rel_tol=1e-4).ok
    assert compare(DOC, doctored, abs_tol=0.01).ok


def test_numbers_printed_in_text_match_within_the_tolerance_and_the_words_exactly():
    def detail(text):
        return changed(lambda d: d["checks"][0].update(detail=text))

    assert compare(DOC, detail("2,522 rows agree (largest 5.7e-14)")).ok
    assert paths(compare(DOC, detail("2,523 rows agree (largest 2.8e-14)"))) == ["checks[0].detail"]
    assert not compare(DOC, detail("2,522 rows differ (largest 2.8e-14)")).ok


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["totals"].update(cfe_pct=0.0), "totals.cfe_pct"),  # null became a number
        (lambda d: d["checks"][0].update(passed=1), "checks[0].passed"),  # a flag is no number
        (lambda d: d["totals"].pop("cost_usd"), "totals.cost_usd"),
        (lambda d: d["models"].pop(), "models[1].name"),
        (lambda d: d["totals"].update(water_l=3.0), "totals.water_l"),  # only the recompute's
    ],
)
def test_a_field_changed_in_kind_or_only_on_one_side_is_a_mismatch(edit, path):
    s = compare(DOC, changed(edit))
    assert path in paths(s)
    assert not s.ok


def test_a_field_only_one_side_has_is_shown_as_absent():
    s = compare(DOC, changed(lambda d: d["totals"].pop("cost_usd")))
    assert s.mismatches[0].recomputed is ABSENT
    assert s.mismatches[0].line().endswith("disclosure.json 99.0, recomputed absent")


def test_when_and_by_what_a_disclosure_was_made_are_not_compared():
    def stamp(d):
        d.update(generated_at="2027-01-01T00:00:00Z", code_version="x", config_sha256="cd" * 32)

    assert compare(DOC, changed(stamp)).ok


def test_a_lifecycle_statements_own_stamps_are_not_compared_either():
    """Each lifecycle statement carries when and with what it was made (the demo's verify failed
    on lifecycle[i].generated_at and .config_sha256); its figures still are compared."""
    doc = changed(lambda d: d.update(lifecycle=[{"generated_at": "a", "config_sha256": "b",
                                                 "training": {"energy_kwh": 5.0}}]))  # fmt: skip

    def stamp(d):
        d["lifecycle"][0].update(generated_at="z", config_sha256="y", code_version="x")

    assert compare(doc, changed_from(doc, stamp)).ok
    doctored = changed_from(doc, lambda d: d["lifecycle"][0]["training"].update(energy_kwh=6.0))
    assert paths(compare(doc, doctored)) == ["lifecycle[0].training.energy_kwh"]


def changed_from(doc: dict, edit) -> dict:
    out = copy.deepcopy(doc)
    edit(out)
    return out
