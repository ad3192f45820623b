"""The report's tables as CSV files, for analysts (issue 5).

`report_tables(d)` lists every table the report prints, built from the same `Disclosure`: the
rows the printed table shows, in its order (phases in `charts.ordered_phases` order, models as
listed, serving tables over the serving models only), and its columns, named as the fields in
`disclosure.json` with their units (`energy_kwh`, `co2e_kg_location`, `wh_per_request`). Cells
hold the full-precision values, not the rounded text the report prints.

`write_tables(d, folder)` writes `<folder>/<stem>.csv` for each table and `index.csv` listing
them. Every table is always written, a table the report leaves out (no models, no regulatory
annex) as a header-only file, so the set of files never depends on the data.

File conventions: UTF-8 without BOM, one header row, `\\n` line ends, RFC 4180 quoting (a cell
with a comma, a double quote or a line break is quoted, quotes doubled). Floats are written with
`repr` (the shortest text that reads back to the same float), counts in full, booleans as `true`
/ `false`, dates and times in ISO 8601; an empty cell is a missing value (the report's "n/a").
A text cell that a spreadsheet would run as a formula (first character `=`, `+`, `-`, `@`, tab or
carriage return, OWASP "CSV injection") is prefixed with `'`; numbers never are.

Where a CSV differs in layout from the printed table:
- the phase column holds the phase's key (`fine_tuning`), not its label ("Fine-tuning");
- the model name is repeated on every row of `per_request`, `per_1k_output_tokens`,
  `per_prompt` and `efficiency` (printed on a model's first row only); the boundary column reads
  `accelerator` / `full_boundary` (printed "full boundary"); `per_prompt`'s metric column holds
  the field in disclosure.json (`gco2e_location`, `wh_measured_by_server`), not its label;
- the key-value tables (`data_quality`, `scope2`) are one row with a column per printed line;
- `declared` has the `source` and `pue_basis` columns the report lists under its table;
- `sites` splits "annual volume / matched" into two columns, and `uncertainty` each printed
  "central, P5-P95" cell into `<metric>_central`, `<metric>_p5`, `<metric>_p95`; its `group` is
  the key in disclosure.json (`phase:training`), not the printed label ("Phase: Training");
- `metadata` (the title block), `totals` (the headline figures), and the data of the daily
  chart (`daily_phase_energy`) and crossover charts (`crossover_cumulative`) are tables here;
- the phases table's "Total" footer row is the `totals` table (with every headline figure), so
  `phases.csv` can be summed without counting the total twice.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from pipeline.atomic import write_atomic
from pipeline.disclosure.model import Disclosure
from pipeline.report import (
    tables_annex,
    tables_coverage,
    tables_declared,
    tables_models,
    tables_period,
    tables_prompts,
)
from pipeline.report.table import Built, Cell, Table

TABLES_DIR_NAME = "tables"  # the folder of the CSV files, in the report folder
INDEX_NAME = "index.csv"
INDEX_COLUMNS = ("stem", "title", "rows", "columns")

# First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Every table in print order, each built by one function of tables_*.py that returns (title,
# columns, rows); the row selection mirrors the template's loops and conditions.
TABLES: tuple[tuple[str, Callable[[Disclosure], Built]], ...] = (
    ("metadata", tables_period.metadata),
    ("totals", tables_period.totals),
    ("comparison", tables_period.comparison),
    ("phases", tables_period.phases),
    ("phases_full_boundary", tables_period.phases_full_boundary),
    ("daily_phase_energy", tables_period.daily_phase_energy),
    ("models_training", tables_models.models_training),
    ("models_inference", tables_models.models_inference),
    ("per_request", tables_models.per_request),
    ("per_1k_output_tokens", tables_models.per_1k_output_tokens),
    ("per_request_breakdown", tables_models.per_request_breakdown),
    ("per_prompt", tables_prompts.per_prompt),
    ("per_prompt_breakdown", tables_prompts.per_prompt_breakdown),
    ("crossover", tables_models.crossover),
    ("crossover_cumulative", tables_models.crossover_cumulative),
    ("efficiency", tables_models.efficiency),
    ("declared", tables_declared.declared),
    ("sites", tables_period.sites),
    ("teams", tables_period.teams),
    ("uncertainty", tables_period.uncertainty),
    ("data_quality", tables_annex.data_quality),
    ("coverage", tables_coverage.coverage_sites),
    ("coverage_gaps", tables_coverage.coverage_gaps),
    ("coverage_unknown_hosts", tables_coverage.coverage_unknown_hosts),
    ("checks", tables_annex.checks),
    ("factors", tables_annex.factors),
    ("ai_act", tables_annex.ai_act),
    ("scope2", tables_annex.scope2),
    ("sci", tables_annex.sci),
    ("inputs", tables_annex.inputs),
)
STEMS: tuple[str, ...] = tuple(stem for stem, _ in TABLES)


def report_tables(d: Disclosure) -> list[Table]:
    """Every table of the report, in print order; the same stems for every Disclosure."""
    return [_table(stem, build, d) for stem, build in TABLES]


def report_table(d: Disclosure, stem: str) -> Table:
    """The table `stem` of `report_tables(d)`, built alone."""
    return _table(stem, dict(TABLES)[stem], d)


def _table(stem: str, build: Callable[[Disclosure], Built], d: Disclosure) -> Table:
    title, columns, rows = build(d)
    return Table(stem, title, tuple(columns), tuple(tuple(r) for r in rows))


# ----------------------------------------------------------------------------- CSV text


def spreadsheet_safe(text: str) -> str:
    """`text`, prefixed with `'` if a spreadsheet would read it as a formula.

    A text that is a plain number ("-0.5", "+3", "1e-3") is left alone: it is read as that
    number, not run.
    """
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cell(value: Cell) -> str:
    """The text of one CSV cell (see the module docstring for the conventions)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, str):
        return spreadsheet_safe(value)
    raise TypeError(f"unexpected table cell {value!r} ({type(value).__name__})")


def table_csv(table: Table) -> bytes:
    """The CSV file of `table`: header row, then one line per row."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.columns)
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return buf.getvalue().encode("utf-8")


# an index row for a CSV file of the report set outside this folder: (stem relative to this
# folder, e.g. "../focus/cost-and-energy", title, rows, columns)
Listed = tuple[str, str, int, int]


def index_table(tables: Iterable[Table], also: Iterable[Listed] = ()) -> Table:
    rows = tuple((t.stem, t.title, len(t.rows), len(t.columns)) for t in tables)
    return Table("index", "The tables in this folder", INDEX_COLUMNS, rows + tuple(also))


def render_tables(d: Disclosure, also: Iterable[Listed] = ()) -> dict[str, bytes]:
    """File name -> CSV bytes for every table and `index.csv`, all made in memory. `also` lists
    other CSV files of the report set in the index, after the tables (tables/<stem>.csv is the
    file's path in the report folder)."""
    tables = report_tables(d)
    files = {t.filename: table_csv(t) for t in tables}
    if INDEX_NAME in files:
        raise ValueError(f"a table may not be named {INDEX_NAME!r}")
    files[INDEX_NAME] = table_csv(index_table(tables, also))
    return files


def write_tables(d: Disclosure, folder: Path) -> list[Path]:
    """Write `<folder>/<stem>.csv` for every table, and `index.csv`; returns their paths.

    Every file is made in memory first, so an error leaves the folder as it was; each file is
    then replaced atomically. Other files in `folder` are left alone.
    """
    folder = Path(folder)
    files = render_tables(d)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = folder / name
        write_atomic(path, data)
        paths.append(path)
    return paths
