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
- the model name is repeated on every row of `per_request`, `per_1k_output_tokens` and
  `efficiency` (printed on a model's first row only); the boundary column reads `accelerator` /
  `full_boundary` (printed "full boundary");
- the key-value tables (`data_quality`, `scope2`) are one row with a column per printed line;
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
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.atomic import write_atomic
from pipeline.disclosure.model import HEADLINE_METRICS, Disclosure, Quantiles, Totals
from pipeline.disclosure.model_figures import ModelFigures
from pipeline.report.charts import ordered_phases
from pipeline.report.tables_coverage import coverage_gaps, coverage_sites, coverage_unknown_hosts

Cell = str | int | float | bool | date | datetime | None

INDEX_NAME = "index.csv"
INDEX_COLUMNS = ("stem", "title", "rows", "columns")

# The uncertainty table prints these metrics only (disclosure.json carries all of them).
UNCERTAINTY_METRICS: tuple[str, ...] = ("energy_kwh", "co2e_kg_location", "co2e_kg_market")

# First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_STEM = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Table:
    """One printed table: its CSV file stem, its title, column names with units, and rows."""

    stem: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...] = ()

    def __post_init__(self) -> None:
        if not _STEM.fullmatch(self.stem):
            raise ValueError(f"table stem {self.stem!r}: expected lower-case snake_case")
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"table {self.stem!r}: duplicate column names in {self.columns}")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.stem!r}, row {i}: {len(row)} cells, expected "
                    f"{len(self.columns)} ({', '.join(self.columns)})"
                )

    @property
    def filename(self) -> str:
        return f"{self.stem}.csv"


def serving_models(d: Disclosure) -> list[ModelFigures]:
    """Models that served requests or used inference energy, the rows of the serving tables.

    `render.render_html` uses this function too.
    """
    return [m for m in d.models if m.inference.requests > 0 or m.inference.energy_kwh > 0]


def _pick(obj: object, names: Iterable[str]) -> tuple[Cell, ...]:
    return tuple(getattr(obj, name) for name in names)


# ----------------------------------------------------------------------------- the tables
# One function per table, in the order the report prints them. Each returns (title, columns,
# rows); the row selection mirrors the template's loops and conditions.

_Built = tuple[str, tuple[str, ...], list[tuple[Cell, ...]]]


def _metadata(d: Disclosure) -> _Built:
    cols = (
        "title",
        "organisation",
        "period_start",
        "period_end",
        "period_days",
        "generated_at",
        "code_version",
        "config_sha256",
        "schema_version",
        "input_files",
    )
    p = d.period
    row = (
        d.title,
        d.organisation,
        p.start,
        p.end,
        p.days,
        d.generated_at,
        d.code_version,
        d.config_sha256,
        d.schema_version,
        len(d.inputs),
    )
    return "Report: organisation, period, code version and config hash", cols, [row]


def _totals(d: Disclosure) -> _Built:
    cols = tuple(Totals.model_fields)
    return "Headline figures (totals of the period)", cols, [_pick(d.totals, cols)]


def _comparison(d: Disclosure) -> _Built:
    cols = ("metric", "current", "previous", "change_pct")
    rows = []
    cmp = d.previous
    if cmp is not None and cmp.totals is not None:
        rows = [
            (key, getattr(d.totals, key), getattr(cmp.totals, key), cmp.change_pct.get(key))
            for key in HEADLINE_METRICS
        ]
    return "Change against the previous period (unit in the metric name)", cols, rows


_PHASE_COLS = (
    "energy_kwh",
    "it_energy_kwh",
    "gpu_hours",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "cost_usd",
    "share_pct",
)


def _phases(d: Disclosure) -> _Built:
    rows = [(ph, *_pick(d.phases[ph], _PHASE_COLS)) for ph in ordered_phases(d.phases)]
    return "Training vs inference: phases, own boundary", ("phase", *_PHASE_COLS), rows


_FULL_COLS = (
    "energy_kwh",
    "gpu_hours",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
    "share_pct",
)


