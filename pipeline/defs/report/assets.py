"""The monthly disclosure report (month to date while the month runs)."""

from datetime import datetime, timedelta

import dagster as dg
import polars as pl

from pipeline.defs import metadata as md
from pipeline.defs.resources import WattprintResource
from pipeline.defs.window import window
from pipeline.disclosure.model import Disclosure
from pipeline.reporting import report_period

# the report's headline totals shown on the materialisation, keyed with their units
_HEADLINE = {
    "facility_energy_kwh": "energy_kwh",
    "it_energy_kwh": "it_energy_kwh",
    "gpu_energy_kwh": "gpu_energy_kwh",
    "gpu_hours": "gpu_hours",
    "co2e_kg_location": "co2e_kg_location",
    "co2e_kg_market": "co2e_kg_market",
    "water_l": "water_l",
    "embodied_kg": "embodied_kg",
    "cost_usd": "cost_usd",
}


# group `report`: monthly partitions from the config's start date (pipeline/definitions.py)
@dg.asset(
    deps=["daily_summary", "cost_attributed", "landing_files"],
    kinds={"pdf", "html", "json"},
    group_name="report",
)
def disclosure_report(
    context: dg.AssetExecutionContext, wattprint: WattprintResource
) -> dg.MaterializeResult:
    """The month's disclosure: PDF for management, HTML, and disclosure.json with every number."""
    start, end = window(context)
    cfg = wattprint.config()
    with wattprint.connect() as con:
        last_day = end.date() - timedelta(days=1)
        paths = report_period(con, cfg, start.date(), last_day, start.strftime("%Y-%m"))
        # the days the report covers (a month in progress: to date)
        d = Disclosure.model_validate_json(paths["json"].read_bytes())
        files = md.input_files(
            con,
            "disclosure_report",
            datetime.combine(d.period.start, datetime.min.time()),
            datetime.combine(d.period.end + timedelta(days=1), datetime.min.time()),
            cfg.warehouse_path,
        )
    totals = d.totals.model_dump()
    checks = pl.DataFrame(
        [(c.name, c.passed, c.blocking, c.detail) for c in d.checks],
        schema=["check", "passed", "blocking", "detail"],
        orient="row",
    )
    return dg.MaterializeResult(
        metadata={
            **{k: dg.MetadataValue.path(str(v)) for k, v in paths.items()},
            "period_start": d.period.start.isoformat(),
            "period_end": d.period.end.isoformat(),
            "days": d.period.days,
            **{key: float(totals[field]) for key, field in _HEADLINE.items()},
            "measured_share": d.data_quality.measured_share,
            "checks": md.md_table(checks),
            # files listed in the report's input manifest (every file ingested so far)
            "manifest_files": len(d.inputs),
            **files,
        }
    )
