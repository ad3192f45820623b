"""The PDF for management (issue 17): the input manifest is one paragraph, not pages of SHA-256
lists (the full list stays in report.html and tables/inputs.csv), and no table is split with its
header alone or one row at a page's end or start.

Each report is laid out once per module (rendering is slow on a shared machine)."""

from __future__ import annotations

import hashlib
import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from pipeline.disclosure.model import Disclosure
from pipeline.formatting import fmt
from pipeline.report.render import pdf_document, render_html
from pipeline.report.tables import render_tables
from tests.pdf_layout import bad_splits, table_fragments
from tests.report.test_report_render import _norm
from tests.report_sample import sample_disclosure

DEMO_FILES = 258  # as many input files as the demo report has


def _sha(i: int) -> str:
    return hashlib.sha256(f"file {i}".encode()).hexdigest()


def many_inputs(d: Disclosure) -> Disclosure:
    data = d.model_dump()
    data["inputs"] = [
        {
            "path": f"telemetry/gpu-node-{i // 14:03d}/nvidia-smi-2025-03-{i % 14 + 1:02d}.csv",
            "format": "nvidia-smi-csv",
            "rows": 2_304 + i,
            "size_bytes": 180_000 + 7 * i,
            "sha256": _sha(i),
        }
        for i in range(DEMO_FILES)
    ]
    data["data_quality"]["files"] = DEMO_FILES
    return Disclosure.model_validate(data)


def long_tables(d: Disclosure) -> Disclosure:
    """Tables long enough to cross pages: 70 teams, 25 checks."""
    data = d.model_dump()
    team = data["teams"][0]
    data["teams"] = [team | {"team": f"team-{i:02d}", "gpu_hours": 100.0 + i} for i in range(70)]
    data["checks"] = [
        {"name": f"check_{i:02d}", "passed": True, "blocking": i % 2 == 0, "detail": "ok"}
        for i in range(25)
    ]
    return Disclosure.model_validate(data)


def _laid_out(d: Disclosure) -> dict:
    document = pdf_document(d)
    pdf = document.write_pdf(pdf_tags=True)
    pages = [_norm(p.extract_text() or "") for p in PdfReader(BytesIO(pdf)).pages]
    return {"d": d, "document": document, "pages": pages, "text": " ".join(pages)}


@pytest.fixture(scope="module")
def sample() -> dict:
    return _laid_out(sample_disclosure())


@pytest.fixture(scope="module")
def manifest_heavy() -> dict:
    return _laid_out(many_inputs(sample_disclosure()))


@pytest.fixture(scope="module")
def long() -> dict:
    return _laid_out(long_tables(sample_disclosure()))


def test_a_long_manifest_adds_no_page(sample, manifest_heavy):
    assert len(sample["document"].pages) == len(sample["pages"])
    assert len(manifest_heavy["pages"]) == len(sample["pages"])


def test_pdf_sums_the_manifest_up_in_one_paragraph(manifest_heavy):
    d, text = manifest_heavy["d"], manifest_heavy["text"]
    compact = re.sub(r"\s+", "", text)
    assert [f.sha256 for f in d.inputs if f.sha256 in compact] == []
    assert [f.path for f in d.inputs if f.path in compact] == []
    inputs_csv = render_tables(d)["inputs.csv"]
    assert hashlib.sha256(inputs_csv).hexdigest() in compact
    total = sum(f.size_bytes or 0 for f in d.inputs)
    assert f"from {DEMO_FILES} input files of {fmt(total, 'bytes')} in all" in text
    assert "sha256sum tables/inputs.csv" in text


def test_html_and_csv_list_every_input_file(manifest_heavy):
    d = manifest_heavy["d"]
    html = render_html(d)
    inputs_csv = render_tables(d)["inputs.csv"].decode("utf-8")
    for f in d.inputs:
        assert f.sha256 in html and f.path in html
        assert f"{f.path},{f.format},{f.rows},{f.size_bytes},{f.sha256}" in inputs_csv


def test_contents_still_lists_the_manifest_on_its_page(manifest_heavy):
    cover = manifest_heavy["pages"][0]
    page = int(re.search(r"\d+ Input manifest (\d+)", cover).group(1))
    assert "Input manifest" in manifest_heavy["pages"][page - 1]


@pytest.mark.parametrize("report", ["sample", "manifest_heavy", "long"])
def test_no_table_split_with_a_lone_header_or_row(report, request):
    laid_out = request.getfixturevalue(report)
    assert bad_splits(laid_out["document"]) == []


def test_long_tables_do_cross_pages_with_their_header(long):
    """The check above is not vacuous: tables do break across pages here (the teams table of
    70 rows at least), and each page they are on prints their header again."""
    split = [f for f in table_fragments(long["document"]).values() if len(f) > 1]
    assert max(rows for fragments in split for _, rows, _ in fragments) >= 20
    for fragments in split:
        assert all(header for _, _, header in fragments), fragments