def _phases_full_boundary(d: Disclosure) -> _Built:
    rows = [
        (ph, *_pick(f, _FULL_COLS))
        for ph in ordered_phases(d.phases)
        if (f := d.phases[ph].full_boundary) is not None
    ]
    title = "Full boundary: idle capacity spread over the phases"
    return title, ("phase", *_FULL_COLS), rows


def _daily_phase_energy(d: Disclosure) -> _Built:
    rows = [(r.day, r.phase, r.energy_kwh) for r in d.daily]
    title = "Daily facility energy by phase (the data of the daily chart)"
    return title, ("day", "phase", "energy_kwh"), rows


_TRAINING_COLS = (
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "embodied_kg",
    "cost_usd",
    "estimated_share",
)


def _models_training(d: Disclosure) -> _Built:
    rows = [(m.name, *_pick(m.training, _TRAINING_COLS)) for m in d.models]
    return "Models: training and fine-tuning", ("model", *_TRAINING_COLS), rows


_INFERENCE_COLS = (
    "requests",
    "output_tokens",
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "water_l",
    "cost_usd",
    "wh_per_request",
    "wh_per_1k_output_tokens",
)


def _models_inference(d: Disclosure) -> _Built:
    # The template prints every model here, but only when at least one model served.
    models = d.models if serving_models(d) else []
    rows = [(m.name, *_pick(m.inference, _INFERENCE_COLS)) for m in models]
    return "Models: inference (serving)", ("model", *_INFERENCE_COLS), rows


_UNIT_METRICS = ("wh", "gco2e_location", "gco2e_market", "water_ml", "cost_usd")


def _functional_units(d: Disclosure, per: str) -> list[tuple[Cell, ...]]:
    cols = [f"{metric}_{per}" for metric in _UNIT_METRICS]
    return [
        (m.name, boundary, *_pick(getattr(m.units, boundary), cols))
        for m in serving_models(d)
        if m.units is not None
        for boundary in ("accelerator", "full_boundary")
    ]


def _per_request(d: Disclosure) -> _Built:
    cols = ("model", "boundary", *(f"{metric}_per_request" for metric in _UNIT_METRICS))
    title = "Per request: accelerator-only and full boundary"
    return title, cols, _functional_units(d, "per_request")


def _per_1k_output_tokens(d: Disclosure) -> _Built:
    per = "per_1k_output_tokens"
    cols = ("model", "boundary", *(f"{metric}_{per}" for metric in _UNIT_METRICS))
    title = "Per 1,000 output tokens: accelerator-only and full boundary"
    return title, cols, _functional_units(d, per)


_BREAKDOWN_FIELDS = ("accelerator_wh", "host_wh", "idle_wh", "facility_overhead_wh")


def _per_request_breakdown(d: Disclosure) -> _Built:
    # disclosure.json: units.breakdown_per_request.<field>; the column says "per request".
    cols = (
        "model",
        *(f"{name}_per_request" for name in _BREAKDOWN_FIELDS),
        "sci_gco2e_per_request",
    )
    rows = [
        (m.name, *_pick(b, _BREAKDOWN_FIELDS), m.units.sci_gco2e_per_request)
        for m in serving_models(d)
        if m.units is not None and (b := m.units.breakdown_per_request) is not None
    ]
    return "Per request, full boundary: where the energy went, and SCI", cols, rows


_CROSSOVER_COLS = (
    "reached",
    "date",
    "projected_days",
    "lifecycle_training_kwh",
    "lifecycle_inference_kwh",
    "inference_share_pct",
    "training_wh_per_request_amortised",
)


def _crossover(d: Disclosure) -> _Built:
    rows = [(m.name, *_pick(m.crossover, _CROSSOVER_COLS)) for m in d.models]
    return "Training-inference crossover (lifecycle)", ("model", *_CROSSOVER_COLS), rows


