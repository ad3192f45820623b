"""Kubernetes pod inventories: `kubectl get pods -A -o json` (and the other JSON shapes of the same
pods) and the flat CSV form, into raw_k8s_pods. Every expected value is read off the documents
below by hand: line numbers are where each pod's `{` stands in KUBECTL_PODS (listed at the bottom
of this file), GPU counts follow the scheduler's rule (sum of app containers + sidecars vs the
largest init container; a MIG slice <N>g.<M>gb is N/7 of a GPU)."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import UnreadableFileError, detect_format, read_file
from pipeline.readers.base import ReadResult
from pipeline.readers.scheduler import k8s_pods
from tests.fuzz import corrupted

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
ROW = ["line", "namespace", "pod", "node", "gpus", "start_utc", "end_utc", "pod_phase"]
LABELLED = ["pod", "phase", "model", "team"]


def at(hh: int, mm: int = 0, ss: int = 0, day: int = 1, month: int = 1, year: int = 2026):
    return datetime(year, month, day, hh, mm, ss)


def write(tmp_path: Path, text: str | bytes, name: str = "pods.json") -> Path:
    path = tmp_path / "k8s" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def rows(result: ReadResult, columns: list[str] = ROW) -> list[tuple]:
    return result.frame.select(columns).rows()


def problems(result: ReadResult) -> list[tuple[int, str]]:
    return [(p.line, p.reason) for p in result.problems]


# --- kubectl get pods -A -o json ----------------------------------------------------------------

# (line, namespace, pod, node, gpus, start, end, pod phase), pod by pod from KUBECTL_PODS:
EXPECTED = [
    # 8 GPUs in limits (and requests), running: no end
    (4, "training", "llama-train-0", "gpu-01", 8.0, at(10), None, "Running"),
    # vllm 1 GPU (limits) + envoy none
    (100, "inference", "vllm-atlas-7d9f8c6b5-x2k4q", "gpu-02", 1.0, at(8), None, "Running"),
    # app 1 + 1 = 2 against the init gpu-check's 1 → 2; Succeeded, latest finishedAt of
    # notebook 13:30:00, tensorboard 13:29:58 and gpu-check 10:00:15 → 13:30:00
    (211, "research", "notebook-ada", "gpu-01", 2.0, at(10), at(13, 30), "Succeeded"),
    # unschedulable: no nodeName, no startTime, but it asks for 4 GPUs
    (340, "batch", "eval-suite-x7k2p", None, 4.0, None, None, "Pending"),
    # MIG: one 3g.40gb (3/7) + two 1g.10gb (2/7) = 5/7 of a GPU
    (410, "inference", "embed-mig-0", "gpu-03", 5 / 7, at(6), None, "Running"),
    # coredns asks for no GPU
    (
        510,
        "kube-system",
        "coredns-5d78c9869d-8xq2v",
        "cpu-01",
        0.0,
        at(0, day=1, month=12, year=2025),
        None,
        "Running",
    ),
    # finetune 4 (requests only) + the istio sidecar's 0, against warmup's 1 → 4; Failed: latest
    # finishedAt is the sidecar's 12:00:01 (finetune 12:00:00, warmup 09:00:35)
    (591, "training", "ft-orca-2-nlp-9kx7w", "gpu-02", 4.0, at(9), at(12, 0, 1), "Failed"),
]


def test_kubectl_pod_list_is_detected_and_read(tmp_path: Path) -> None:
    path = write(tmp_path, KUBECTL_PODS, "export.txt")
    assert detect_format(path) == "k8s-pods-json"
    result = read_file(path)
    assert (result.format, result.table) == ("k8s-pods-json", "raw_k8s_pods")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (7, 7, 0)
    assert rows(result) == EXPECTED
    assert result.frame["source_path"].unique().to_list() == [str(path)]


def test_workload_labels_and_uids(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, KUBECTL_PODS))
    assert rows(result, LABELLED) == [
        # wattprint.io/* labels
        ("llama-train-0", "training", "llama-3-8b", "foundation"),
        # plain phase/model labels
        ("vllm-atlas-7d9f8c6b5-x2k4q", "inference", "atlas-7b", None),
        ("notebook-ada", None, None, None),  # only an `owner` label
        ("eval-suite-x7k2p", None, None, None),
        ("embed-mig-0", "inference", "embed-small", None),
        ("coredns-5d78c9869d-8xq2v", None, None, None),
        ("ft-orca-2-nlp-9kx7w", None, None, "nlp"),  # a plain team label only
    ]
    first = result.frame.row(0, named=True)
    assert first["uid"] == "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0001"
    assert json.loads(first["labels"]) == {
        "app": "llama-train",
        "wattprint.io/model": "llama-3-8b",
        "wattprint.io/phase": "training",
        "wattprint.io/team": "foundation",
    }
    # keys sorted, so the same labels are always the same text
    assert result.frame["labels"][1] == (
        '{"model": "atlas-7b", "phase": "inference", "pod-template-hash": "7d9f8c6b5"}'
    )


def test_wattprint_labels_win_over_plain_ones() -> None:
    labels = {"phase": "development", "wattprint.io/phase": "training", "model": "m", "team": " "}
    assert k8s_pods.workload_labels(labels) == {"phase": "training", "model": "m", "team": None}
    assert k8s_pods.workload_labels(None) == {"phase": None, "model": None, "team": None}


def test_frame_matches_the_table_ddl(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute((REPO / "sql" / "raw" / "create_raw_k8s_pods.sql").read_text())
    ddl = con.execute("DESCRIBE raw_k8s_pods").fetchall()
    frame = read_file(write(tmp_path, KUBECTL_PODS)).frame
    assert frame.columns == [r[0] for r in ddl]
    assert frame.schema == k8s_pods.SCHEMA
    con.from_arrow(frame.to_arrow()).insert_into("raw_k8s_pods")
    assert con.execute("SELECT count(*), sum(gpus) FROM raw_k8s_pods").fetchone() == (
        7,
        pytest.approx(8 + 1 + 2 + 4 + 5 / 7 + 0 + 4),
    )


def _items() -> list[dict]:
    return json.loads(KUBECTL_PODS)["items"]


@pytest.mark.parametrize(
    "shape",
    ["single pod", "jq array", "json lines", "api PodList", "one line"],
)
def test_other_json_shapes_of_the_same_pods(tmp_path: Path, shape: str) -> None:
    items = _items()
    if shape == "single pod":  # kubectl get pod notebook-ada -n research -o json
        text, expected = json.dumps(items[2], indent=4), [EXPECTED[2][1:]]
        lines = [1]
    elif shape == "jq array":  # kubectl get pods -A -o json | jq .items
        text, expected, lines = json.dumps(items, indent=2), [e[1:] for e in EXPECTED], None
    elif shape == "json lines":  # ... | jq -c '.items[]': one pod per line
        text = "\n".join(json.dumps(i) for i in items) + "\n"
        expected, lines = [e[1:] for e in EXPECTED], list(range(1, 8))
    elif shape == "api PodList":  # GET /api/v1/pods: items carry no kind/apiVersion
        bare = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in items]
        text = json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": bare})
        expected, lines = [e[1:] for e in EXPECTED], [1] * 7
    else:  # the whole List on one line: every pod starts on line 1
        text, expected, lines = (
            json.dumps(json.loads(KUBECTL_PODS)),
            [e[1:] for e in EXPECTED],
            [1] * 7,
        )
    path = write(tmp_path, text)
    assert detect_format(path) == "k8s-pods-json"
    result = read_file(path)
    assert result.problems == []
    assert rows(result, ROW[1:]) == expected
    if lines is not None:
        assert result.frame["line"].to_list() == lines


def test_empty_pod_list_is_zero_rows(tmp_path: Path) -> None:
    # what kubectl prints for a cluster with no pods
    text = (
        '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n'
        '    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
    )
    result = read_file(write(tmp_path, text))
    assert (result.format, result.rows_read, result.frame.height) == ("k8s-pods-json", 0, 0)


def test_lists_of_other_kinds_are_not_pod_lists(tmp_path: Path) -> None:
    # kubectl get events -o json: entries name pods in involvedObject, one level deeper
    events = {
        "apiVersion": "v1",
        "items": [
            {
                "apiVersion": "v1",
                "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "vllm-0"},
                "kind": "Event",
                "reason": "Scheduled",
            }
        ],
        "kind": "List",
    }
    nodes = {"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Node"}], "kind": "List"}
    for doc in (events, nodes, events["items"][0]):
        path = write(tmp_path, json.dumps(doc, indent=4, sort_keys=True))
        with pytest.raises(UnreadableFileError, match="unrecognised file format"):
            read_file(path)


def test_no_shared_sample_is_mistaken_for_a_pod_inventory() -> None:
    for path in sorted(p for p in SHARED.rglob("*") if p.is_file()):
        try:
            found = detect_format(path)
        except UnreadableFileError:
            continue
        assert found not in ("k8s-pods-json", "k8s-pods-csv"), path


# --- GPU counting -------------------------------------------------------------------------------


def container(name: str, gpus: dict[str, str] | None = None, where: str = "limits", **extra):
    resources = {where: gpus} if gpus else {}
    return {"name": name, "image": "busybox", "resources": resources, **extra}


def one_pod(containers: list[dict], init: list[dict] | None = None) -> str:
    spec = {"containers": containers, "nodeName": "gpu-01"}
    if init is not None:
        spec["initContainers"] = init
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": spec,
        "status": {"phase": "Running", "startTime": "2026-01-01T10:00:00Z"},
    }
    return json.dumps(pod, indent=4)


GPU = "nvidia.com/gpu"
SIDECAR = {"restartPolicy": "Always"}


@pytest.mark.parametrize(
    ("containers", "init", "expected"),
    [
        # app containers add up
        ([container("a", {GPU: "2"}), container("b", {GPU: "3"})], None, 5),
        # requests count when a container sets no limits; limits win where both are set
        ([container("a", {GPU: "3"}, "requests")], None, 3),
        ([{"name": "a", "resources": {"limits": {GPU: "2"}, "requests": {GPU: "1"}}}], None, 2),
        # a JSON number is as good as a quantity string
        ([container("a", {GPU: 2})], None, 2),
        # no GPU resource at all: 0, never the whole node
        ([container("a", {"cpu": "4", "memory": "8Gi"})], None, 0),
        ([{"name": "a"}], None, 0),
        # an init container runs alone before the app: max(init 4, app 1) = 4
        ([container("a", {GPU: "1"})], [container("i", {GPU: "4"})], 4),
        # ... and is not added: max(init 1, app 2) = 2
        ([container("a", {GPU: "2"})], [container("i", {GPU: "1"})], 2),
        # a sidecar keeps running beside the app: 2 + 1 = 3
        ([container("a", {GPU: "2"})], [container("s", {GPU: "1"}, **SIDECAR)], 3),
        # sidecar (1) then init (2): the init runs beside the sidecar → 3 > app 1 + sidecar 1
        (
            [container("a", {GPU: "1"})],
            [container("s", {GPU: "1"}, **SIDECAR), container("i", {GPU: "2"})],
            3,
        ),
        # init (2) then sidecar (1): the init ran alone → max(2, 1, 1 + 1) = 2
        (
            [container("a", {GPU: "1"})],
            [container("i", {GPU: "2"}), container("s", {GPU: "1"}, **SIDECAR)],
            2,
        ),
        # MIG slices: 7g is a whole GPU, seven 1g slices too (media-extension name included)
        ([container("a", {"nvidia.com/mig-7g.80gb": "1"})], None, 1),
        ([container("a", {"nvidia.com/mig-1g.10gb.me": "7"})], None, 1),
        ([container("a", {"nvidia.com/mig-2g.20gb": "1", GPU: "1"})], None, Fraction(9, 7)),
        # other vendors' and time-sliced resources are not counted
        ([container("a", {"amd.com/gpu": "1", "nvidia.com/gpu.shared": "2"})], None, 0),
    ],
)
def test_gpu_count_is_the_schedulers_effective_request(
    tmp_path: Path, containers: list[dict], init: list[dict] | None, expected: float
) -> None:
    result = read_file(write(tmp_path, one_pod(containers, init)))
    assert result.problems == []
    assert result.frame["gpus"].to_list() == [float(expected)]


def test_finished_pod_without_any_finish_time_has_no_end(tmp_path: Path) -> None:
    # a pod the kubelet refused (UnexpectedAdmissionError) is Failed with no container statuses
    pod = json.loads(one_pod([container("a", {GPU: "1"})]))
    pod["status"] = {
        "phase": "Failed",
        "reason": "UnexpectedAdmissionError",
        "startTime": "2026-01-01T10:00:00Z",
    }
    result = read_file(write(tmp_path, json.dumps(pod, indent=4)))
    assert rows(result, ["pod_phase", "start_utc", "end_utc"]) == [("Failed", at(10), None)]


def test_times_with_offsets_and_fractions_become_naive_utc(tmp_path: Path) -> None:
    pod = json.loads(one_pod([container("a", {GPU: "1"})]))
    pod["status"] = {
        "phase": "Succeeded",
        "startTime": "2026-01-01T11:00:00.123456789+01:00",  # 10:00:00.123456 UTC
        "containerStatuses": [{"state": {"terminated": {"finishedAt": "2026-01-01T10:30:00z"}}}],
    }
    result = read_file(write(tmp_path, json.dumps(pod, indent=4)))
    assert rows(result, ["start_utc", "end_utc"]) == [
        (datetime(2026, 1, 1, 10, 0, 0, 123456), at(10, 30))
    ]


# --- bad pods, damaged documents ----------------------------------------------------------------

BAD_PODS = """\
{"apiVersion": "v1", "kind": "List", "items": [
{"kind": "Pod", "metadata": {"name": "ok", "namespace": "a"}, "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}, "status": {"phase": "Running", "startTime": "2026-01-01T10:00:00Z"}},
{"kind": "Pod", "metadata": {"name": "four", "namespace": "a"}, "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "four"}}}]}},
{"kind": "Pod", "metadata": {"name": "when", "namespace": "a"}, "spec": {"containers": []}, "status": {"startTime": "yesterday"}},
{"kind": "Pod", "metadata": {"name": "nons"}, "spec": {"containers": []}},
{"kind": "Pod", "metadata": {"name": "lab", "namespace": "a", "labels": {"gpu": 1}}, "spec": {"containers": []}},
{"kind": "Node", "metadata": {"name": "gpu-01"}},
{"kind": "Pod", "metadata": {"name": "mig", "namespace": "a"}, "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/mig-8g.80gb": "1"}}}]}},
{"kind": "Pod", "metadata": {"name": "back", "namespace": "a"}, "spec": {"containers": []}, "status": {"phase": "Succeeded", "startTime": "2026-01-01T10:00:00Z", "containerStatuses": [{"state": {"terminated": {"finishedAt": "2026-01-01T09:00:00Z"}}}]}},
"not a pod",
{"kind": "Pod", "metadata": {"name": "nospec", "namespace": "a"}},
{"kind": "Pod", "metadata": {"name": "two", "namespace": ""}, "spec": {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "-1"}}}]}}
]}
"""  # noqa: E501


def test_bad_pods_are_quarantined_naming_their_json_path(tmp_path: Path) -> None:
    result = read_file(write(tmp_path, BAD_PODS))
    assert result.format == "k8s-pods-json"
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (11, 1, 10)
    assert rows(result) == [(2, "a", "ok", None, 1.0, at(10), None, "Running")]
    limits = "spec.containers[0].resources.limits"
    assert problems(result) == [
        (
            3,
            f'items[1].{limits}["nvidia.com/gpu"]: expected a whole number of devices like '
            "'1', got \"four\"",
        ),
        (
            4,
            "items[2].status.startTime: expected an RFC 3339 time like '2026-01-01T10:00:00Z', "
            'got "yesterday"',
        ),
        (5, "items[3].metadata.namespace: expected a non-empty string, got nothing"),
        (6, "items[4].metadata.labels.gpu: expected a string label value, got 1"),
        (7, "items[5].kind: expected 'Pod', got \"Node\""),
        (
            8,
            f'items[6].{limits}["nvidia.com/mig-8g.80gb"]: expected a MIG profile of 1-7 '
            'compute slices, got "nvidia.com/mig-8g.80gb"',
        ),
        (
            9,
            "items[7].status: expected the containers' finishedAt (2026-01-01T09:00:00Z) at or "
            "after startTime (2026-01-01T10:00:00Z)",
        ),
        (10, 'items[8]: expected a Pod object, got "not a pod"'),
        (11, "items[9].spec: expected an object, got nothing"),
        (
            12,
            'items[10].metadata.namespace: expected a non-empty string, got ""; '
            f'items[10].{limits}["nvidia.com/gpu"]: expected a whole number of devices like '
            "'1', got \"-1\"",
        ),
    ]
    # the quarantined text is the pod's own JSON
    assert result.problems[4].raw == '{"kind": "Node", "metadata": {"name": "gpu-01"}}'


def test_truncated_inside_a_pod_keeps_the_pods_before_it(tmp_path: Path) -> None:
    # cut inside items[3] (line 340), in its metadata.name on line 350
    cut = KUBECTL_PODS[: KUBECTL_PODS.index('"eval-suite-x7k2p"') + 6]
    result = read_file(write(tmp_path, cut))
    assert result.frame["line"].to_list() == [4, 100, 211]
    assert problems(result) == [
        (
            340,
            "items[3]: not valid JSON: Unterminated string starting at line 350 column 25; "
            "nothing from here to the end of the file could be read",
        )
    ]
    assert result.problems[0].raw.startswith('{\n            "apiVersion": "v1"')


def test_truncated_after_the_last_pod_keeps_every_pod(tmp_path: Path) -> None:
    # the closing '}' on line 737 is missing: all seven pods are whole
    cut = KUBECTL_PODS.rstrip()[:-1]
    result = read_file(write(tmp_path, cut))
    assert result.frame["line"].to_list() == [e[0] for e in EXPECTED]
    assert problems(result) == [
        (
            736,
            "the document: expected ',' or '}', got the end of the file; nothing from here to "
            "the end of the file could be read",
        )
    ]


def test_malformed_before_the_first_pod_is_unreadable(tmp_path: Path) -> None:
    broken = KUBECTL_PODS.replace(
        '"apiVersion": "v1",\n    "items"', '"apiVersion": v1,\n    "items"'
    )
    path = write(tmp_path, broken)
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    assert str(err.value) == (
        f"{path}: line 2: apiVersion: not valid JSON: Expecting value at line 2 column 19; "
        "expected a Kubernetes pod list (`kubectl get pods -A -o json`)"
    )


@pytest.mark.parametrize("broken", [0, 2, 6])
def test_a_broken_line_of_pods_one_per_line_loses_only_that_pod(
    tmp_path: Path, broken: int
) -> None:
    # `jq -c '.items[]'`: pod i on line i + 1; one line's namespace lost its opening quote
    lines = [json.dumps(i) for i in _items()]
    name = EXPECTED[broken][1]
    lines[broken] = lines[broken].replace(f'"namespace": "{name}"', f'"namespace": {name}"')
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [n for n in range(1, 8) if n != broken + 1]
    [problem] = result.problems
    assert problem.line == broken + 1
    assert problem.reason.startswith(
        f"metadata: not valid JSON: Expecting value at line {broken + 1} column "
    )
    if broken < 6:
        assert problem.reason.endswith(f"; reading went on at line {broken + 2}")
    else:
        assert problem.reason.endswith("; nothing from here to the end of the file could be read")


def test_undecodable_bytes_quarantine_only_their_pod(tmp_path: Path) -> None:
    data = KUBECTL_PODS.encode().replace(b'"owner": "ada"', b'"owner": "\xffda"')
    result = read_file(write(tmp_path, data))
    assert result.frame["pod"].to_list() == [e[2] for e in EXPECTED if e[2] != "notebook-ada"]
    assert problems(result) == [
        (
            211,
            "items[2]: line is not valid UTF-8 text (undecodable bytes or NUL); expected a "
            "text line",
        )
    ]


# --- the flat CSV form --------------------------------------------------------------------------

CSV = """\
namespace,pod,node,gpus,start_utc,end_utc,labels
training,llama-train-0,gpu-01,8,2026-01-01T10:00:00Z,,"{""wattprint.io/phase"": ""training"", ""wattprint.io/model"": ""llama-3-8b""}"
research,notebook-ada,gpu-01,2,2026-01-01T10:00:00Z,2026-01-01T13:30:00Z,
inference,embed-mig-0,gpu-03,0.714286,2026-01-01 07:00:00+01:00,,"{""phase"": ""inference"", ""team"": ""search""}"
batch,eval-suite-x7k2p,,4,,,{}
"""  # noqa: E501


def test_csv_form_is_detected_and_read(tmp_path: Path) -> None:
    path = write(tmp_path, CSV, "pods.txt")
    assert detect_format(path) == "k8s-pods-csv"
    result = read_file(path)
    assert (result.format, result.table) == ("k8s-pods-csv", "raw_k8s_pods")
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 4, 0)
    assert result.frame.schema == k8s_pods.SCHEMA
    assert rows(result) == [
        (2, "training", "llama-train-0", "gpu-01", 8.0, at(10), None, None),
        (3, "research", "notebook-ada", "gpu-01", 2.0, at(10), at(13, 30), None),
        # 07:00 at +01:00 is 06:00 UTC
        (4, "inference", "embed-mig-0", "gpu-03", 0.714286, at(6), None, None),
        # pending: no node, no start
        (5, "batch", "eval-suite-x7k2p", None, 4.0, None, None, None),
    ]
    assert rows(result, LABELLED) == [
        ("llama-train-0", "training", "llama-3-8b", None),
        ("notebook-ada", None, None, None),
        ("embed-mig-0", "inference", None, "search"),
        ("eval-suite-x7k2p", None, None, None),
    ]
    assert result.frame["labels"].to_list()[2:] == [
        '{"phase": "inference", "team": "search"}',
        "{}",
    ]


def test_csv_optional_uid_and_pod_phase_columns(tmp_path: Path) -> None:
    text = (
        "pod_phase,uid,namespace,pod,node,gpus,start_utc\n"
        "Running,0b6f-01,training,llama-train-0,gpu-01,8,2026-01-01T10:00:00\n"
    )
    result = read_file(write(tmp_path, text, "pods.csv"))
    assert rows(result, ["uid", "pod", "pod_phase", "start_utc", "end_utc", "labels"]) == [
        ("0b6f-01", "llama-train-0", "Running", at(10), None, None)
    ]


def test_csv_bad_rows_are_quarantined(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "namespace,pod,node,gpus,start_utc,end_utc,labels",
            "a,ok,gpu-01,1,2026-01-01T10:00:00Z,,",
            ",nons,gpu-01,1,2026-01-01T10:00:00Z,,",
            "a,neg,gpu-01,-1,2026-01-01T10:00:00Z,,",
            "a,nan,gpu-01,nan,2026-01-01T10:00:00Z,,",
            "a,when,gpu-01,1,yesterday,,",
            'a,lab,gpu-01,1,2026-01-01T10:00:00Z,,"[1, 2]"',
            'a,labint,gpu-01,1,2026-01-01T10:00:00Z,,"{""gpu"": 1}"',
            "a,back,gpu-01,1,2026-01-01T10:00:00Z,2026-01-01T09:00:00Z,",
            "a,short,gpu-01",
            "a,nogpus,gpu-01,,2026-01-01T10:00:00Z,,",
        ]
    )
    result = read_file(write(tmp_path, text + "\n", "pods.csv"))
    assert result.frame["pod"].to_list() == ["ok"]
    labels = 'expected a JSON object of string labels like \'{"wattprint.io/phase": "training"}\''
    assert problems(result) == [
        (3, "namespace: expected a value, got nothing"),
        (4, "gpus: expected a non-negative number of GPUs like '2' or '0.428571', got '-1'"),
        (5, "gpus: expected a number like '12.5', got 'nan'"),
        (
            6,
            "start_utc: expected an ISO-8601 UTC time like '2026-10-01T05:00:00Z', got 'yesterday'",
        ),
        (7, f"labels: {labels}, got '[1, 2]'"),
        (8, f"labels: {labels}, got '{{\"gpu\": 1}}'"),
        (
            9,
            "end_utc: expected a time at or after start_utc (2026-01-01T10:00:00), got "
            "2026-01-01T09:00:00",
        ),
        (10, "expected 7 comma-separated fields as in the header on line 1, got 3"),
        (11, "gpus: expected a value, got nothing"),
    ]
    assert result.problems[6].raw == "a,back,gpu-01,1,2026-01-01T10:00:00Z,2026-01-01T09:00:00Z,"


def test_csv_without_a_required_column_is_not_a_pod_inventory(tmp_path: Path) -> None:
    path = write(tmp_path, "namespace,pod,node,start_utc\na,p,gpu-01,2026-01-01T10:00:00Z\n")
    with pytest.raises(UnreadableFileError, match="unrecognised file format"):
        read_file(path)


# --- properties: random corruption never raises or loses a row ----------------------------------


def check_invariants(path: Path) -> None:
    try:
        result = read_file(path)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    if result.format not in ("k8s-pods-json", "k8s-pods-csv"):
        return  # a corruption may make the file look like something else entirely
    assert result.frame.schema == k8s_pods.SCHEMA
    for column in k8s_pods.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    physical = len(path.read_bytes().split(b"\n"))
    accepted = result.frame["line"].to_list()
    quarantined = [p.line for p in result.problems]
    assert all(1 <= n <= physical for n in accepted + quarantined)
    assert len(set(accepted)) == len(accepted)
    assert set(accepted).isdisjoint(quarantined)
    assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
    assert result.frame.filter(pl.col("gpus") < 0).height == 0
    ended = result.frame.filter(pl.col("end_utc").is_not_null() & pl.col("start_utc").is_not_null())
    assert ended.filter(pl.col("end_utc") < pl.col("start_utc")).height == 0


@pytest.mark.parametrize("sample", ["json", "csv"])
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corruption_never_raises_or_loses_rows(
    tmp_path: Path, sample: str, data: st.DataObject
) -> None:
    original = (KUBECTL_PODS if sample == "json" else CSV).encode()
    path = write(
        tmp_path,
        data.draw(
            corrupted(original, alphabet='{}[]:,"\\ 0123456789.-eE+NaInfty/Podkind\x00\ufeff')
        ),
        "input.dat",
    )
    check_invariants(path)


# --- the document the tests read: `kubectl get pods -A -o json` of a small GPU cluster ----------
# (kubectl sorts keys and indents by four spaces; pods start on lines 4, 100, 211, 340, 410, 510
# and 591)

KUBECTL_PODS = """\
{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "labels": {
                    "app": "llama-train",
                    "wattprint.io/model": "llama-3-8b",
                    "wattprint.io/phase": "training",
                    "wattprint.io/team": "foundation"
                },
                "name": "llama-train-0",
                "namespace": "training",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "StatefulSet",
                        "name": "llama-train",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000001"
                    }
                ],
                "resourceVersion": "48237",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0001"
            },
            "spec": {
                "containers": [
                    {
                        "image": "nvcr.io/nvidia/pytorch:24.05-py3",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "trainer",
                        "resources": {
                            "limits": {
                                "cpu": "96",
                                "memory": "1600Gi",
                                "nvidia.com/gpu": "8"
                            },
                            "requests": {
                                "cpu": "96",
                                "memory": "1600Gi",
                                "nvidia.com/gpu": "8"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "gpu-01",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-01-01T10:00:00Z",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "containerStatuses": [
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "nvcr.io/nvidia/pytorch:24.05-py3",
                        "lastState": {},
                        "name": "trainer",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-01-01T10:00:07Z"
                            }
                        }
                    }
                ],
                "hostIP": "10.0.0.11",
                "phase": "Running",
                "podIP": "10.244.1.7",
                "qosClass": "Guaranteed",
                "startTime": "2026-01-01T10:00:00Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "generateName": "vllm-atlas-7d9f8c6b5-",
                "labels": {
                    "model": "atlas-7b",
                    "phase": "inference",
                    "pod-template-hash": "7d9f8c6b5"
                },
                "name": "vllm-atlas-7d9f8c6b5-x2k4q",
                "namespace": "inference",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "ReplicaSet",
                        "name": "vllm-atlas-7d9f8c6b5",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000002"
                    }
                ],
                "resourceVersion": "48238",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0002"
            },
            "spec": {
                "containers": [
                    {
                        "image": "vllm/vllm-openai:v0.6.3",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "vllm",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            },
                            "requests": {
                                "cpu": "8",
                                "memory": "64Gi",
                                "nvidia.com/gpu": "1"
                            }
                        }
                    },
                    {
                        "image": "envoyproxy/envoy:v1.31",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "envoy",
                        "resources": {
                            "limits": {
                                "cpu": "500m",
                                "memory": "256Mi"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "gpu-02",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "containerStatuses": [
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "envoyproxy/envoy:v1.31",
                        "lastState": {},
                        "name": "envoy",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-01-01T08:00:03Z"
                            }
                        }
                    },
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "vllm/vllm-openai:v0.6.3",
                        "lastState": {},
                        "name": "vllm",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-01-01T08:00:05Z"
                            }
                        }
                    }
                ],
                "hostIP": "10.0.0.12",
                "phase": "Running",
                "podIP": "10.244.2.4",
                "qosClass": "Burstable",
                "startTime": "2026-01-01T08:00:00Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "labels": {
                    "owner": "ada"
                },
                "name": "notebook-ada",
                "namespace": "research",
                "resourceVersion": "48239",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0003"
            },
            "spec": {
                "containers": [
                    {
                        "image": "jupyter/pytorch-notebook:2024-10",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "notebook",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            }
                        }
                    },
                    {
                        "image": "tensorflow/tensorflow:2.17.0-gpu",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "tensorboard",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "initContainers": [
                    {
                        "image": "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "gpu-check",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            }
                        }
                    }
                ],
                "nodeName": "gpu-01",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "containerStatuses": [
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "jupyter/pytorch-notebook:2024-10",
                        "lastState": {},
                        "name": "notebook",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "finishedAt": "2026-01-01T13:30:00Z",
                                "reason": "Completed",
                                "startedAt": "2026-01-01T10:00:20Z"
                            }
                        }
                    },
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "tensorflow/tensorflow:2.17.0-gpu",
                        "lastState": {},
                        "name": "tensorboard",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "finishedAt": "2026-01-01T13:29:58Z",
                                "reason": "Completed",
                                "startedAt": "2026-01-01T10:00:21Z"
                            }
                        }
                    }
                ],
                "hostIP": "10.0.0.11",
                "initContainerStatuses": [
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04",
                        "lastState": {},
                        "name": "gpu-check",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "finishedAt": "2026-01-01T10:00:15Z",
                                "reason": "Completed",
                                "startedAt": "2026-01-01T10:00:02Z"
                            }
                        }
                    }
                ],
                "phase": "Succeeded",
                "podIP": "10.244.1.9",
                "qosClass": "BestEffort",
                "startTime": "2026-01-01T10:00:00Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "generateName": "eval-suite-",
                "labels": {
                    "batch.kubernetes.io/job-name": "eval-suite",
                    "job-name": "eval-suite"
                },
                "name": "eval-suite-x7k2p",
                "namespace": "batch",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "Job",
                        "name": "eval-suite",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000004"
                    }
                ],
                "resourceVersion": "48240",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0004"
            },
            "spec": {
                "containers": [
                    {
                        "image": "ghcr.io/example/eval:1.4",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "eval",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "4"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "conditions": [
                    {
                        "lastProbeTime": null,
                        "lastTransitionTime": "2026-01-01T12:00:00Z",
                        "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
                        "reason": "Unschedulable",
                        "status": "False",
                        "type": "PodScheduled"
                    }
                ],
                "phase": "Pending",
                "qosClass": "BestEffort"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "labels": {
                    "wattprint.io/model": "embed-small",
                    "wattprint.io/phase": "inference"
                },
                "name": "embed-mig-0",
                "namespace": "inference",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "StatefulSet",
                        "name": "embed-mig",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000005"
                    }
                ],
                "resourceVersion": "48241",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0005"
            },
            "spec": {
                "containers": [
                    {
                        "image": "ghcr.io/example/embed:2.0",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "embed",
                        "resources": {
                            "limits": {
                                "nvidia.com/mig-3g.40gb": "1"
                            }
                        }
                    },
                    {
                        "image": "ghcr.io/example/rerank:2.0",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "rerank",
                        "resources": {
                            "limits": {
                                "nvidia.com/mig-1g.10gb": "2"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "gpu-03",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "containerStatuses": [
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "ghcr.io/example/embed:2.0",
                        "lastState": {},
                        "name": "embed",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-01-01T06:00:04Z"
                            }
                        }
                    },
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "ghcr.io/example/rerank:2.0",
                        "lastState": {},
                        "name": "rerank",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2026-01-01T06:00:04Z"
                            }
                        }
                    }
                ],
                "phase": "Running",
                "startTime": "2026-01-01T06:00:00Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "generateName": "coredns-5d78c9869d-",
                "labels": {
                    "k8s-app": "kube-dns",
                    "pod-template-hash": "5d78c9869d"
                },
                "name": "coredns-5d78c9869d-8xq2v",
                "namespace": "kube-system",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "ReplicaSet",
                        "name": "coredns-5d78c9869d",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000006"
                    }
                ],
                "resourceVersion": "48242",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0006"
            },
            "spec": {
                "containers": [
                    {
                        "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "coredns",
                        "resources": {
                            "limits": {
                                "memory": "170Mi"
                            },
                            "requests": {
                                "cpu": "100m",
                                "memory": "70Mi"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "cpu-01",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "containerStatuses": [
                    {
                        "containerID": "containerd://abababababababab",
                        "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                        "lastState": {},
                        "name": "coredns",
                        "ready": true,
                        "restartCount": 0,
                        "started": true,
                        "state": {
                            "running": {
                                "startedAt": "2025-12-01T00:00:09Z"
                            }
                        }
                    }
                ],
                "phase": "Running",
                "startTime": "2025-12-01T00:00:00Z"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "creationTimestamp": "2026-01-01T09:59:50Z",
                "generateName": "ft-orca-2-nlp-",
                "labels": {
                    "batch.kubernetes.io/job-name": "ft-orca-2-nlp",
                    "job-name": "ft-orca-2-nlp",
                    "team": "nlp"
                },
                "name": "ft-orca-2-nlp-9kx7w",
                "namespace": "training",
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "blockOwnerDeletion": true,
                        "controller": true,
                        "kind": "Job",
                        "name": "ft-orca-2-nlp",
                        "uid": "5f0c1a2e-0000-4000-8000-000000000007"
                    }
                ],
                "resourceVersion": "48243",
                "uid": "0b6f2c9e-1d1a-4c7e-9a51-3f3c1b0e0007"
            },
            "spec": {
                "containers": [
                    {
                        "image": "ghcr.io/example/ft:0.9",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "finetune",
                        "resources": {
                            "requests": {
                                "nvidia.com/gpu": "4"
                            }
                        }
                    }
                ],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "initContainers": [
                    {
                        "image": "istio/proxyv2:1.23.0",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "istio-proxy",
                        "resources": {
                            "limits": {
                                "cpu": "2",
                                "memory": "1Gi"
                            }
                        },
                        "restartPolicy": "Always"
                    },
                    {
                        "image": "ghcr.io/example/ft:0.9",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "warmup",
                        "resources": {
                            "limits": {
                                "nvidia.com/gpu": "1"
                            }
                        }
                    }
                ],
                "nodeName": "gpu-02",
                "preemptionPolicy": "PreemptLowerPriority",
                "priority": 0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "serviceAccountName": "default",
                "terminationGracePeriodSeconds": 30,
                "tolerations": [
                    {
                        "effect": "NoSchedule",
                        "key": "nvidia.com/gpu",
                        "operator": "Exists"
                    }
                ]
            },
            "status": {
                "containerStatuses": [
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "ghcr.io/example/ft:0.9",
                        "lastState": {},
                        "name": "finetune",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 137,
                                "finishedAt": "2026-01-01T12:00:00Z",
                                "reason": "OOMKilled",
                                "startedAt": "2026-01-01T09:00:40Z"
                            }
                        }
                    }
                ],
                "initContainerStatuses": [
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "istio/proxyv2:1.23.0",
                        "lastState": {},
                        "name": "istio-proxy",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "finishedAt": "2026-01-01T12:00:01Z",
                                "reason": "Completed",
                                "startedAt": "2026-01-01T09:00:02Z"
                            }
                        }
                    },
                    {
                        "containerID": "containerd://efefefefefefefef",
                        "image": "ghcr.io/example/ft:0.9",
                        "lastState": {},
                        "name": "warmup",
                        "ready": false,
                        "restartCount": 0,
                        "started": false,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "finishedAt": "2026-01-01T09:00:35Z",
                                "reason": "Completed",
                                "startedAt": "2026-01-01T09:00:05Z"
                            }
                        }
                    }
                ],
                "phase": "Failed",
                "startTime": "2026-01-01T09:00:00Z"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
"""
