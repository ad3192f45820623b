"""Bad input: each problem names the file and line and says what was expected, good rows still
land, and no corruption of a valid file makes a reader raise anything but UnreadableFileError or
lose a row."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.readers import (
    FORMATS,
    READER_MODULES,
    ReadContext,
    UnreadableFileError,
    read_file,
)
from tests.fuzz import corrupted

STOCKHOLM = ReadContext(timezone_for_path=lambda p: "Europe/Stockholm")
SMI_HEADER = "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]"


def smi_row(second: int, index: int, power: str) -> str:
    return (
        f"2024/01/15 10:00:{second:02d}.000, {index}, GPU-{index:04d}, NVIDIA H100 80GB HBM3, "
        f"{power}, 45 %, 1024 MiB"
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gpu-node-03" / "smi-20240115.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_last_line(tmp_path: Path) -> None:
    good = [smi_row(0, 0, "250.12 W"), smi_row(0, 1, "251.00 W"), smi_row(1, 0, "249.50 W")]
    # A logger killed mid-write: no newline at the end, fields missing.
    path = write(tmp_path, "\n".join([SMI_HEADER, *good, "2024/01/15 10:00:01.000, 1, GPU-00"]))
    result = read_file(path)
    assert result.frame["line"].to_list() == [2, 3, 4]
    assert result.frame["power_w"].to_list() == [250.12, 251.0, 249.5]
    [problem] = result.problems
    assert problem.line == 5
    assert problem.reason == (
        "expected 7 fields separated by ', ' as in the header on line 1 (timestamp, index, uuid, "
        "name, power.draw, utilization.gpu, memory.used), got 3"
    )
    assert problem.raw == "2024/01/15 10:00:01.000, 1, GPU-00"
    quarantine = result.quarantine_frame()
    assert quarantine.row(0) == (str(path), 5, problem.reason, problem.raw)


def test_non_numeric_power(tmp_path: Path) -> None:
    lines = [SMI_HEADER, smi_row(0, 0, "250.12 W"), smi_row(0, 1, "abc W"), smi_row(1, 0, "9 W")]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [2, 4]
    [problem] = result.problems
    assert problem.line == 3
    assert problem.reason == "power.draw: expected a number in W like '250.12 W', got 'abc W'"
    assert str(problem) == f"line 3: {problem.reason}"


def test_negative_power(tmp_path: Path) -> None:
    lines = [SMI_HEADER, smi_row(0, 0, "-12.50 W"), smi_row(0, 1, "251.00 W")]
    result = read_file(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.frame["line"].to_list() == [3]
    assert result.frame["gpu_index"].to_list() == [1]
    [problem] = result.problems
    assert problem.line == 2
    assert problem.reason == "power.draw: expected a non-negative power in W, got '-12.50 W'"


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "landing" / "mystery.csv"
    path.parent.mkdir()
    path.write_text("when,what,how_much\n2024-01-15,coffee,3\n")
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}: unrecognised file format")
    assert "line 1 starts 'when,what,how_much'" in message
    text_formats = [f.name for f in FORMATS if f.container == "text"]
    assert message.endswith("tried " + ", ".join(text_formats))


def test_undecodable_bytes_quarantine_one_line_only(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    body = [SMI_HEADER, smi_row(0, 0, "250 W"), smi_row(0, 1, "251 W"), smi_row(1, 0, "252 W")]
    data = "\n".join(body).encode().replace(b"GPU-0001", b"GPU-\xff\xfe01") + b"\n"
    path.write_bytes(data)
    result = read_file(path)
    assert result.frame["line"].to_list() == [2, 4]
    [problem] = result.problems
    assert (problem.line, problem.reason) == (
        3,
        "line is not valid UTF-8 text (undecodable bytes or NUL); expected a text line",
    )


def test_truncated_sacct_and_focus_files(tmp_path: Path) -> None:
    sacct = tmp_path / "sacct.txt"
    sacct.write_text("JobID|State|AllocTRES\n1|COMPLETED|gres/gpu=4\n2|COMPLE")
    result = read_file(sacct)
    assert result.frame["job_id"].to_list() == ["1"]
    assert [(p.line, p.reason) for p in result.problems] == [
        (
            3,
            "expected 3 '|'-separated fields as in the header on line 1 (JobID|State|AllocTRES), "
            "got 2",
        )
    ]
    bill = tmp_path / "bill.csv"
    bill.write_text(
        '"BilledCost","BillingCurrency","ChargePeriodStart"\n'
        '1.0,"USD","2024-09-01 00:00:00"\n2.0,"USD","2024-09-0'
    )
    result = read_file(bill)
    assert result.frame["billed_cost"].to_list() == [1.0]
    assert [p.line for p in result.problems] == [3]
    assert "ChargePeriodStart: expected an ISO-8601 UTC time" in result.problems[0].reason


# --- properties: random corruption of a valid file ---------------------------------------------

VALID = {
    "nvidia-smi-csv": "\n".join(
        [SMI_HEADER]
        + [
            smi_row(s, i, p)
            for s, i, p in [(0, 0, "250.12 W"), (0, 1, "[N/A]"), (1, 0, "249 W"), (1, 1, "251 W")]
        ]
        + ["2024/03/31 03:00:00.000, 0, GPU-0000, NVIDIA H100 80GB HBM3, 100 W, 1 %, 1 MiB"]
    )
    + "\n",
    "slurm-sacct": "\n".join(
        [
            "# sacct --parsable2",
            "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment",
            "101|train|ann|ml|gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00|gpu[01-04]"
            "|gres/gpu:h100=32,gres/gpu=32,node=4|phase=train",
            "101.batch|batch|||gpu|COMPLETED|2024-10-27T01:30:00|2024-10-27T02:30:00|gpu01"
            "|cpu=8,gres/gpu=8|",
            "102_3|eval|bob|ml|gpu|RUNNING|2024-10-27T03:00:00|Unknown|gpu05|gres/gpu:a100=2|",
            "#",
            "JobID|AllocTRES|",
            "103|gres/gpu=1|",
        ]
    )
    + "\n",
    "focus-csv": "\n".join(
        [
            '"BilledCost","EffectiveCost","BillingCurrency","ChargePeriodStart","ResourceId","Tags"',
            '1.5,1.2,"USD","2024-09-01 00:00:00","i-0abc","{""team"": ""ml""}"',
            '2.0,NULL,"EUR","2024-09-01 01:00:00",NULL,NULL',
            '0.5,0.5,"USD","2024-09-01 02:00:00","disk, ssd",NULL',
        ]
    )
    + "\n",
    "electricitymaps-csv": "\n".join(
        [
            "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
            "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
            "Data Source,Data Estimated,Data Estimation Method",
            "2023-01-01 00:00:00,Germany,Germany,DE,152.03,199.59,82.97,77.71,entsoe.eu,false,",
            '2023-01-01 01:00:00,USA,"Texas, Inc.",US-TEX-ERCO,224.47,266.39,62.69,50.27,eia.gov,'
            "true,ESTIMATED_TIME_SLICER_AVERAGE",
        ]
    )
    + "\n",
    "serving-csv": "\n".join(
        [
            "hour,model,deployment,requests,input_tokens,output_tokens",
            "2026-10-01T05:00:00Z,atlas-7b,prod-eu,1200,480000,96000",
            "2026-10-01 06:00:00,atlas-7b,,3,,",
        ]
    )
    + "\n",
    "request-log-csv": "\n".join(
        [
            "startTime,endTime,model,prompt_tokens,completion_tokens",
            "2026-10-01T05:00:01.250Z,2026-10-01T05:00:03Z,atlas-7b,512,128",
            "1790830802,1790830804,atlas-7b,0,7",
        ]
    )
    + "\n",
    "request-log-jsonl": "\n".join(
        [
            '{"id": "c1", "created": 1790830801, "model": "atlas-7b", '
            '"usage": {"prompt_tokens": 512, "completion_tokens": 128}}',
            '{"timestamp": "2026-10-01T05:00:02Z", "model": "atlas-7b", "input_tokens": 3, '
            '"output_tokens": 4, "latency_ms": 850, "energy_j": 36}',
        ]
    )
    + "\n",
    "declared-usage-csv": "run,model,phase,gpu_model,gpus,start,end,duration_h,gpu_hours,site,"
    "grid_gco2e_per_kwh,pue,source\n"
    "bloom,bloom-176b,training,A100,384,2022-03-11,2022-07-06,,1082990,,57,1.0,Luccioni 2022\n"
    'gpt3,gpt-3,training,V100,10000,2020-05-01T00:00:00Z,,355.2,,,429,1.1,"Patterson, Table 4"\n',
    "node-power-csv": "timestamp,host,power\n2026-10-01T05:00:00Z,gpu-01,1234.5 W\n"
    "2026-10-25 02:30:00,gpu-02,980\n",
    "grid-csv": "zone,datetime_utc,gco2e_per_kwh,cfe_pct,is_estimated,data_source\n"
    "GB,2023-03-14T12:00:00Z,101,,false,carbonintensity.org.uk\n"
    "GB,2023-03-14 12:30:00,95.5,41.2,true,\n"
    "DE,2023-03-14T13:00:00+01:00,,,,\n",
    "gb-carbon-intensity-json": json.dumps(
        {
            "data": [
                {
                    "from": "2023-03-14T12:00Z",
                    "to": "2023-03-14T12:30Z",
                    "intensity": {"forecast": 99, "actual": 101, "index": "low"},
                },
                {
                    "from": "2023-03-14T12:30Z",
                    "to": "2023-03-14T13:00Z",
                    "intensity": {"forecast": 100.5, "actual": None, "index": "low"},
                },
            ]
        },
        indent=4,
    )
    + "\n",
    "aws-cur-legacy-csv": "\n".join(
        [
            "identity/LineItemId,bill/PayerAccountId,lineItem/LineItemType,"
            "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,"
            "lineItem/ResourceId,lineItem/UsageAmount,lineItem/CurrencyCode,"
            "lineItem/UnblendedCost,lineItem/LineItemDescription,product/ProductName,"
            "product/region,savingsPlan/SavingsPlanEffectiveCost,resourceTags/user:team",
            "a1,111,Usage,2024-10-27T01:00:00Z,2024-10-27T02:00:00Z,AmazonEC2,i-0abc,1.0,USD,"
            '3.06,"g5, on demand",Amazon Elastic Compute Cloud,us-east-1,,ml',
            "a2,111,SavingsPlanCoveredUsage,2024-10-27T02:00:00.000Z,2024-10-27T03:00:00.000Z,"
            "AmazonEC2,i-0abc,1.0,USD,3.06,covered,Amazon Elastic Compute Cloud,us-east-1,1.9,",
            "a3,111,Tax,2024-10-01T00:00:00Z,2024-11-01T00:00:00Z,AmazonEC2,,1.0,EUR,0.25,tax,,,,",
        ]
    )
    + "\n",
    "aws-cur2-csv": "\n".join(
        [
            "bill_payer_account_id,line_item_line_item_type,line_item_usage_start_date,"
            "line_item_usage_end_date,line_item_product_code,line_item_resource_id,"
            "line_item_usage_amount,line_item_currency_code,line_item_unblended_cost,"
            "reservation_effective_cost,product,product_region_code,resource_tags",
            "111,Usage,2024-10-27T01:00:00Z,2024-10-27T02:00:00Z,AmazonEC2,i-0abc,1.0,USD,3.06,,"
            '"{""product_name"": ""Amazon EC2"", ""region"": ""us-east-1""}",us-east-1,'
            '"{""user_team"": ""ml"", ""user_phase"": ""train""}"',
            "111,DiscountedUsage,2024-10-27T02:00:00Z,2024-10-27T03:00:00Z,AmazonEC2,i-0abc,1.0,"
            'USD,0,1.2,"{}",us-east-1,"{}"',
            "111,Tax,2024-10-01T00:00:00Z,2024-11-01T00:00:00Z,AmazonEC2,,1.0,EUR,0.25,,,,",
        ]
    )
    + "\n",
    "azure-cost-csv": "\n".join(
        [
            "BillingAccountId,Date,MeterCategory,Quantity,CostInBillingCurrency,"
            "BillingCurrencyCode,ResourceId,ChargeType,PricingModel,Tags",
            "8611537,10/27/2024,Virtual Machines,24,2.64,USD,/subscriptions/s/vm1,Usage,OnDemand,"
            '"""team"": ""ml"",""phase"": ""train"""',
            "8611537,10/26/2024,Virtual Machines,1,3.25,USD,/providers/r,Purchase,Reservation,",
            '8611537,2024-10-27,Storage,0.5,0.01,EUR,"/subscriptions/s/disk, ssd",Usage,OnDemand,'
            '"{""env"": ""prod""}"',
        ]
    )
    + "\n",
    "oci-cost-csv": "\n".join(
        [
            "lineItem/tenantId,lineItem/intervalUsageStart,lineItem/intervalUsageEnd,"
            "product/service,product/resourceId,cost/myCost,cost/currencyCode,"
            "tags/Oracle-Tags.CreatedBy",
            "ocid1.tenancy.oc1..a,2023-11-13T10:00Z,2023-11-13T11:00:00Z,COMPUTE,"
            "ocid1.instance.oc1..b,0.0122,USD,someone",
            "ocid1.tenancy.oc1..a,2023-11-13T11:00Z,2023-11-13T12:00:00Z,DATABASE,,2.3E-9,USD,",
        ]
    )
    + "\n",
    "k8s-pods-json": json.dumps(
        {
            "apiVersion": "v1",
            "items": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "labels": {"wattprint.io/phase": "training"},
                        "name": "train-0",
                        "namespace": "ml",
                    },
                    "spec": {
                        "containers": [
                            {"name": "t", "resources": {"limits": {"nvidia.com/gpu": "8"}}}
                        ],
                        "nodeName": "gpu-01",
                    },
                    "status": {"phase": "Running", "startTime": "2024-10-27T01:30:00Z"},
                },
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "embed-0", "namespace": "serve"},
                    "spec": {
                        "containers": [
                            {
                                "name": "e",
                                "resources": {"requests": {"nvidia.com/mig-3g.40gb": "1"}},
                            }
                        ],
                        "initContainers": [
                            {"name": "i", "resources": {"limits": {"nvidia.com/gpu": "1"}}}
                        ],
                        "nodeName": "gpu-02",
                    },
                    "status": {
                        "containerStatuses": [
                            {"state": {"terminated": {"finishedAt": "2024-10-27T03:00:00Z"}}}
                        ],
                        "phase": "Succeeded",
                        "startTime": "2024-10-27T02:00:00Z",
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "eval-x", "namespace": "batch"},
                    "spec": {"containers": [{"name": "e"}]},
                    "status": {"phase": "Pending"},
                },
            ],
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        },
        indent=4,
        sort_keys=True,
    )
    + "\n",
    "k8s-pods-csv": "\n".join(
        [
            "namespace,pod,node,gpus,start_utc,end_utc,labels",
            'ml,train-0,gpu-01,8,2024-10-27T01:30:00Z,,"{""wattprint.io/phase"": ""training""}"',
            "serve,embed-0,gpu-02,0.428571,2024-10-27 02:00:00,2024-10-27T03:00:00Z,{}",
            "batch,eval-x,,4,,,",
        ]
    )
    + "\n",
    "dcgm-prometheus-text": "\n".join(
        [
            "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).",
            "# TYPE DCGM_FI_DEV_POWER_USAGE gauge",
            'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-0a",modelName="NVIDIA A100 80GB PCIe",'
            'GPU_I_PROFILE="3g.40gb",GPU_I_ID="1",Hostname="gpu-01",namespace="ml",pod="a"} '
            "182.431000 1709294400000",
            'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-0a",modelName="NVIDIA A100 80GB PCIe",'
            'GPU_I_PROFILE="3g.40gb",GPU_I_ID="2",Hostname="gpu-01",namespace="ml",pod="b"} '
            "182.431000 1709294400000",
            'DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-1b",modelName="NVIDIA A100 80GB PCIe",'
            'hostname="gpu-01",hpc_job="4211"} 301.002 1709294400000',
            "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter",
            'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="1",UUID="GPU-1b",hostname="gpu-01"} '
            "120554001938 1709294400000",
            'DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-1b",hostname="gpu-01"} 97 1709294400000',
            'DCGM_FI_DEV_SM_CLOCK{gpu="1",UUID="GPU-1b",hostname="gpu-01"} 1410 1709294400000',
            'DCGM_FI_DEV_POWER_USAGE{gpu="1",UUID="GPU-1b",hostname="gpu-01"} 0 1709294415000',
        ]
    )
    + "\n",
    "prometheus-range-json": json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {"__name__": name, "gpu": gpu, "Hostname": "gpu-01"},
                        "values": [[1700000000.123, value], [1700000015.123, value]],
                    }
                    for gpu in ("0", "1")
                    for name, value in (
                        ("DCGM_FI_DEV_POWER_USAGE", "250.5"),
                        ("DCGM_FI_DEV_GPU_UTIL", "45"),
                        ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "15152422938"),
                    )
                ],
            },
        },
        indent=2,
    )
    + "\n",
}
MODULES = {m.FORMAT: m for m in READER_MODULES if getattr(m, "CONTAINER", "text") == "text"}


def check_invariants(path: Path) -> None:
    try:
        result = read_file(path, STOCKHOLM)
    except UnreadableFileError as err:
        assert str(path) in str(err)
        return
    assert result.rows_read == result.rows_accepted + result.rows_quarantined
    module = MODULES[result.format]
    assert result.frame.schema == module.SCHEMA
    for column in module.NOT_NULL:
        assert result.frame[column].null_count() == 0, column
    physical = len(path.read_bytes().split(b"\n"))
    accepted = result.frame["line"].to_list()
    quarantined = [p.line for p in result.problems]
    assert all(1 <= n <= physical for n in accepted + quarantined)
    assert len(set(accepted)) == len(accepted)
    assert set(accepted).isdisjoint(quarantined)
    assert all(p.reason and len(p.raw) <= 500 for p in result.problems)
    assert result.quarantine_frame().height == result.rows_quarantined
    assert result.frame.filter(pl.col("source_path") != str(path)).height == 0


def test_every_format_has_a_property_sample() -> None:
    # Parquet formats are fuzzed in their own modules' tests (VALID holds text).
    assert sorted(VALID) == sorted(f.name for f in FORMATS if f.container == "text")


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_valid_samples_read_cleanly(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, VALID[fmt])
    result = read_file(path, STOCKHOLM)
    assert result.format == fmt
    assert result.problems == []
    check_invariants(path)


@pytest.mark.parametrize("fmt", sorted(VALID))
@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_corruption_never_raises_or_loses_rows(
    tmp_path: Path, fmt: str, data: st.DataObject
) -> None:
    path = tmp_path / "host-x" / "input.dat"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data.draw(corrupted(VALID[fmt].encode())))
    check_invariants(path)
