"""The monthly disclosure report (month to date while the month runs)."""

from datetime import timedelta

import dagster as dg

from pipeline.defs.partitions import monthly, window
from pipeline.defs.resources import WattprintResource
from pipeline.reporting import report_period


@dg.asset(
    deps=["daily_summary", "cost_attributed", "landing_files"],
    partitions_def=monthly,
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
    return dg.MaterializeResult(
        metadata={k: dg.MetadataValue.path(str(v)) for k, v in paths.items()}
    )