def _crossover_cumulative(d: Disclosure) -> _Built:
    rows = [
        (m.name, p.day, p.training_kwh, p.inference_kwh) for m in d.models for p in m.cumulative
    ]
    title = "Lifecycle cumulative energy by model (the data of the crossover charts)"
    return title, ("model", "day", "training_kwh", "inference_kwh"), rows


_EFFICIENCY_COLS = (
    "basis",
    "previous_wh_per_request",
    "current_wh_per_request",
    "previous_inference_kwh",
    "current_inference_kwh",
    "wh_per_request_change_pct",
    "inference_kwh_per_day_change_pct",
    "rebound",
)


def _efficiency(d: Disclosure) -> _Built:
    rows = [(m.name, *_pick(e, _EFFICIENCY_COLS)) for m in serving_models(d) for e in m.efficiency]
    return "Efficiency and rebound", ("model", *_EFFICIENCY_COLS), rows


_SITE_COLS = (
    "site",
    "grid_zone",
    "pue",
    "mean_gco2e_per_kwh",
    "gpu_hours",
    "energy_kwh",
    "co2e_kg_location",
    "co2e_kg_market",
    "cfe_pct",
    "hourly_matched_kwh",
    "annual_volume_kwh",
    "annual_matched_kwh",
)


def _sites(d: Disclosure) -> _Built:
    return "Sites and grids", _SITE_COLS, [_pick(s, _SITE_COLS) for s in d.sites]


_TEAM_COLS = ("team", "gpu_hours", "energy_kwh", "co2e_kg_location")


def _teams(d: Disclosure) -> _Built:
    return "Teams", _TEAM_COLS, [_pick(t, _TEAM_COLS) for t in d.teams]


_QUANTILE_PARTS = ("central", "p5", "p95")  # the report prints central and the P5-P95 band


def uncertainty_groups(d: Disclosure) -> list[tuple[str, dict[str, Quantiles]]]:
    """The uncertainty table's rows: (group, {metric: quantiles}) in print order.

    Total first, then the phases in `ordered_phases` order, then the models' groups sorted, then
    any other group sorted; only the metrics in UNCERTAINTY_METRICS. The same order as
    `render.uncertainty_rows`, which prints labels instead of the group keys.
    """
    if d.uncertainty is None:
        return []
    by_group: dict[str, dict[str, Quantiles]] = {}
    for q in d.uncertainty.quantiles:
        if q.metric in UNCERTAINTY_METRICS:
            by_group.setdefault(q.group, {})[q.metric] = q
    order = ["total", *(f"phase:{p}" for p in ordered_phases(d.phases))]
    order += sorted(g for g in by_group if g.startswith("model:"))
    order += sorted(g for g in by_group if g not in order)
    return [(g, by_group[g]) for g in order if g in by_group]


def _uncertainty(d: Disclosure) -> _Built:
    cols = ("group", *(f"{m}_{part}" for m in UNCERTAINTY_METRICS for part in _QUANTILE_PARTS))
    rows = [
        (
            group,
            *(
                getattr(qs[m], part) if m in qs else None
                for m in UNCERTAINTY_METRICS
                for part in _QUANTILE_PARTS
            ),
        )
        for group, qs in uncertainty_groups(d)
    ]
    title = "Uncertainty: Monte Carlo central figure and 5th-95th percentiles"
    return title, cols, rows


_QUALITY_COLS = (  # in the order of the printed lines
    "measured_share",
    "quarantined_rows",
    "grid_fallback_hours",
    "grid_conflicts",
    "gpu_sample_conflicts",
    "unclassified_jobs",
    "scheduler_estimated_share",
    "host_measured_share",
    "grid_hourly_share",
    "unattributed_cost_usd",
    "files",
)


def _data_quality(d: Disclosure) -> _Built:
    title = "Data quality (shares 0-1)"
    return title, _QUALITY_COLS, [_pick(d.data_quality, _QUALITY_COLS)]


def _checks(d: Disclosure) -> _Built:
    rows = [(c.name, c.passed, c.blocking, c.detail) for c in d.checks]
    return "Checks", ("check", "passed", "blocking", "detail"), rows


