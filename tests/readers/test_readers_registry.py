"""Reader registry: content-based detection, the public API, and each format's frame against the
raw table DDL in sql/ (the contract the loader relies on)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline import warehouse
from pipeline.readers import (
    FORMATS,
    ReadContext,
    UnreadableFileError,
    detect_format,
    read_file,
)

REPO = Path(__file__).resolve().parents[2]

SAMPLES = {
    "nvidia-smi-csv": (
        "timestamp, index, uuid, name, power.draw [W], utilization.gpu [%], memory.used [MiB]\n"
        "2024/01/15 10:00:00.123, 0, GPU-0a, NVIDIA H100 80GB HBM3, 250.12 W, 45 %, 1000 MiB\n"
    ),
    "slurm-sacct": (
        "JobID|JobName|User|Account|Partition|State|Start|End|NodeList|AllocTRES|Comment\n"
        "77|train|ann|ml|gpu|COMPLETED|2024-01-15T10:00:00|2024-01-15T11:00:00|gpu[001-002]|"
        "gres/gpu=8|x\n"
    ),
    "focus-csv": (
        '"BilledCost","BillingCurrency","ChargePeriodStart","ChargePeriodEnd","ProviderName","Tags"\n'
        '1.5,"USD","2024-09-01 00:00:00","2024-09-01 01:00:00","AWS",NULL\n'
    ),
    "electricitymaps-csv": (
        "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
        "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,"
        "Data Source,Data Estimated,Data Estimation Method\n"
        "2023-01-01 00:00:00,Germany,Germany,DE,152.03,199.59,82.97,77.71,entsoe.eu,false,\n"
    ),
    "serving-csv": (
        "hour,model,deployment,requests,input_tokens,output_tokens\n"
        "2026-10-01T05:00:00Z,atlas-7b,prod-eu,1200,480000,96000\n"
    ),
    "node-power-csv": "timestamp,host,node_power_w\n2026-10-01T05:00:00Z,gpu-01,1234.5 W\n",
    "request-log-csv": (
        "startTime,endTime,model,prompt_tokens,completion_tokens\n"
        "2026-10-01T05:00:01Z,2026-10-01T05:00:03Z,atlas-7b,512,128\n"
    ),
    "request-log-jsonl": (
        '{"id": "chatcmpl-1", "object": "chat.completion", "created": 1790830801, '
        '"model": "atlas-7b", "usage": {"prompt_tokens": 512, "completion_tokens": 128}}\n'
    ),
    "aws-cur-legacy-csv": (
        "identity/LineItemId,bill/PayerAccountId,lineItem/LineItemType,lineItem/UsageStartDate,"
        "lineItem/UsageEndDate,lineItem/ProductCode,lineItem/ResourceId,lineItem/UsageAmount,"
        "lineItem/CurrencyCode,lineItem/UnblendedCost,product/ProductName,product/region,"
        "resourceTags/user:team\n"
        "li1,123412340534,Usage,2023-11-05T04:00:00.000Z,2023-11-05T05:00:00.000Z,AmazonEC2,"
        "i-0abc,1.0,USD,3.06,Amazon Elastic Compute Cloud,us-east-1,ml\n"
    ),
    "aws-cur2-csv": (
        "bill_payer_account_id,line_item_line_item_type,line_item_usage_start_date,"
        "line_item_usage_end_date,line_item_product_code,line_item_resource_id,"
        "line_item_usage_amount,line_item_currency_code,line_item_unblended_cost,product,"
        "product_region_code,resource_tags\n"
        "123412340534,Usage,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,AmazonEC2,i-0abc,1.0,USD,"
        '3.06,"{""product_name"": ""Amazon EC2""}",us-east-1,"{""user_team"": ""ml""}"\n'
    ),
    "azure-cost-csv": (
        "BillingAccountId,Date,MeterCategory,Quantity,CostInBillingCurrency,BillingCurrencyCode,"
        "ResourceId,ChargeType,PricingModel,Tags\n"
        "12345678,9/2/2023,Virtual Machines,24,2.64,CAD,/subscriptions/s/vm1,Usage,OnDemand,"
        '"""team"": ""ml"""\n'
    ),
    "oci-cost-csv": (
        "lineItem/tenantId,lineItem/intervalUsageStart,lineItem/intervalUsageEnd,product/service,"
        "product/resourceId,cost/myCost,cost/currencyCode,tags/Oracle-Tags.CreatedBy\n"
        "ocid1.tenancy.oc1..a,2023-11-13T10:00Z,2023-11-13T11:00:00Z,COMPUTE,"
        "ocid1.instance.oc1..b,0.0122,USD,someone\n"
    ),
    "grid-csv": "zone,datetime_utc,gco2e_per_kwh\nGB,2023-03-14T12:00:00Z,101\n",
    "gb-carbon-intensity-json": (
        '{"data":[{"from":"2023-03-14T12:00Z","to":"2023-03-14T12:30Z",'
        '"intensity":{"forecast":99,"actual":101,"index":"low"}}]}\n'
    ),
    "k8s-pods-json": (
        '{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": '
        '{"name": "vllm-0", "namespace": "serve"}, "spec": {"containers": [{"name": "vllm", '
        '"resources": {"limits": {"nvidia.com/gpu": "1"}}}], "nodeName": "gpu-01"}, "status": '
        '{"phase": "Running", "startTime": "2026-10-01T05:00:00Z"}}], "kind": "List"}\n'
    ),
    "k8s-pods-csv": (
        "namespace,pod,node,gpus,start_utc,end_utc,labels\n"
        "serve,vllm-0,gpu-01,1,2026-10-01T05:00:00Z,,\n"
    ),
    "dcgm-prometheus-text": (
        "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n"
        'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-0a",modelName="NVIDIA H100 80GB HBM3",'
        'Hostname="gpu-01"} 250.5\n'
        'DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-0a",modelName="NVIDIA H100 80GB HBM3",'
        'Hostname="gpu-01"} 45\n'
    ),
    "declared-usage-csv": (
        "run,model,phase,gpu_model,gpus,start,end,gpu_hours,grid_gco2e_per_kwh,pue,source\n"
        "bloom,bloom-176b,training,A100,384,2022-03-11,2022-07-06,1082990,57,1.0,Luccioni 2022\n"
    ),
    "prometheus-range-json": (
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":'
        '{"__name__":"DCGM_FI_DEV_POWER_USAGE","gpu":"0","Hostname":"gpu-01"},'
        '"values":[[1700000000.123,"250.5"]]}]}}\n'
    ),
}
TABLE_OF = {f.name: f.table for f in FORMATS}
DUCKDB_TO_POLARS = {
    "VARCHAR": pl.String,
    "BIGINT": pl.Int64,
    "INTEGER": pl.Int32,
    "DOUBLE": pl.Float64,
    "TIMESTAMP": pl.Datetime("us"),
    "BOOLEAN": pl.Boolean,
    "VARCHAR[]": pl.List(pl.String),
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "node-a" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _ddl(table: str) -> Path:
    """The statement defining a raw table's columns: a warehouse table's CREATE, or for GPU
    samples (Parquet files in the telemetry lake) the lake's schema."""
    name = "schema" if table == "raw_gpu_samples" else "create"
    return REPO / "sql" / "raw" / f"{name}_{table}.sql"


