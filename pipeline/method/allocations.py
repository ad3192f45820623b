"""Scheduler jobs, Kubernetes pods and telemetry-labelled workloads → allocations per host and UTC
day, with phase, model and team (job_allocations).

Three sources, one row per job × host × UTC day:

- sacct jobs (raw_slurm_jobs): job_id as sacct prints it; GPUs spread evenly over the job's nodes;
  a job with no GPU count holds its whole nodes.
- Kubernetes pods (raw_k8s_pods, sql/method/select_k8s_pods_window.sql): job_id =
  `<namespace>/<pod>` (the spelling the telemetry's `workload` label uses), host = its node,
  gpus_on_host = its GPU count (capped at the node's GPUs), job_name = the pod, account = the
  namespace, partition NULL, state = the pod phase. Pending pods and pods holding no GPUs make no
  rows (a pod never holds a whole node by default). Of several inventory snapshots of one pod, the
  one with an end wins; a pod seen running holds its node until the next pod of the same name on the
  site starts, else to the window's end. A pod's phase, model and team labels are those of its
  name's latest incarnation on the site, so one job_key has one classification in every window.
- Workloads named only by the telemetry (sql/method/select_labelled_workloads_window.sql): a
  (host, workload) label in raw_gpu_samples that no sacct job or pod allocates on that host gets
  an allocation from its first to its last labelled sample there, gpus_on_host = the distinct GPUs
  that carried the label; job_name = the part after '/', account = the part before (a label
  without '/', a Slurm job id, is its own job_name). Its phase_rule is `telemetry-label:` + the
  rule that classified it. Span, GPU count and "allocated" are judged over all ingested
  telemetry and scheduler records, not only the window's, so a daily run and a range run give the
  same rows (a label crossing midnight is not cut into two spans).

Phase, model and team come from pipeline/method/phases.py (explicit pod labels or sacct Comment
tags first, then the config's ordered rules). A job_key has one classification in a window: a
telemetry-labelled allocation whose job_key a sacct job or pod also has in the window takes
theirs, so summaries never split one job over two phases.
"""

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


TELEMETRY_RULE = "telemetry-label:"


def _classified(rows: pl.DataFrame, cfg: Config, fields: list[str]) -> pl.DataFrame:
    """`rows` with phase, model, team and phase_rule from the fields classify() looks at."""
    labels = [classify(r, cfg.phase_rules) for r in rows.select(fields).iter_rows(named=True)]
    return rows.with_columns(
        phase=pl.Series([c.phase for c in labels], dtype=pl.String),
        model=pl.Series([c.model for c in labels], dtype=pl.String),
        team=pl.Series([c.team for c in labels], dtype=pl.String),
        phase_rule=pl.Series([c.rule for c in labels], dtype=pl.String),
    )


def _by_day(per_host: pl.DataFrame) -> pl.DataFrame:
    """Rows already clipped to the window → one row per UTC day they touch, clipped to it."""
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


def _on_hosts(
    rows: pl.DataFrame, hosts: pl.DataFrame, start: datetime, end: datetime
) -> pl.DataFrame:
    """Rows with `host`, `gpus`, `start_utc`, `end_utc` (NULL: running) joined to the inventory
    (site, GPUs capped at the host's), clipped to [start, end); empty spans and no GPUs dropped."""
    return (
        rows.join(hosts.rename({"gpus": "host_gpus"}), on="host", how="inner")
        .with_columns(
            gpus_on_host=pl.min_horizontal(
                pl.col("gpus").cast(pl.Float64), pl.col("host_gpus").cast(pl.Float64)
            ),
            start_utc=pl.max_horizontal(pl.col("start_utc"), pl.lit(start)),
            end_utc=pl.min_horizontal(pl.col("end_utc").fill_null(pl.lit(end)), pl.lit(end)),
        )
        .filter((pl.col("end_utc") > pl.col("start_utc")) & (pl.col("gpus_on_host") > 0))
    )


