"""Allocations from Kubernetes pods and from workload labels on GPU telemetry, worked out by hand.

A pod becomes rows like a sacct job: job_id '<namespace>/<pod>', host = its node, gpus_on_host =
its GPU count, clipped to UTC days. A (host, workload) label in raw_gpu_samples that no sacct job
or pod allocates on that host becomes an allocation from its first to its last labelled sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import Config, PhaseRule
from pipeline.ingest import ingest_landing
from pipeline.inventory import load_inventory
from pipeline.method.allocations import build_job_allocations
from pipeline.method.phases import Classification, classify
from pipeline.warehouse import connect, insert_frame
from tests.frames import schema_of
from tests.readers.test_readers_k8s_pods import KUBECTL_PODS

D1 = datetime(2026, 1, 1)
D2 = D1 + timedelta(days=1)
D3 = D1 + timedelta(days=2)

POD_COLUMNS = [
    "source_path",
    "line",
    "namespace",
    "pod",
    "uid",
    "node",
    "gpus",
    "start_utc",
    "end_utc",
    "pod_phase",
    "labels",
    "phase",
    "model",
    "team",
]
POD_SCHEMA = schema_of("raw_k8s_pods", POD_COLUMNS)
SAMPLE_SCHEMA = schema_of(
    "raw_gpu_samples", ["source_path", "line", "host", "gpu_index", "ts_utc", "power_w", "workload"]
)
JOB_SCHEMA = schema_of(
    "raw_slurm_jobs",
    ["source_path", "line", "job_id", "step", "job_name", "start_utc", "end_utc", "hosts", "gpus"],
)

RULES = [
    {
        "name": "ft",
        "field": "job_name",
        "pattern": r"^ft-(?P<model>.+)-\w+-\w{5}$",
        "phase": "fine_tuning",
        "model": "{model}",
    },
    {
        "name": "research-ns",
        "field": "namespace",
        "pattern": r"^research$",
        "phase": "development",
        "team": "research",
    },
    {"name": "batch-account", "field": "account", "pattern": r"^batch$", "phase": "evaluation"},
]


def make_config(tmp_path: Path) -> Config:
    return Config.model_validate(
        {
            "start_date": "2026-01-01",
            "paths": {"landing": str(tmp_path / "landing"), "warehouse": str(tmp_path / "w.db")},
            "sites": {
                "s1": {"grid_zone": "Z1", "timezone": "UTC", "annual_gco2e_per_kwh": 300.0},
                "s2": {"grid_zone": "Z2", "timezone": "UTC", "annual_gco2e_per_kwh": 30.0},
            },
            "gpu_models": {"h100": {"tdp_w": 700.0, "idle_w": 70.0}},
            "host_groups": [
                {"hosts": "gpu-[01-03]", "site": "s1", "gpu_model": "h100", "gpus": 8},
                {"hosts": "far-01", "site": "s2", "gpu_model": "h100", "gpus": 8},
            ],
            "phase_rules": RULES,
        }
    )


@pytest.fixture
def wh(tmp_path: Path):
    cfg = make_config(tmp_path)
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        yield con, cfg


def at(hh: int, mm: int = 0, ss: int = 0, day: datetime = D1) -> datetime:
    return day + timedelta(hours=hh, minutes=mm, seconds=ss)


def pod(
    namespace: str,
    name: str,
    node: str | None,
    gpus: float,
    start: datetime | None,
    end: datetime | None = None,
    pod_phase: str = "Running",
    source: str = "k8s/a.json",
    line: int = 1,
    **labels: str,
) -> dict:
    return {
        "source_path": source,
        "line": line,
        "namespace": namespace,
        "pod": name,
        "uid": None,
        "node": node,
        "gpus": gpus,
        "start_utc": start,
        "end_utc": end,
        "pod_phase": pod_phase,
        "labels": None,
        "phase": labels.get("phase"),
        "model": labels.get("model"),
        "team": labels.get("team"),
    }


def add_pods(con, *rows: dict) -> None:
    insert_frame(con, "raw_k8s_pods", pl.DataFrame(list(rows), schema=POD_SCHEMA))


def labelled(con, host: str, gpu: int, workload: str | None, start: datetime, end: datetime):
    """Samples every 5 minutes from start to end inclusive, all carrying `workload`."""
    n = int((end - start).total_seconds() // 300)
    rows = [
        {
            "source_path": f"dcgm/{host}.prom",
            "line": i + 1,
            "host": host,
            "gpu_index": gpu,
            "ts_utc": start + timedelta(minutes=5 * i),
            "power_w": 300.0,
            "workload": workload,
        }
        for i in range(n + 1)
    ]
    insert_frame(con, "raw_gpu_samples", pl.DataFrame(rows, schema=SAMPLE_SCHEMA))


def allocations(con, columns: str = "day, job_key, host, gpus_on_host, start_utc, end_utc"):
    return con.execute(
        f"SELECT {columns} FROM job_allocations ORDER BY job_key, host, day, start_utc"
    ).fetchall()


# --- pods ---------------------------------------------------------------------------------------


def test_a_finished_pod_is_one_allocation_with_its_gpus(wh) -> None:
    con, cfg = wh
    add_pods(con, pod("research", "nb", "gpu-01", 2.0, at(10), at(13, 30), "Succeeded"))
    build_job_allocations(con, cfg, D1, D2)
    cols = "day, job_key, job_id, site, host, gpus_on_host, start_utc, end_utc, job_name, "
    cols += "user_name, account, partition, state"
    assert allocations(con, cols) == [
        (
            D1.date(),
            "s1/research/nb",  # site/job_id
            "research/nb",  # the spelling the telemetry's workload label uses
            "s1",
            "gpu-01",
            2.0,
            at(10),
            at(13, 30),
            "nb",  # job_name = the pod
            None,
            "research",  # account = the namespace
            None,  # no partition
            "Succeeded",  # state = the pod phase
        )
    ]


def test_pending_and_gpu_less_pods_hold_nothing(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        pod("batch", "unscheduled", None, 4.0, None, pod_phase="Pending", line=1),
        # bound to a node but not started yet (no startTime): nothing held yet either
        pod("batch", "binding", "gpu-01", 4.0, None, pod_phase="Pending", line=2),
        # no GPUs asked for: never the whole node (a sacct job without a count would be)
        pod("kube-system", "coredns", "gpu-01", 0.0, at(0), line=3),
        # on a node outside the inventory
        pod("ml", "elsewhere", "cpu-01", 1.0, at(0), line=4),
        # finished but no container recorded when: its span is unknown
        pod("ml", "refused", "gpu-01", 1.0, at(9), None, "Failed", line=5),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == []


def test_pod_across_midnight_is_split_at_utc_days_and_a_running_one_holds_to_window_end(
    wh,
) -> None:
    con, cfg = wh
    add_pods(
        con,
        pod("ml", "done", "gpu-01", 8.0, at(22), at(2, day=D2), "Succeeded", line=1),
        pod("ml", "running", "gpu-02", 1.0, at(23), line=2),
    )
    build_job_allocations(con, cfg, D1, D3)
    assert allocations(con) == [
        (D1.date(), "s1/ml/done", "gpu-01", 8.0, at(22), D2),
        (D2.date(), "s1/ml/done", "gpu-01", 8.0, D2, at(2, day=D2)),
        (D1.date(), "s1/ml/running", "gpu-02", 1.0, at(23), D2),
        (D2.date(), "s1/ml/running", "gpu-02", 1.0, D2, D3),  # to the window's end
    ]


def test_mig_fraction_and_a_count_beyond_the_node(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        pod("serve", "embed", "gpu-03", 5 / 7, at(6), at(7), "Succeeded", line=1),
        # a pod cannot hold more than the node's 8 GPUs
        pod("ml", "huge", "gpu-02", 16.0, at(6), at(7), "Succeeded", line=2),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [
        (D1.date(), "s1/ml/huge", "gpu-02", 8.0, at(6), at(7)),
        (D1.date(), "s1/serve/embed", "gpu-03", 5 / 7, at(6), at(7)),
    ]


def test_snapshots_of_one_pod_keep_the_finished_copy(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        # the morning export saw it running; the evening one saw it finish at 12:00
        pod("ml", "train", "gpu-01", 4.0, at(9), None, "Running", source="k8s/0800.json"),
        pod("ml", "train", "gpu-01", 4.0, at(9), at(12), "Succeeded", source="k8s/2000.json"),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [(D1.date(), "s1/ml/train", "gpu-01", 4.0, at(9), at(12))]
    # a later window does not see the stale running copy either
    build_job_allocations(con, cfg, D2, D3)
    assert allocations(con) == [(D1.date(), "s1/ml/train", "gpu-01", 4.0, at(9), at(12))]


def test_a_running_copy_ends_where_the_next_pod_of_that_name_starts(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        # vllm-0 seen running on gpu-01 from 06:00; a later export shows vllm-0 again, a new pod
        # (StatefulSet restart) on gpu-02 from 14:00: the first one was gone by then
        pod("serve", "vllm-0", "gpu-01", 1.0, at(6), source="k8s/a.json"),
        pod("serve", "vllm-0", "gpu-02", 2.0, at(14), source="k8s/b.json"),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == [
        (D1.date(), "s1/serve/vllm-0", "gpu-01", 1.0, at(6), at(14)),
        (D1.date(), "s1/serve/vllm-0", "gpu-02", 2.0, at(14), D2),
    ]


def test_phase_from_labels_then_rules_on_name_namespace_and_account(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        # explicit labels win over the research-ns rule
        pod(
            "research",
            "a",
            "gpu-01",
            1.0,
            at(1),
            at(2),
            "Succeeded",
            line=1,
            phase="training",
            model="atlas",
            team="core",
        ),
        # the research namespace rule (team from the rule)
        pod("research", "b", "gpu-01", 1.0, at(1), at(2), "Succeeded", line=2),
        # the ft rule on the pod name, with the team from a label
        pod(
            "training",
            "ft-orca-2-nlp-9kx7w",
            "gpu-01",
            1.0,
            at(1),
            at(2),
            "Succeeded",
            line=3,
            team="nlp",
        ),
        # the batch rule matches the namespace as account
        pod("batch", "eval-x", "gpu-01", 1.0, at(1), at(2), "Succeeded", line=4),
        # a label naming no known phase falls back to the rules (none match): model kept
        pod(
            "misc",
            "d",
            "gpu-01",
            1.0,
            at(1),
            at(2),
            "Succeeded",
            line=5,
            phase="pretraining",
            model="m",
        ),
        # 'Fine-Tuning' is fine_tuning
        pod("misc", "e", "gpu-01", 1.0, at(1), at(2), "Succeeded", line=6, phase="Fine-Tuning"),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con, "job_key, phase, model, team, phase_rule") == [
        ("s1/batch/eval-x", "evaluation", None, None, "rule:batch-account"),
        ("s1/misc/d", "unclassified", "m", None, "none"),
        ("s1/misc/e", "fine_tuning", None, None, "labels"),
        ("s1/research/a", "training", "atlas", "core", "labels"),
        ("s1/research/b", "development", None, "research", "rule:research-ns"),
        ("s1/training/ft-orca-2-nlp-9kx7w", "fine_tuning", "orca-2", "nlp", "rule:ft"),
    ]


def test_one_classification_per_pod_name_from_its_latest_start(wh) -> None:
    con, cfg = wh
    add_pods(
        con,
        pod(
            "serve", "vllm-0", "gpu-01", 1.0, at(1), at(2), "Succeeded", line=1, phase="evaluation"
        ),
        pod("serve", "vllm-0", "gpu-01", 1.0, at(3), at(4), "Succeeded", line=2, phase="inference"),
    )
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con, "start_utc, phase, phase_rule") == [
        (at(1), "inference", "labels"),
        (at(3), "inference", "labels"),
    ]


def test_sacct_jobs_have_no_namespace_for_rules_to_match() -> None:
    rule = PhaseRule(name="ns", field="namespace", pattern=".*", phase="inference")
    sacct_job = {"job_name": "x", "account": "a", "partition": "p", "user_name": "u"}
    assert classify(sacct_job, [rule]).rule == "rule:ns"  # '.*' matches the missing value ''
    strict = PhaseRule(name="ns", field="namespace", pattern="^serve$", phase="inference")
    assert classify(sacct_job | {"account": "serve"}, [strict]) == Classification(
        "unclassified", None, None, "none"
    )
    assert classify({"namespace": "serve"}, [strict]).phase == "inference"


def test_pod_labels_come_before_comment_tags() -> None:
    job = {"comment": "phase=training,model=a,team=t", "phase": "inference", "model": "b"}
    assert classify(job, []) == Classification("inference", "b", "t", "labels")


# --- workloads named only by the telemetry ------------------------------------------------------


def test_a_labelled_workload_without_allocation_gets_one(wh) -> None:
    con, cfg = wh
    # GPUs 0 and 1 of gpu-02 carry batch/eval-run-1 from 10:00 to 11:30; GPU 2 is unlabelled
    labelled(con, "gpu-02", 0, "batch/eval-run-1", at(10), at(11, 30))
    labelled(con, "gpu-02", 1, "batch/eval-run-1", at(10, 5), at(11, 25))
    labelled(con, "gpu-02", 2, None, at(9), at(12))
    build_job_allocations(con, cfg, D1, D2)
    cols = "day, job_key, job_id, host, gpus_on_host, start_utc, end_utc, job_name, account, "
    cols += "partition, state, phase, phase_rule"
    assert allocations(con, cols) == [
        (
            D1.date(),
            "s1/batch/eval-run-1",
            "batch/eval-run-1",
            "gpu-02",
            2.0,  # two distinct GPUs carried the label
            at(10),  # first labelled sample
            at(11, 30),  # last labelled sample
            "eval-run-1",  # after the '/'
            "batch",  # before it
            None,
            None,
            "evaluation",  # the batch-account rule
            "telemetry-label:rule:batch-account",
        )
    ]


def test_labels_of_allocated_workloads_make_nothing_new(wh) -> None:
    con, cfg = wh
    add_pods(con, pod("serve", "vllm-0", "gpu-01", 1.0, at(6), at(18), "Succeeded"))
    insert_frame(
        con,
        "raw_slurm_jobs",
        pl.DataFrame(
            [
                {
                    "source_path": "sacct/a.txt",
                    "line": 2,
                    "job_id": "4211",
                    "step": None,
                    "job_name": "train-x",
                    "start_utc": at(8),
                    "end_utc": at(9),
                    "hosts": ["gpu-02"],
                    "gpus": 8.0,
                }
            ],
            schema=JOB_SCHEMA,
        ),
    )
    labelled(con, "gpu-01", 0, "serve/vllm-0", at(6), at(18))  # the pod's own GPU
    labelled(con, "gpu-02", 3, "4211", at(8), at(9))  # the sacct job on its node
    labelled(con, "gpu-03", 5, "4211", at(8), at(8, 30))  # not one of 4211's nodes
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con, "job_key, host, gpus_on_host, start_utc, end_utc, phase_rule") == [
        ("s1/4211", "gpu-02", 8.0, at(8), at(9), "none"),
        # a Slurm id is its own job_name; the sacct job's classification is taken (same key)
        ("s1/4211", "gpu-03", 1.0, at(8), at(8, 30), "telemetry-label:none"),
        ("s1/serve/vllm-0", "gpu-01", 1.0, at(6), at(18), "none"),
    ]


def test_a_labelled_allocation_takes_the_classification_of_its_pod(wh) -> None:
    con, cfg = wh
    # the pod ran on gpu-01; telemetry of gpu-02 names it too (an incarnation the inventory
    # missed): one job_key, so one phase
    add_pods(
        con,
        pod(
            "serve",
            "vllm-0",
            "gpu-01",
            1.0,
            at(6),
            at(8),
            "Succeeded",
            phase="inference",
            model="atlas",
        ),
    )
    labelled(con, "gpu-02", 0, "serve/vllm-0", at(9), at(10))
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con, "host, start_utc, end_utc, phase, model, phase_rule") == [
        ("gpu-01", at(6), at(8), "inference", "atlas", "labels"),
        ("gpu-02", at(9), at(10), "inference", "atlas", "telemetry-label:labels"),
    ]


def test_labelled_span_is_the_same_whichever_window_computes_it(wh) -> None:
    con, cfg = wh
    # 22:00 on day 1 to 02:00 on day 2, on another site's host
    labelled(con, "far-01", 0, "research/nb-7", at(22), at(2, day=D2))
    expected = [
        (D1.date(), "s2/research/nb-7", "far-01", 1.0, at(22), D2),
        (D2.date(), "s2/research/nb-7", "far-01", 1.0, D2, at(2, day=D2)),
    ]
    build_job_allocations(con, cfg, D1, D3)
    assert allocations(con) == expected
    build_job_allocations(con, cfg, D1, D2)
    build_job_allocations(con, cfg, D2, D3)
    assert allocations(con) == expected
    assert allocations(con, "DISTINCT phase, team, phase_rule") == [
        ("development", "research", "telemetry-label:rule:research-ns")
    ]


def test_labels_outside_the_window_or_on_unknown_hosts_make_nothing(wh) -> None:
    con, cfg = wh
    labelled(con, "gpu-01", 0, "ml/old", at(1, day=D3), at(2, day=D3))
    labelled(con, "cpu-09", 0, "ml/nowhere", at(1), at(2))
    labelled(con, "gpu-01", 1, "ml/blip", at(3), at(3))  # a single sample spans no time
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con) == []


# --- end to end: a landing folder with a kubectl export -----------------------------------------


def test_pods_file_in_landing_is_ingested_and_allocated(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    landing = cfg.landing_dir / "k8s" / "cluster-a"
    landing.mkdir(parents=True)
    (landing / "pods-20260101.json").write_text(KUBECTL_PODS)
    with connect(cfg.warehouse_path) as con:
        load_inventory(con, cfg)
        summary = ingest_landing(con, cfg)
        [outcome] = summary.files
        assert (outcome.format, outcome.status) == ("k8s-pods-json", "ingested")
        assert (outcome.rows_read, outcome.rows_accepted, outcome.rows_quarantined) == (7, 7, 0)
        assert con.execute(
            "SELECT format, target_table, rows_read, min_ts_utc, max_ts_utc FROM ingest_manifest"
        ).fetchall() == [
            # startTimes: coredns 2025-12-01 00:00 is the earliest, llama/notebook 10:00 latest
            ("k8s-pods-json", "raw_k8s_pods", 7, datetime(2025, 12, 1), at(10))
        ]
        assert con.execute(
            "SELECT source_path, line, namespace, pod, node, gpus FROM raw_k8s_pods ORDER BY line"
        ).fetchall()[:2] == [
            ("k8s/cluster-a/pods-20260101.json", 4, "training", "llama-train-0", "gpu-01", 8.0),
            (
                "k8s/cluster-a/pods-20260101.json",
                100,
                "inference",
                "vllm-atlas-7d9f8c6b5-x2k4q",
                "gpu-02",
                1.0,
            ),
        ]
        build_job_allocations(con, cfg, D1, D2)
        got = allocations(con, "job_key, host, gpus_on_host, start_utc, end_utc, phase, phase_rule")
    # the pending eval pod and GPU-less coredns (on cpu-01, outside the inventory) hold nothing
    assert got == [
        # MIG 3g + 2 × 1g = 5/7, running from 06:00 to the window's end
        ("s1/inference/embed-mig-0", "gpu-03", 5 / 7, at(6), D2, "inference", "labels"),
        # plain `phase: inference` label
        (
            "s1/inference/vllm-atlas-7d9f8c6b5-x2k4q",
            "gpu-02",
            1.0,
            at(8),
            D2,
            "inference",
            "labels",
        ),
        # the research namespace rule
        (
            "s1/research/notebook-ada",
            "gpu-01",
            2.0,
            at(10),
            at(13, 30),
            "development",
            "rule:research-ns",
        ),
        # Failed at 12:00:01 (its sidecar's finish); the ft rule on the pod name
        (
            "s1/training/ft-orca-2-nlp-9kx7w",
            "gpu-02",
            4.0,
            at(9),
            at(12, 0, 1),
            "fine_tuning",
            "rule:ft",
        ),
        ("s1/training/llama-train-0", "gpu-01", 8.0, at(10), D2, "training", "labels"),
    ]


def test_a_labelled_span_ends_where_the_gpus_next_sample_closes_its_last_interval(wh) -> None:
    from pipeline.method.energy import build_gpu_energy_attributed, build_gpu_energy_intervals

    con, cfg = wh
    # GPU 0 of gpu-01 carries ml/probe on its 10:00 ... 10:55 samples; the 11:00 ... 11:30 samples
    # carry no label. The interval 10:55-11:00 starts on a labelled sample, so it is the job's:
    # the allocation must run to 11:00, not stop at the last labelled sample (10:55).
    labelled(con, "gpu-01", 0, "ml/probe", at(10), at(10, 55))
    labelled(con, "gpu-01", 0, None, at(11), at(11, 30))
    build_job_allocations(con, cfg, D1, D2)
    assert allocations(con, "job_key, start_utc, end_utc, gpus_on_host") == [
        ("s1/ml/probe", at(10), at(11), 1.0)
    ]
    build_gpu_energy_intervals(con, cfg, D1, D2)
    build_gpu_energy_attributed(con, D1, D2)
    rows = con.execute(
        "SELECT job_key, sum(energy_wh) FROM gpu_energy_attributed GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    # 300 W for the labelled hour 10:00-11:00 = 300 Wh to the job; 11:00-11:30 = 150 Wh idle.
    assert [(k, round(e, 9)) for k, e in rows] == [("s1/ml/probe", 300.0), (None, 150.0)]