def _factors(d: Disclosure) -> _Built:
    rows = [(f.name, f.value, f.unit, f.source) for f in d.factors]
    return "Methodology: factors and defaults used", ("factor", "value", "unit", "source"), rows


_AI_ACT_COLS = ("model", "training_gpu_hours", "training_days", "energy_kwh", "energy_basis")


def _ai_act(d: Disclosure) -> _Built:
    rows = [_pick(a, _AI_ACT_COLS) for a in d.regulatory.ai_act] if d.regulatory is not None else []
    return "EU AI Act, Annex XI 1.2: training compute, time and energy", _AI_ACT_COLS, rows


_SCOPE2_COLS = (
    "scope2_location_kg",
    "scope2_market_kg",
    "scope2_instrument_kwh",
    "scope2_residual_factor_note",
)


def _scope2(d: Disclosure) -> _Built:
    rows = [_pick(d.regulatory, _SCOPE2_COLS)] if d.regulatory is not None else []
    return "GHG Protocol Scope 2: dual reporting (kg CO2e)", _SCOPE2_COLS, rows


def _sci(d: Disclosure) -> _Built:
    rows = []
    if d.regulatory is not None:
        rows = [
            (m.name, m.units.sci_gco2e_per_request if m.units is not None else None)
            for m in serving_models(d)
        ]
    return "Software Carbon Intensity (SCI) per model", ("model", "sci_gco2e_per_request"), rows


_INPUT_COLS = ("path", "format", "rows", "sha256")


def _inputs(d: Disclosure) -> _Built:
    return "Input manifest", _INPUT_COLS, [_pick(f, _INPUT_COLS) for f in d.inputs]


TABLES: tuple[tuple[str, Callable[[Disclosure], _Built]], ...] = (
    ("metadata", _metadata),
    ("totals", _totals),
    ("comparison", _comparison),
    ("phases", _phases),
    ("phases_full_boundary", _phases_full_boundary),
    ("daily_phase_energy", _daily_phase_energy),
    ("models_training", _models_training),
    ("models_inference", _models_inference),
    ("per_request", _per_request),
    ("per_1k_output_tokens", _per_1k_output_tokens),
    ("per_request_breakdown", _per_request_breakdown),
    ("crossover", _crossover),
    ("crossover_cumulative", _crossover_cumulative),
    ("efficiency", _efficiency),
    ("sites", _sites),
    ("teams", _teams),
    ("uncertainty", _uncertainty),
    ("data_quality", _data_quality),
    ("coverage", coverage_sites),
    ("coverage_gaps", coverage_gaps),
    ("coverage_unknown_hosts", coverage_unknown_hosts),
    ("checks", _checks),
    ("factors", _factors),
    ("ai_act", _ai_act),
    ("scope2", _scope2),
    ("sci", _sci),
    ("inputs", _inputs),
)
STEMS: tuple[str, ...] = tuple(stem for stem, _ in TABLES)


def report_tables(d: Disclosure) -> list[Table]:
    """Every table of the report, in print order; the same stems for every Disclosure."""
    out = []
    for stem, build in TABLES:
        title, columns, rows = build(d)
        out.append(Table(stem, title, tuple(columns), tuple(tuple(r) for r in rows)))
    return out


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


def index_table(tables: Iterable[Table]) -> Table:
    rows = tuple((t.stem, t.title, len(t.rows), len(t.columns)) for t in tables)
    return Table("index", "The tables in this folder", INDEX_COLUMNS, rows)


def render_tables(d: Disclosure) -> dict[str, bytes]:
    """File name -> CSV bytes for every table and `index.csv`, all made in memory."""
    tables = report_tables(d)
    files = {t.filename: table_csv(t) for t in tables}
    if INDEX_NAME in files:
        raise ValueError(f"a table may not be named {INDEX_NAME!r}")
    files[INDEX_NAME] = table_csv(index_table(tables))
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