def pod_allocation_frame(
    pods: pl.DataFrame, hosts: pl.DataFrame, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    """Pods (sql/method/select_k8s_pods_window.sql) → one row per pod × UTC day in [start, end)."""
    if pods.height == 0:
        return pl.DataFrame(schema=_schema())
    pods = pods.with_columns(
        job_name=pl.col("pod"),
        account=pl.col("namespace"),
        partition=pl.lit(None, dtype=pl.String),
        user_name=pl.lit(None, dtype=pl.String),
        comment=pl.lit(None, dtype=pl.String),
        phase=pl.col("label_phase"),
        model=pl.col("label_model"),
        team=pl.col("label_team"),
    )
    fields = ["job_name", "account", "namespace", "partition", "user_name", "comment"]
    pods = _classified(pods, cfg, [*fields, "phase", "model", "team"])
    per_host = _on_hosts(pods.rename({"node": "host"}), hosts, start, end).with_columns(
        job_id=pl.col("namespace") + "/" + pl.col("pod"),
        state=pl.col("pod_phase"),
    )
    return _by_day(per_host.with_columns(job_key=pl.col("site") + "/" + pl.col("job_id")))


def labelled_allocation_frame(
    workloads: pl.DataFrame, hosts: pl.DataFrame, cfg: Config, start: datetime, end: datetime
) -> pl.DataFrame:
    """Telemetry-labelled workloads (sql/method/select_labelled_workloads_window.sql) → one row per
    host × workload × UTC day inside [start, end)."""
    if workloads.height == 0:
        return pl.DataFrame(schema=_schema())
    has_slash = pl.col("workload").str.contains("/", literal=True)
    workloads = workloads.with_columns(
        job_id=pl.col("workload"),
        job_name=pl.when(has_slash)
        .then(pl.col("workload").str.splitn("/", 2).struct.field("field_1"))
        .otherwise(pl.col("workload")),
        account=pl.when(has_slash).then(
            pl.col("workload").str.splitn("/", 2).struct.field("field_0")
        ),
        partition=pl.lit(None, dtype=pl.String),
        user_name=pl.lit(None, dtype=pl.String),
        comment=pl.lit(None, dtype=pl.String),
        state=pl.lit(None, dtype=pl.String),
    ).with_columns(namespace=pl.col("account"))
    fields = ["job_name", "account", "namespace", "partition", "user_name", "comment"]
    workloads = _classified(workloads, cfg, fields).with_columns(
        phase_rule=pl.lit(TELEMETRY_RULE) + pl.col("phase_rule")
    )
    per_host = _on_hosts(workloads, hosts, start, end)
    return _by_day(per_host.with_columns(job_key=pl.col("site") + "/" + pl.col("job_id")))


def _one_label_per_job(alloc: pl.DataFrame) -> pl.DataFrame:
    """Telemetry-labelled rows take the classification of a scheduler row with their job_key."""
    synthetic = pl.col("phase_rule").str.starts_with(TELEMETRY_RULE)
    scheduled = (
        alloc.filter(~synthetic)
        .sort("job_key", "day", "start_utc", "host")
        .unique(subset="job_key", keep="first", maintain_order=True)
        .select("job_key", s_phase="phase", s_model="model", s_team="team", s_rule="phase_rule")
    )
    if scheduled.height == 0:
        return alloc
    joined = alloc.join(scheduled, on="job_key", how="left", maintain_order="left")
    take = synthetic & pl.col("s_rule").is_not_null()
    return joined.with_columns(
        phase=pl.when(take).then(pl.col("s_phase")).otherwise(pl.col("phase")),
        model=pl.when(take).then(pl.col("s_model")).otherwise(pl.col("model")),
        team=pl.when(take).then(pl.col("s_team")).otherwise(pl.col("team")),
        phase_rule=pl.when(take)
        .then(pl.lit(TELEMETRY_RULE) + pl.col("s_rule"))
        .otherwise(pl.col("phase_rule")),
    ).select(COLUMNS)


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
    jobs = _classified(
        jobs, cfg, ["job_name", "account", "partition", "user_name", "comment"]
    ).with_columns(
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
    return _by_day(per_host)


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
    hosts = frame(con, "select_hosts")
    alloc = pl.concat(
        [
            allocation_frame(
                frame(con, "select_slurm_jobs_window", window), hosts, cfg, start, end
            ),
            pod_allocation_frame(
                frame(con, "select_k8s_pods_window", window), hosts, cfg, start, end
            ),
            labelled_allocation_frame(
                frame(con, "select_labelled_workloads_window", window), hosts, cfg, start, end
            ),
        ]
    )
    alloc = _one_label_per_job(alloc)
    with transaction(con):
        run(con, "delete_job_allocations_window", window)
        insert_frame(con, "job_allocations", alloc)
    return alloc.height
