"""The demo's PDF as management reads it (issue 17): the input manifest summed up in one
paragraph (258 files filled 4 of its 15 pages with SHA-256 lists before), every file still listed
in report.html and tables/inputs.csv, and no table split with a lone header or row."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from pipeline.disclosure.model import Disclosure
from pipeline.formatting import fmt
from pipeline.report.render import pdf_document
from tests.pdf_layout import bad_splits


@pytest.fixture(scope="module")
def demo_pdf(demo_run) -> dict:
    reader = PdfReader(demo_run.reports / "report.pdf")
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    d = Disclosure.model_validate(demo_run.disclosure)
    return {"d": d, "pages": pages, "text": " ".join(pages), "document": pdf_document(d)}


def test_demo_pdf_sums_the_manifest_up(demo_run, demo_pdf):
    d = demo_pdf["d"]
    compact = re.sub(r"\s+", "", demo_pdf["text"])
    assert len(d.inputs) > 200
    assert [f.sha256 for f in d.inputs if f.sha256 in compact] == []
    inputs_csv = (demo_run.reports / "tables" / "inputs.csv").read_bytes()
    assert hashlib.sha256(inputs_csv).hexdigest() in compact
    # the bytes are those of the landing files the demo wrote, as the manifest recorded them
    landing = demo_run.out / "landing"
    on_disk = sum((landing / f.path).stat().st_size for f in d.inputs)
    assert (
        f"from {len(d.inputs)} input files of {fmt(on_disk, 'bytes')} in all" in (demo_pdf["text"])
    )


def test_demo_html_and_csv_list_every_file(demo_run, demo_pdf):
    html = (demo_run.reports / "report.html").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((demo_run.reports / "tables/inputs.csv").read_text())))
    assert [(r["path"], r["sha256"]) for r in rows] == [
        (f.path, f.sha256) for f in demo_pdf["d"].inputs
    ]
    for f in demo_pdf["d"].inputs:
        assert f.sha256 in html
        assert int(next(r for r in rows if r["path"] == f.path)["size_bytes"]) == f.size_bytes


def test_demo_manifest_adds_no_page(demo_pdf):
    """The same report without any input file has as many pages: the manifest is a paragraph."""
    d = demo_pdf["d"]
    assert len(demo_pdf["document"].pages) == len(demo_pdf["pages"])
    bare = d.model_copy(update={"inputs": []})
    assert len(pdf_document(bare).pages) == len(demo_pdf["pages"])


def test_demo_tables_are_not_split_with_a_lone_header_or_row(demo_pdf):
    assert bad_splits(demo_pdf["document"]) == []


def test_demo_pdf_lists_the_files_of_its_report_set(demo_run, demo_pdf):
    """Every export written beside the report is named in the PDF (its model documents once per
    file name), and each named file is in the set."""
    text = demo_pdf["text"]
    folder = demo_run.reports
    exports = sorted(
        p.relative_to(folder).as_posix()
        for top in ("focus", "models")
        for p in (folder / top).rglob("*")
        if p.is_file()
    )
    assert "focus/cost-and-energy.csv" in exports and "models/gpai-energy.csv" in exports
    models = {x["name"] for x in demo_run.disclosure["lifecycle"]}
    for path in exports:
        parts = path.split("/")
        if len(parts) == 3:
            assert f"models/<model>/{parts[2]} ({len(models)} models)" in text, path
        else:
            assert path in text, path
