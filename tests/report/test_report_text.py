"""Hostile and huge text in names (issue 17): invisible and direction-changing code points are
shown as visible escapes in every output, and a 100 kB model name is shortened in the PDF and
keeps the other models' figures on the page.

Each report here is rendered once per module (rendering is slow on a shared machine)."""

from __future__ import annotations

import csv
import io
import json
import re
from io import BytesIO

import pytest
from pypdf import PdfReader

from pipeline.config.delivery import Smtp
from pipeline.delivery.mail import build_message, summary_text
from pipeline.delivery.report_files import read_report
from pipeline.disclosure.model import Disclosure
from pipeline.formatting import fmt, fmt_pct
from pipeline.report.charts import daily_phase_energy_svg, phase_share_svg
from pipeline.report.crossover_chart import crossover_svg
from pipeline.report.render import write_report
from tests.report.test_report_render import _html_text, _pdf_text
from tests.report_sample import sample_disclosure

BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
FORMAT = [0x200B, 0x200C, 0x200D, 0xFEFF, 0x2060, 0x00AD]
CONTROL = [0x00, 0x01, 0x1B, 0x7F, 0x85, 0x9B, 0x2028, 0x2029]
HIDDEN = BIDI + FORMAT + CONTROL

PHASE = "dev\u2067-ops"
PROBE_NAME = "atlas\u202egnp.exe"  # prints as "atlasexe.png" when the override is obeyed
LONG_NAME = "helix" + "x" * 100_000  # 100 kB, no break opportunity
LONG_INDEX = 2  # models[2] gets LONG_NAME; the sample's other models keep theirs
NAME_LIMIT_CHARS = 60  # the longest name the PDF prints (pipeline/printable.py)
DISTINCT_FIGURES = {
    f"{kind}{i}": base * (i + 1)
    for kind, base in (("estimated", 0.0713), ("wh1k", 0.0413), ("amortised", 5.17))
    for i in range(4)
}
EDGE_NAME = "orca" + "y" * (NAME_LIMIT_CHARS - 4)  # printed whole, no break opportunity either


def _team(cp: int) -> str:
    return f"team-{cp:04x}-a{chr(cp)}b"


def _shown(cp: int) -> str:
    """How the report prints a hidden code point (docs/report-text.md)."""
    return f"⟨U+{cp:04X}⟩"


def hostile_text_disclosure() -> Disclosure:
    data = sample_disclosure().model_dump()
    data["organisation"] = "Northwind\u202e AI Labs"
    data["models"][0]["name"] = PROBE_NAME
    team = data["teams"][0]
    data["teams"] = [team | {"team": _team(cp)} for cp in HIDDEN]
    data["sites"][0]["site"] = "fra\u200b-1"
    # a phase named in the data reaches the phase tables and both phase charts as a dict key
    data["phases"][PHASE] = data["phases"].pop("development")
    for row in data["daily"]:
        row["phase"] = PHASE if row["phase"] == "development" else row["phase"]
    data["inputs"][0]["path"] = "landing/\u2066telemetry\u2069/gpu.csv"
    data["notes"].append("note with a soft\u00adhyphen and a \u200dzero-width joiner")
    return Disclosure.model_validate(data)


def long_names_disclosure() -> Disclosure:
    data = sample_disclosure().model_dump()
    data["models"][LONG_INDEX]["name"] = LONG_NAME
    data["models"][3]["name"] = EDGE_NAME
    for i, m in enumerate(data["models"]):  # figures printed nowhere else, in the last columns
        m["training"]["estimated_share"] = DISTINCT_FIGURES[f"estimated{i}"]
        m["inference"]["wh_per_1k_output_tokens"] = DISTINCT_FIGURES[f"wh1k{i}"]
        m["crossover"]["training_wh_per_request_amortised"] = DISTINCT_FIGURES[f"amortised{i}"]
    return Disclosure.model_validate(data)


def _has_hidden(text: str) -> list[str]:
    return sorted({f"U+{ord(ch):04X}" for ch in text if ord(ch) in HIDDEN})


