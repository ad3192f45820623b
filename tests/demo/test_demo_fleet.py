"""The demo fleet generator: determinism, config, file formats, and physical plausibility."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import hostlist
import polars as pl
import pytest
import yaml

from pipeline.config import Config, load_config
from pipeline.demo.fleet import build_fleet, generate_fleet

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
START = date(2026, 10, 1)
SITE_OF_DEPLOYMENT = {"stockholm-prod": "stockholm", "virginia-prod": "virginia"}


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def fleet2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet2")
    generate_fleet(root, days=2)
    return root


@pytest.fixture(scope="module")
def fleet14(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fleet14")
    generate_fleet(root)
    return root


@pytest.fixture(scope="module")
def cfg2(fleet2: Path) -> Config:
    return load_config(fleet2 / "wattprint.yaml")


def _telemetry(root: Path) -> pl.DataFrame:
    """All nvidia-smi rows, parsed with plain polars; host from the folder name."""
    df = pl.read_csv(
        str(root / "landing" / "telemetry" / "*" / "*.csv"),
        infer_schema=False,
        include_file_paths="path",
    )
    df = df.rename({c: c.strip() for c in df.columns}).with_columns(
        pl.exclude("path").str.strip_chars()
    )
    return df.select(
        pl.col("path").str.extract(r"telemetry/([^/]+)/").alias("host"),
        pl.col("path").str.extract(r"nvidia-smi-(\d{4}-\d{2}-\d{2})\.csv$").alias("file_day"),
        pl.col("timestamp").str.to_datetime("%Y/%m/%d %H:%M:%S%.3f").alias("local_ts"),
        pl.col("index").cast(pl.Int32),
        "uuid",
        "name",
        pl.col("power.draw [W]").alias("power_raw"),
        pl.col("power.draw [W]").str.strip_suffix(" W").cast(pl.Float64, strict=False).alias("w"),
        pl.col("utilization.gpu [%]").str.strip_suffix(" %").cast(pl.Int32).alias("util"),
        pl.col("memory.used [MiB]").str.strip_suffix(" MiB").cast(pl.Int64).alias("mem"),
    )


def _hosts(cfg: Config) -> pl.DataFrame:
    return pl.DataFrame(cfg.host_rows()).with_columns(
        pl.col("site").replace_strict({k: v.timezone for k, v in cfg.sites.items()}).alias("tz")
    )


def _sacct_jobs(root: Path) -> list[dict[str, str]]:
    jobs = []
    for path in sorted((root / "landing" / "slurm").glob("*/sacct-*.txt")):
        for row in csv.DictReader(io.StringIO(path.read_text()), delimiter="|"):
            row["site"] = path.parent.name
            jobs.append(row)
    return jobs


def _utc(local: str, tz: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_differs(fleet2: Path, tmp_path: Path) -> None:
    generate_fleet(tmp_path / "again", days=2)
    generate_fleet(tmp_path / "other", days=2, seed=8)
    first, again, other = _hashes(fleet2), _hashes(tmp_path / "again"), _hashes(tmp_path / "other")
    assert len(first) > 30
    assert first == again
    assert first.keys() == other.keys()
    changed = {k for k in first if first[k] != other[k]}
    # the config does not depend on the seed except for its header line; every data file does,
    # but the declared usage: a statement of a run elsewhere, not sampled data
    declared = {k for k in first if k.startswith("landing/declared/")}
    assert declared and declared.isdisjoint(changed)
    assert {k for k in first if k.startswith("landing/")} - declared <= changed


def test_refuses_to_write_over_a_previous_fleet(fleet2: Path, tmp_path: Path) -> None:
    generate_fleet(tmp_path, days=1)
    with pytest.raises(FileExistsError, match="landing"):
        generate_fleet(tmp_path, days=1)
    generate_fleet(tmp_path, days=2, overwrite=True)
    assert _hashes(tmp_path / "landing") == _hashes(fleet2 / "landing")


# --- config ---------------------------------------------------------------------------------


def test_config_validates_and_describes_the_fleet(fleet2: Path, cfg2: Config) -> None:
    assert cfg2.start_date == START
    assert cfg2.landing_dir == fleet2 / "landing"
    assert cfg2.warehouse_path == fleet2 / "warehouse" / "wattprint.duckdb"
    assert cfg2.reports_dir == fleet2 / "reports"
    hosts = cfg2.host_rows()
    assert sum(h["gpus"] for h in hosts) == 128
    assert {h["site"] for h in hosts} == {"stockholm", "virginia"}
    assert len({h["gpu_model"] for h in hosts}) == 2
    zones = {s.grid_zone: s.annual_gco2e_per_kwh for s in cfg2.sites.values()}
    assert zones["US-MIDA-PJM"] > 10 * zones["SE-SE3"]
    for site in cfg2.sites.values():
        assert "not" not in site.pue_source and "not" not in site.annual_gco2e_source
    for model in cfg2.gpu_models.values():
        assert "datasheet" in model.source


def test_example_config_matches_the_demo(fleet2: Path) -> None:
    example = ROOT / "wattprint.example.yaml"
    load_config(example)
    demo = yaml.safe_load((fleet2 / "wattprint.yaml").read_text())
    ex = yaml.safe_load(example.read_text())
    assert ex == demo


# --- layout and formats ---------------------------------------------------------------------


def test_layout(fleet2: Path, cfg2: Config) -> None:
    landing = fleet2 / "landing"
    hosts = {h["host"] for h in cfg2.host_rows()}
    assert {p.name for p in (landing / "telemetry").iterdir()} == hosts
    for host in hosts:
        names = sorted(p.name for p in (landing / "telemetry" / host).iterdir())
        assert names and all(re.fullmatch(r"nvidia-smi-\d{4}-\d{2}-\d{2}\.csv", n) for n in names)
    assert sorted(p.name for p in (landing / "telemetry" / "use1-a100-01").iterdir()) == [
        "nvidia-smi-2026-09-30.csv",  # 00:00 UTC is 20:00 the day before in New York
        "nvidia-smi-2026-10-01.csv",
        "nvidia-smi-2026-10-02.csv",
    ]
    for site in ("stockholm", "virginia"):
        assert (landing / "slurm" / site / "sacct-2026-10-01-2026-10-03.txt").is_file()
    assert (landing / "serving" / "requests-2026-10.csv").is_file()
    assert (landing / "billing" / "focus-2026-10.csv").is_file()
    for zone in ("SE-SE3", "US-MIDA-PJM"):
        assert (landing / "grid" / f"electricitymaps-{zone}-2026.csv").is_file()


LINE = re.compile(
    r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{3}, [0-7], "
    r"GPU-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}, "
    r"NVIDIA (H100 80GB HBM3|A100-SXM4-40GB), (\d+\.\d\d W|\[N/A\]), \d{1,3} %, \d+ MiB"
)


def test_telemetry_is_nvidia_smi_csv(fleet2: Path, cfg2: Config) -> None:
    na = 0
    for path in sorted((fleet2 / "landing" / "telemetry").rglob("*.csv")):
        lines = path.read_text().splitlines()
        assert lines[0] == (
            "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"
        )
        bad = [ln for ln in lines[1:] if not LINE.fullmatch(ln)]
        assert not bad, f"{path}: {bad[:3]}"
        na += sum("[N/A]" in ln for ln in lines)
    assert na == 1

    df = _telemetry(fleet2).join(_hosts(cfg2), on="host")
    # every poll reports the 8 GPUs in index order, with one timestamp
    polls = df.group_by("host", "local_ts").agg(pl.col("index"))
    assert polls["index"].list.len().unique().to_list() == [8]
    # UUIDs are stable per GPU and unique across the fleet
    per_gpu = df.group_by("host", "index").agg(
        pl.col("uuid").n_unique().alias("n"), pl.first("uuid")
    )
    assert per_gpu["n"].max() == 1 and per_gpu["uuid"].n_unique() == 128
    # timestamps are local: the period starts at 00:00 UTC in both zones
    for tz, part in df.partition_by("tz", as_dict=True).items():
        first = part["local_ts"].min()
        expected = datetime(2026, 10, 1, tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz[0]))
        assert first.replace(microsecond=0) == expected.replace(tzinfo=None)
        # each file holds exactly one local day
        days = part.select(pl.col("local_ts").dt.strftime("%Y-%m-%d") == pl.col("file_day"))
        assert days.to_series().all()


def test_telemetry_gap_of_one_hour_on_one_host(fleet2: Path) -> None:
    df = _telemetry(fleet2).filter(pl.col("index") == 0).sort("host", "local_ts")
    gaps = df.group_by("host").agg(
        pl.col("local_ts").diff().dt.total_seconds().max().alias("max_gap_s")
    )
    long = gaps.filter(pl.col("max_gap_s") > 302)
    assert long["host"].to_list() == ["use1-a100-02"]
    assert 3600 <= long["max_gap_s"][0] <= 3600 + 302


def test_sacct_is_parsable2(fleet2: Path, cfg2: Config) -> None:
    hosts = {h["host"] for h in cfg2.host_rows()}
    rows = _sacct_jobs(fleet2)
    header = (fleet2 / "landing/slurm/stockholm/sacct-2026-10-01-2026-10-03.txt").read_text()
    assert header.splitlines()[0] == (
        "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment"
    )
    jobs = [r for r in rows if "." not in r["JobID"]]
    steps = [r for r in rows if "." in r["JobID"]]
    assert {s["JobID"].split(".")[1] for s in steps} >= {"batch", "extern"}
    assert {s["JobID"].split(".")[0] for s in steps} <= {j["JobID"] for j in jobs}
    for r in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r["Start"])
        assert r["End"] == "Unknown" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r["End"])
        assert set(hostlist.expand_hostlist(r["NodeList"])) <= hosts
        tres = dict(kv.split("=") for kv in r["AllocTRES"].split(","))
        typed = [v for k, v in tres.items() if k.startswith("gres/gpu:")]
        assert typed == [tres["gres/gpu"]]
        assert int(tres["node"]) == len(hostlist.expand_hostlist(r["NodeList"]))
    states = {j["State"].split(" ")[0] for j in jobs}
    assert {"RUNNING", "COMPLETED", "FAILED", "CANCELLED"} <= states
    for j in jobs:
        assert (j["End"] == "Unknown") == (j["State"] == "RUNNING")
    # compressed host lists
    assert any(re.fullmatch(r"sto-h100-\[001-008\]", j["NodeList"]) for j in jobs)


def _classify(job: dict[str, str], cfg: Config) -> tuple[str, str | None]:
    """Tags first, then the ordered rules: what the pipeline is expected to do."""
    if job["Comment"]:
        tags = dict(kv.split("=") for kv in job["Comment"].split(","))
        return tags["phase"], tags.get("model")
    fields = {"job_name": job["JobName"], "partition": job["Partition"], "account": job["Account"]}
    for rule in cfg.phase_rules:
        m = re.search(rule.pattern, fields.get(rule.field, ""))
        if m:
            return rule.phase, rule.model.format(**m.groupdict()) if rule.model else None
    return "unclassified", None


def test_jobs_cover_every_phase_and_tags_win(fleet2: Path, cfg2: Config) -> None:
    jobs = [r for r in _sacct_jobs(fleet2) if "." not in r["JobID"]]
    got = {(j["JobName"], j["site"]): _classify(j, cfg2) for j in jobs}
    assert {p for p, _ in got.values()} == {
        "training",
        "fine_tuning",
        "evaluation",
        "inference",
        "development",
        "unclassified",
    }
    assert got[("pretrain-atlas-7b", "stockholm")] == ("training", "atlas-7b")
    assert got[("serve-orca-1b-canary", "stockholm")] == ("evaluation", "orca-1b")
    assert got[("eval-mtbench-atlas-7b-chat", "virginia")] == ("evaluation", "atlas-7b-chat")
    served = {m for (name, _), (p, m) in got.items() if p == "inference"}
    assert served == {"atlas-7b-chat", "orca-1b", "lynx-13b"}
    pretrain = [j for j in jobs if j["JobName"] == "pretrain-atlas-7b"]
    assert [j["State"] for j in pretrain] == ["FAILED", "COMPLETED"]
    assert hostlist.expand_hostlist(pretrain[0]["NodeList"]) == [
        f"sto-h100-{i:03d}" for i in range(1, 9)
    ]
    # the restart waits for the failed node: a gap of hours, not seconds
    gap = datetime.fromisoformat(pretrain[1]["Start"]) - datetime.fromisoformat(pretrain[0]["End"])
    assert timedelta(hours=3) <= gap <= timedelta(hours=4)


def _no_oversubscription(root: Path, cfg: Config, days: int) -> None:
    tz = {k: v.timezone for k, v in cfg.sites.items()}
    end_of_period = datetime(2026, 10, 1, tzinfo=ZoneInfo("UTC")) + timedelta(days=days)
    events: dict[str, list[tuple[datetime, int]]] = {}
    for j in _sacct_jobs(root):
        if "." in j["JobID"]:
            continue
        start = _utc(j["Start"], tz[j["site"]])
        end = end_of_period if j["End"] == "Unknown" else _utc(j["End"], tz[j["site"]])
        gpus = int(dict(kv.split("=") for kv in j["AllocTRES"].split(","))["gres/gpu"])
        nodes = hostlist.expand_hostlist(j["NodeList"])
        for h in nodes:
            per_node = gpus // len(nodes)
            events.setdefault(h, []).extend([(start, per_node), (end, -per_node)])
    assert events
    for host, ev in events.items():
        level = 0
        for _, delta in sorted(ev, key=lambda e: (e[0], e[1])):  # releases before grants
            level += delta
            assert 0 <= level <= 8, f"{host} oversubscribed"


def test_no_node_is_oversubscribed(fleet2: Path, cfg2: Config) -> None:
    _no_oversubscription(fleet2, cfg2, 2)


@pytest.mark.parametrize(("days", "start"), [(1, START), (3, date(2026, 10, 24)), (5, START)])
def test_other_lengths_and_a_dst_change(tmp_path: Path, days: int, start: date) -> None:
    summary = build_fleet(tmp_path, days=days, start=start)
    cfg = load_config(summary.config_path)
    assert cfg.start_date == start
    assert summary.telemetry_rows == pytest.approx(days * 288 * 128, rel=0.01)
    if start == date(2026, 10, 24):
        # Stockholm falls back on 25 October: that local day has 25 hours of polls
        day = tmp_path / "landing/telemetry/sto-h100-001/nvidia-smi-2026-10-25.csv"
        assert len(day.read_text().splitlines()) - 1 == 25 * 12 * 8


def test_power_within_physical_envelope(fleet2: Path, cfg2: Config) -> None:
    df = _telemetry(fleet2).join(_hosts(cfg2), on="host")
    assert df.filter(pl.col("w").is_null())["power_raw"].to_list() == ["[N/A]"]
    bad = df.filter((pl.col("w") < pl.col("idle_w") * 0.9) | (pl.col("w") > pl.col("tdp_w") * 1.02))
    assert bad.is_empty(), bad.head()
    # GPUs nobody holds (no memory in use) draw near idle power, busy ones far more
    idle = df.filter((pl.col("util") == 0) & (pl.col("mem") == 0))
    assert idle.height > 1000
    assert (idle["w"] < idle["idle_w"] * 1.2).all()
    assert df.filter(pl.col("util") >= 90)["w"].min() > 0.8 * df["tdp_w"].min()
    assert df["mem"].max() <= 81559


def test_serving_stats(fleet2: Path, cfg2: Config) -> None:
    df = pl.read_csv(fleet2 / "landing/serving/requests-2026-10.csv")
    assert df.columns == [
        "hour",
        "model",
        "deployment",
        "requests",
        "input_tokens",
        "output_tokens",
    ]
    assert df["hour"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:00:00Z$").all()
    assert set(df["model"]) == {"atlas-7b-chat", "orca-1b", "lynx-13b"}
    assert (df["requests"] > 0).all()
    # hours only while the model's serve job runs at that deployment's site
    tz = {k: v.timezone for k, v in cfg2.sites.items()}
    windows = {}
    for j in _sacct_jobs(fleet2):
        if "." in j["JobID"] or not j["JobName"].startswith("serve-") or j["Comment"]:
            continue
        start = _utc(j["Start"], tz[j["site"]]).replace(tzinfo=None)
        windows[(j["JobName"].removeprefix("serve-"), j["site"])] = start
    for model, dep, hour in df.select("model", "deployment", "hour").iter_rows():
        start = windows[(model, SITE_OF_DEPLOYMENT[dep])]
        assert datetime.fromisoformat(hour.rstrip("Z")) + timedelta(hours=1) > start
    # a daily cycle, and token counts that differ by model
    per = df.group_by("model").agg(
        (pl.col("output_tokens").sum() / pl.col("requests").sum()).alias("out_per_req"),
        (pl.col("requests").max() / pl.col("requests").min()).alias("swing"),
    )
    assert per["out_per_req"].n_unique() == 3
    assert (per["swing"] > 2).all()


def test_focus_billing(fleet2: Path) -> None:
    path = fleet2 / "landing/billing/focus-2026-10.csv"
    text = path.read_text()
    df = pl.read_csv(path, null_values="NULL", infer_schema_length=0)
    sample = SHARED / "focus_sample_data" / "focus_sample.csv"
    if sample.exists():
        assert text.splitlines()[0] == sample.read_text().splitlines()[0]
    assert ",NULL," in text and '"Usage"' in text  # quoted strings, unquoted NULL
    df = df.with_columns(pl.col("BilledCost", "EffectiveCost", "ListCost").cast(pl.Float64))
    compute = df.filter(pl.col("ResourceType") == "instance")
    assert set(compute["ResourceName"]) == {f"use1-a100-0{i}" for i in range(1, 5)}
    assert compute["ResourceId"].str.contains(r"^i-0[0-9a-f]{16}$").all()
    assert compute.height == 4 * 48
    assert (compute["ListCost"] == 32.7726).all()
    assert (compute["EffectiveCost"] < compute["ListCost"]).any()
    assert set(df["ServiceCategory"]) >= {"Compute", "Storage", "Other"}
    tags = [json.loads(t) for t in df["Tags"].drop_nulls()]
    assert {"team": "serving", "phase": "inference", "model": "lynx-13b"} in tags
    assert df["Tags"].null_count() > 0
    # a fully used savings plan: the invoice and the amortised view agree in total
    assert df["BilledCost"].sum() == pytest.approx(df["EffectiveCost"].sum(), abs=0.01)


def test_grid_files(fleet2: Path) -> None:
    sample = SHARED / "electricitymaps_hourly" / "DE_2023_hourly.csv"
    expect = sample.read_text(encoding="utf-8").splitlines()[0] if sample.exists() else None
    hours = {}
    for zone in ("SE-SE3", "US-MIDA-PJM"):
        path = fleet2 / "landing/grid" / f"electricitymaps-{zone}-2026.csv"
        if expect:
            assert path.read_text(encoding="utf-8").splitlines()[0] == expect
        df = pl.read_csv(path, infer_schema_length=0)
        assert set(df["Zone Id"]) == {zone}
        ts = df["Datetime (UTC)"].str.to_datetime("%Y-%m-%d %H:%M:%S")
        assert ts.min() == datetime(2026, 9, 30) and ts.max() == datetime(2026, 10, 3, 23)
        hours[zone] = ts.len()
        direct = df["Carbon Intensity gCO₂eq/kWh (direct)"].cast(pl.Float64)
        lo, hi = (10, 60) if zone == "SE-SE3" else (250, 500)
        assert direct.min() >= lo and direct.max() <= hi
        est = df.filter(pl.col("Data Estimated") == "true")
        assert 1 <= est.height <= 5
        assert (est["Data Estimation Method"] == "ESTIMATED_TIME_SLICER_AVERAGE").all()
        assert df.filter(pl.col("Data Estimated") == "false")["Data Estimation Method"].null_count()
    assert hours == {"SE-SE3": 96, "US-MIDA-PJM": 93}  # a 3-hour hole inside the period


def test_fourteen_day_fleet_energy_is_plausible(fleet14: Path) -> None:
    cfg = load_config(fleet14 / "wattprint.yaml")
    df = _telemetry(fleet14).join(_hosts(cfg), on="host")
    assert df.height > 500_000
    assert df.filter(
        (pl.col("w") < pl.col("idle_w") * 0.9) | (pl.col("w") > pl.col("tdp_w") * 1.02)
    ).is_empty()
    _no_oversubscription(fleet14, cfg, 14)
    # each sample stands for one 300 s poll interval
    kwh = df.select((pl.col("w").fill_null(strategy="forward") * 300 / 3.6e6).sum()).item()
    gpu_hours = 128 * 14 * 24
    floor = sum(h["idle_w"] * 0.9 for h in cfg.host_rows() for _ in range(8)) * 14 * 24 / 1000
    ceiling = sum(h["tdp_w"] * 1.02 for h in cfg.host_rows() for _ in range(8)) * 14 * 24 / 1000
    tdp_kwh = sum(h["tdp_w"] * 8 for h in cfg.host_rows()) * 14 * 24 / 1000
    assert floor < kwh < ceiling
    # two thirds of the H100s train for ~10 of 14 days at ~95 %, the rest serve at 20-80 % or
    # idle: the fleet should average roughly half of its TDP
    assert 0.4 * tdp_kwh < kwh < 0.75 * tdp_kwh, (kwh, tdp_kwh, gpu_hours)


def test_every_file_reads_with_the_real_readers(fleet2: Path, cfg2: Config) -> None:
    from pipeline.readers import ReadContext, read_file

    expected = {
        "telemetry": "nvidia-smi-csv",
        "slurm": "slurm-sacct",
        "serving": "serving-csv",
        "requests": "request-log-csv",
        "billing": "focus-csv",
        "grid": "electricitymaps-csv",
        "power": "node-power-csv",
        "declared": "declared-usage-csv",
    }
    ctx = ReadContext(cfg2.timezone_for_path)
    seen = set()
    for path in sorted(p for p in cfg2.landing_dir.rglob("*") if p.is_file()):
        result = read_file(path, ctx)
        folder = path.relative_to(cfg2.landing_dir).parts[0]
        assert result.format == expected[folder], path
        assert result.rows_quarantined == 0, [str(p) for p in result.problems[:3]]
        assert result.rows_read == len(path.read_text().splitlines()) - 1
        seen.add(folder)
        if folder == "telemetry" and path.parent.name == "sto-h100-001":
            # local 02:00 in Stockholm is the period's first UTC midnight
            first = result.frame["ts_utc"].min()
            assert first is not None and first >= datetime(2026, 10, 1)
    assert seen == set(expected)


def test_request_log_agrees_with_the_hourly_serving_stats(fleet2: Path) -> None:
    """lynx-13b's audit hour (06:00 UTC) is logged request by request: as many requests and
    exactly the tokens the hourly statistics count for that hour, each request inside it."""
    log = pl.read_csv(fleet2 / "landing/requests/request-log-2026-10.csv")
    assert log.columns == ["startTime", "endTime", "model", "prompt_tokens", "completion_tokens"]
    assert set(log["model"]) == {"lynx-13b"}
    per_hour = (
        log.with_columns(hour=pl.col("startTime").str.slice(0, 13) + ":00:00Z")
        .group_by("hour")
        .agg(
            requests=pl.len(),
            input_tokens=pl.col("prompt_tokens").sum(),
            output_tokens=pl.col("completion_tokens").sum(),
        )
        .sort("hour")
    )
    stats = pl.read_csv(fleet2 / "landing/serving/requests-2026-10.csv").filter(
        (pl.col("model") == "lynx-13b") & pl.col("hour").str.contains("T06:00:00Z")
    )
    assert per_hour["hour"].to_list() == ["2026-10-01T06:00:00Z", "2026-10-02T06:00:00Z"]
    assert (
        per_hour.drop("hour").rows()
        == stats.select("requests", "input_tokens", "output_tokens").rows()
    )
    assert (log["endTime"] > log["startTime"]).all()
