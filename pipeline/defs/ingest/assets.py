"""Landing files and inventory into DuckDB."""

import dagster as dg

from pipeline.defs.metadata import md_escape
from pipeline.defs.resources import WattprintResource
from pipeline.ingest import FileOutcome, ingest_landing
from pipeline.inventory import load_inventory


@dg.asset(kinds={"duckdb"}, group_name="ingest")
def inventory(
    context: dg.AssetExecutionContext, wattprint: WattprintResource
) -> dg.MaterializeResult:
    """Sites, hosts and GPU models from the config file, as tables the method joins against."""
    cfg = wattprint.config()
    with wattprint.connect() as con:
        counts = load_inventory(con, cfg)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": counts["hosts"],
            "sites": counts["sites"],
            "config_sha256": cfg.config_sha256,
        }
    )


@dg.asset(kinds={"duckdb"}, group_name="ingest")
def landing_files(
    context: dg.AssetExecutionContext, wattprint: WattprintResource
) -> dg.MaterializeResult:
    """Every landing file read into its raw table; bad rows quarantined; unchanged files skipped."""

    def log(f: FileOutcome) -> None:
        # a file that cannot be read or had rows quarantined is a warning: `wattprint run` shows it
        bad = f.status == "unreadable" or f.rows_quarantined
        (context.log.warning if bad else context.log.info)(
            f"{f.path}: {f.status} {f.format} accepted {f.rows_accepted} "
            f"quarantined {f.rows_quarantined} {f.message}"
        )

    with wattprint.connect() as con:
        summary = ingest_landing(con, wattprint.config(), on_file=log)
    table = "\n".join(
        f"| {md_escape(f.path)} | {f.format} | {f.status} | {f.rows_accepted} | "
        f"{f.rows_quarantined} |"
        for f in summary.files
        if f.status != "unchanged"
    )
    return dg.MaterializeResult(
        metadata={
            "files": len(summary.files),
            "files_ingested": summary.count("ingested"),
            "files_unchanged": summary.count("unchanged"),
            "files_unreadable": summary.count("unreadable"),
            "rows_accepted": summary.rows_accepted,
            "rows_quarantined": summary.rows_quarantined,
            # the UTC days the ingested or replaced files can change (old rows and new): what
            # the late-data sensor recomputes (pipeline/defs/automation.py)
            "days_touched": dg.MetadataValue.json([d.isoformat() for d in summary.days_touched]),
            "changed_files": dg.MetadataValue.md(
                "| file | format | status | accepted | quarantined |\n|---|---|---|---|---|\n"
                + table
            ),
        }
    )
