"""The three kinds of run, by the assets they select: ingest (unpartitioned), the daily data and
the monthly report. Dagster cannot mix daily and monthly partitions in one run."""

INGEST_ASSETS = ["inventory", "landing_files"]
DATA_ASSETS = [
    "gpu_energy_intervals",
    "job_allocations",
    "gpu_energy_attributed",
    "footprint_hourly",
    "daily_summary",
    "cost_attributed",
]
REPORT_ASSETS = ["disclosure_report", "report_delivery"]
