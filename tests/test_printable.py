"""`pipeline.printable`: hidden code points shown as escapes, long names shortened, and the
Disclosure applying it to every string it holds (the outputs are tested in
tests/report/test_report_text.py)."""

from __future__ import annotations

import pytest

from pipeline.disclosure.model import Disclosure
from pipeline.printable import NAME_LIMIT_CHARS, shorten, visible
from tests.report.test_report_text import HIDDEN, LONG_NAME, PROBE_NAME
from tests.report_sample import sample_disclosure


@pytest.mark.parametrize("cp", HIDDEN, ids=lambda cp: f"U+{cp:04X}")
def test_visible_shows_each_hidden_code_point(cp):
    text = f"a{chr(cp)}b"
    assert visible(text) == f"a⟨U+{cp:04X}⟩b"
    assert visible(visible(text)) == visible(text)


def test_visible_leaves_ordinary_names_and_whitespace_alone():
    for name in ("atlas-70b-instruct", "Zürich-1", "北京-gpu", "naïve café", "a b\u00a0c"):
        assert visible(name) is name
    # tab and line breaks are whitespace every output handles (CSV quotes, JSON escapes them)
    detail = "zone DE:\tfallback,\r\nsee data quality"
    assert visible(detail) is detail


def test_shorten_keeps_both_ends_and_whole_escapes():
    assert shorten("x" * NAME_LIMIT_CHARS) == "x" * NAME_LIMIT_CHARS
    short = shorten("a" * 100 + "-v2")
    assert len(short) == NAME_LIMIT_CHARS and short.endswith("-v2") and "…" in short
    assert shorten(LONG_NAME).startswith("helix")
    cut = shorten("b" * 37 + visible("\u202e") + "c" * 100)  # an escape across the cut
    assert cut == "b" * 37 + "…" + "c" * 19
    cut = shorten("c" * 100 + visible("\u202e") + "d" * 15)  # ... at the end's cut
    assert cut == "c" * 40 + "…" + "d" * 15


def test_disclosure_shows_hidden_code_points_and_leaves_the_given_records_alone():
    d = sample_disclosure()
    model = d.models[0].model_copy(update={"name": PROBE_NAME})
    again = d.model_copy(update={"models": [model, *d.models[1:]]})
    validated = Disclosure.model_validate(again.model_dump())
    assert validated.models[0].name == "atlas⟨U+202E⟩gnp.exe"
    assert model.name == PROBE_NAME  # the caller's record is not modified
    fields = {name: getattr(again, name) for name in type(again).model_fields}
    built = Disclosure(**fields)  # as disclosure/build.py makes it: from records
    assert built.models[0].name == "atlas⟨U+202E⟩gnp.exe" and model.name == PROBE_NAME


def test_disclosure_shows_hidden_code_points_in_dict_keys_and_nested_records():
    data = sample_disclosure().model_dump()
    data["phases"]["ev\u200bal"] = data["phases"].pop("evaluation")
    data["factors"][0]["source"] = "operator\u2067 report"
    d = Disclosure.model_validate(data)
    assert "ev⟨U+200B⟩al" in d.phases and "evaluation" not in d.phases
    assert d.factors[0].source == "operator⟨U+2067⟩ report"
    assert Disclosure.model_validate_json(d.model_dump_json()) == d  # idempotent round trip