def test_every_format_has_a_sample_and_a_table_ddl() -> None:
    # Parquet formats are tested in their own modules' tests (SAMPLES holds text).
    assert sorted(f.name for f in FORMATS if f.container == "text") == sorted(SAMPLES)
    for fmt in FORMATS:
        assert _ddl(fmt.table).is_file(), fmt.table


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_detection_is_by_content_not_by_name(tmp_path: Path, fmt: str) -> None:
    # A misleading extension must not matter.
    path = _write(tmp_path, "export.parquet", SAMPLES[fmt])
    assert detect_format(path) == fmt
    result = read_file(path)
    assert result.format == fmt
    assert result.table == TABLE_OF[fmt]
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (1, 1, 0)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_frame_matches_the_raw_table_ddl_and_loads(tmp_path: Path, fmt: str) -> None:
    table = TABLE_OF[fmt]
    con = duckdb.connect()
    con.execute(_ddl(table).read_text())
    ddl = warehouse.run(con, "select_table_columns", {"table": table}).fetchall()
    frame = read_file(_write(tmp_path, "in.txt", SAMPLES[fmt])).frame
    assert frame.columns == [row[0] for row in ddl]
    assert dict(frame.schema) == {row[0]: DUCKDB_TO_POLARS[row[1]] for row in ddl}
    con.from_arrow(frame.to_arrow()).insert_into(table)
    assert len(con.table(table).fetchall()) == 1


def test_source_path_is_the_path_as_given(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.csv", SAMPLES["serving-csv"])
    assert read_file(path).frame["source_path"].to_list() == [str(path)]


def test_unknown_format_names_file_and_formats_tried(tmp_path: Path) -> None:
    path = _write(tmp_path, "notes.csv", "name,colour\nwidget,blue\n")
    with pytest.raises(UnreadableFileError) as err:
        read_file(path)
    message = str(err.value)
    assert str(path) in message
    assert "line 1 starts 'name,colour'" in message
    for fmt in FORMATS:
        assert (fmt.name in message) == (fmt.container == "text")
    with pytest.raises(UnreadableFileError, match="tried nvidia-smi-csv"):
        detect_format(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "the file is empty"), (b"\n  \n", "only blank lines"), (b"\x89PNG\r\n\x1a\n\x00", "")],
)
def test_empty_blank_and_binary_files_are_unreadable(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "blob"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match="unrecognised file format") as err:
        read_file(path)
    assert expected in str(err.value)


def test_missing_file_is_unreadable_not_oserror(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="cannot open file"):
        read_file(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFileError, match="cannot open file"):
        detect_format(tmp_path)


def test_bad_time_zone_from_config_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "smi.csv", SAMPLES["nvidia-smi-csv"])
    with pytest.raises(UnreadableFileError, match="'Mars/Olympus' .* not an IANA zone"):
        read_file(path, ReadContext(timezone_for_path=lambda p: "Mars/Olympus"))
