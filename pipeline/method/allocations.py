"""Scheduler jobs → allocations per host and UTC day, with phase, model and team."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl

from pipeline.config import Config
from pipeline.method.phases import classify
from pipeline.warehouse import frame, insert_frame, run, transaction

COLUMNS = [
    "day",
    "job_key",
    "job_id",
    "site",
    "host",
    "gpus_on_host",
    "start_utc",
    "end_utc",
    "job_name",
    "user_name",
    "account",
    "partition",
    "state",
    "phase",
    "model",
    "team",
    "phase_rule",
]


def allocation_frame(
    jobs: pl.DataFrame, hosts: pl.DataFrame, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    """One row per job × host × UTC day inside [start, end).

    A job's GPUs are spread evenly over its nodes (sacct's AllocTRES gives the total); a job with
    no GPU count holds whole nodes. A running job (no end) holds its nodes to the window's end.
    Hosts not in the inventory are skipped (their telemetry cannot be priced either).
    """
    if jobs.height == 0:
        return pl.DataFrame(schema=_schema())
    labels = [
        classify(r, cfg.phase_rules)
        for r in jobs.select("job_name", "account", "partition", "user_name", "comment").iter_rows(
            named=True
        )
    ]
    jobs = jobs.with_columns(
        phase=pl.Series([c.phase for c in labels], dtype=pl.String),
        model=pl.Series([c.model for c in labels], dtype=pl.String),
        team=pl.Series([c.team for c in labels], dtype=pl.String),
        phase_rule=pl.Series([c.rule for c in labels], dtype=pl.String),
        n_hosts=pl.col("hosts").list.len(),
        end_known=pl.col("end_utc").is_not_null(),
    )
    per_host = (
        jobs.explode("hosts")
        .rename({"hosts": "host"})
        .join(hosts.rename({"gpus": "host_gpus"}), on="host", how="inner")
        .with_columns(
            gpus_on_host=pl.when(pl.col("gpus").is_null())
            .then(pl.col("host_gpus").cast(pl.Float64))
            .otherwise(pl.min_horizontal(pl.col("gpus") / pl.col("n_hosts"), pl.col("host_gpus"))),
            start_utc=pl.max_horizontal(pl.col("start_utc"), pl.lit(start)),
            end_utc=pl.min_horizontal(pl.col("end_utc").fill_null(pl.lit(end)), pl.lit(end)),
        )
        .filter((pl.col("end_utc") > pl.col("start_utc")) & (pl.col("gpus_on_host") > 0))
    )
    # the same job may sit in two sacct exports (once running, once finished): keep the row
    # with a known end, then the latest file
    site_of_job = per_host.group_by("source_path", "line").agg(
        pl.col("site").min().alias("job_site")
    )
    per_host = per_host.join(site_of_job, on=["source_path", "line"]).with_columns(
        job_key=pl.col("job_site") + "/" + pl.col("job_id")
    )
    best = (
        per_host.select("job_key", "source_path", "line", "end_known")
        .unique()
        .sort(["job_key", "end_known", "source_path", "line"], descending=[False, True, True, True])
        .unique(subset="job_key", keep="first", maintain_order=True)
        .select("job_key", "source_path", "line")
    )
    per_host = per_host.join(best, on=["job_key", "source_path", "line"], how="semi")
    days = per_host.with_columns(
        day=pl.date_ranges(
            pl.col("start_utc").dt.date(),
            (pl.col("end_utc") - timedelta(microseconds=1)).dt.date(),
        )
    ).explode("day")
    day_start = pl.col("day").cast(pl.Datetime("us"))
    out = days.with_columns(
        start_utc=pl.max_horizontal(pl.col("start_utc"), day_start),
        end_utc=pl.min_horizontal(pl.col("end_utc"), day_start + pl.duration(days=1)),
    ).filter(pl.col("end_utc") > pl.col("start_utc"))
    return out.select(COLUMNS).cast(_schema())


def _schema() -> dict[str, pl.DataType]:
    s: dict[str, pl.DataType] = {c: pl.String() for c in COLUMNS}
    s |= {
        "day": pl.Date(),
        "gpus_on_host": pl.Float64(),
        "start_utc": pl.Datetime("us"),
        "end_utc": pl.Datetime("us"),
    }
    return s


def build_job_allocations(
    con: duckdb.DuckDBPyConnection, cfg: Config, start: datetime, end: datetime
) -> int:
    window = {"start": start, "end": end}
    jobs = frame(con, "select_slurm_jobs_window", window)
    hosts = frame(con, "select_hosts")
    alloc = allocation_frame(jobs, hosts, cfg, start, end)
    with transaction(con):
        run(con, "delete_job_allocations_window", window)
        insert_frame(con, "job_allocations", alloc)
    return alloc.height