def _written(d: Disclosure, out) -> dict:
    paths = write_report(d, out)
    pdf = paths["pdf"].read_bytes()
    return {
        "d": d,
        "out": out,
        "paths": paths,
        "pdf": pdf,
        "html": paths["html"].read_text(encoding="utf-8"),
        "json": paths["json"].read_text(encoding="utf-8"),
        "csv": {p.name: p.read_text(encoding="utf-8") for p in paths["tables"].iterdir()},
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    written = _written(hostile_text_disclosure(), tmp_path_factory.mktemp("hostile-text"))
    return written | {"pdf_text": _pdf_text(written["pdf"])[0]}


@pytest.fixture(scope="module")
def long_names(tmp_path_factory) -> dict:
    return _written(long_names_disclosure(), tmp_path_factory.mktemp("long-names"))


# ----------------------------------------------------------------------------- every output


def test_no_hidden_code_point_in_any_output(hostile):
    assert _has_hidden(hostile["json"]) == []
    assert _has_hidden(hostile["html"]) == []
    assert _has_hidden(hostile["pdf_text"]) == []
    for name, text in hostile["csv"].items():
        assert _has_hidden(text) == [], name
    charts = [crossover_svg(m, "x") or "" for m in hostile["d"].models]
    charts += [daily_phase_energy_svg(hostile["d"]), phase_share_svg(hostile["d"])]
    assert [_has_hidden(svg) for svg in charts] == [[]] * len(charts)
    for svg in charts[-2:]:
        assert "dev⟨U+2067⟩-ops" in svg


def test_each_hidden_code_point_shows_as_an_escape_in_every_output(hostile):
    teams_csv = list(csv.DictReader(io.StringIO(hostile["csv"]["teams.csv"])))
    json_teams = [t["team"] for t in json.loads(hostile["json"])["teams"]]
    html_text = _html_text(hostile["html"])
    pdf_compact = re.sub(r"\s+", "", hostile["pdf_text"])  # names wrap in table cells
    for cp in HIDDEN:
        shown = f"team-{cp:04x}-a{_shown(cp)}b"
        assert shown in json_teams
        assert shown in [row["team"] for row in teams_csv]
        assert shown in html_text
        assert shown in pdf_compact, shown


def test_the_probe_name_reads_in_its_stored_order(hostile):
    shown = "atlas⟨U+202E⟩gnp.exe"
    assert shown in re.sub(r"\s+", "", hostile["pdf_text"])
    assert shown in _html_text(hostile["html"])
    assert "atlasexe.png" not in hostile["pdf_text"]
    models_csv = list(csv.DictReader(io.StringIO(hostile["csv"]["models_training.csv"])))
    assert models_csv[0]["model"] == shown
    chart = crossover_svg(hostile["d"].models[0], "x") or ""
    assert "atlas⟨U+202E⟩gnp.exe" in chart
    assert "fra⟨U+200B⟩-1" in re.sub(r"\s+", "", hostile["pdf_text"])
    phases_csv = list(csv.DictReader(io.StringIO(hostile["csv"]["phases.csv"])))
    assert "dev⟨U+2067⟩-ops" in [row["phase"] for row in phases_csv]


def test_mail_text_shows_the_escape(hostile):
    report = read_report(hostile["out"], "2025-03")
    body = summary_text(report)
    assert "Northwind⟨U+202E⟩ AI Labs" in body and _has_hidden(body) == []
    smtp = Smtp(host="localhost", port=25, security="none", from_addr="wattprint@example.org")
    subject = str(build_message(report, smtp, ["cfo@example.org"])["Subject"])
    assert "Northwind⟨U+202E⟩ AI Labs" in subject and _has_hidden(subject) == []


# ----------------------------------------------------------------------------- a 100 kB name


def _page_chunks(pdf: bytes) -> list[tuple[float, list[tuple[str, float]]]]:
    """Per page: its width and the text runs drawn on it with the x where each starts."""
    pages = []
    for page in PdfReader(BytesIO(pdf)).pages:
        runs: list[tuple[str, float]] = []

        def visit(text, cm, tm, font_dict, font_size, runs=runs):
            if text.strip():
                runs.append((text.strip(), tm[4] * cm[0] + tm[5] * cm[2] + cm[4]))

        page.extract_text(visitor_text=visit)
        pages.append((float(page.mediabox.width), runs))
    return pages


def test_other_models_figures_stay_on_the_page_beside_long_names(long_names):
    """The last column of the training, inference and crossover tables holds a figure printed
    nowhere else for every model: each is drawn on a page, left of its right margin."""
    margin_pt = 16 / 25.4 * 72  # templates/report.css: @page margin 16 mm left and right
    on_page = {
        text
        for width, runs in _page_chunks(long_names["pdf"])
        for text, x in runs
        if 0 < x < width - margin_pt
    }
    missing = {k: v for k, v in DISTINCT_FIGURES.items() if _printed(k, v) not in on_page}
    assert missing == {}


def _printed(key: str, value: float) -> str:
    return fmt_pct(value) if key.startswith("estimated") else fmt(value)


def test_a_100kb_name_is_shortened_in_the_pdf_and_whole_elsewhere(long_names):
    pdf_text = _pdf_text(long_names["pdf"])[0]  # here: the PDF of a 100 kB name may not parse
    printed = re.findall(r"helix(x*)…(x*)", re.sub(r"\s+", "", pdf_text))
    assert printed, "the long name is not printed shortened with an ellipsis"
    assert all(len("helix" + a + "…" + b) <= NAME_LIMIT_CHARS for a, b in printed)
    assert "x" * (NAME_LIMIT_CHARS + 1) not in re.sub(r"\s+", "", pdf_text)
    assert len(long_names["pdf"]) < 2_000_000
    assert f'title="{LONG_NAME}"' in long_names["html"]
    assert [m["name"] for m in json.loads(long_names["json"])["models"]][LONG_INDEX] == LONG_NAME
    rows = list(csv.DictReader(io.StringIO(long_names["csv"]["models_training.csv"])))
    assert rows[LONG_INDEX]["model"] == LONG_NAME
