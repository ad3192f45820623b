"""AWS Cost and Usage Report 2.0, CSV (snake_case headers such as `line_item_unblended_cost`) →
raw_billing in FOCUS columns. The mapping table and the amortisation rules are in `aws_cur`.

CUR 2.0 keeps product attributes in a `product` map column and tags in a `resource_tags` map
column; a CSV export writes each map as JSON text (`{"product_name": "Amazon Elastic Compute
Cloud", "region": "us-east-1"}`, `{"user_team": "ml"}`). The service name comes from
`product['product_name']` (or a flattened `product_product_name` column), the region from the
fixed `product_region_code` column, else `product['region']`. Tag keys lose CUR 2.0's `user_`
prefix (`user_team` → `team`), as legacy `user:` keys do. A map that is not a JSON object
quarantines its row (like FOCUS Tags).
"""

from __future__ import annotations

import json

from pipeline.readers import _csv
from pipeline.readers._csv import Column
from pipeline.readers._text import TextFile
from pipeline.readers.base import ReadContext, ReadResult
from pipeline.readers.billing import aws_cur

FORMAT = "aws-cur2-csv"
TABLE = aws_cur.TABLE
SCHEMA = aws_cur.SCHEMA
NOT_NULL = aws_cur.NOT_NULL


def _text_or_none(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _tags(parsed: dict) -> str | None:
    pairs = {
        (k[len("user_") :] if k.startswith("user_") and len(k) > len("user_") else k): v
        for k, v in parsed.items()
        if v is not None and v != ""
    }
    return json.dumps(pairs, ensure_ascii=False) if pairs else None


COLUMNS = [
    *aws_cur.columns(2),
    Column(
        "product_map_name",
        ("product",),
        aws_cur.json_map(lambda m: _text_or_none(m.get("product_name"))),
    ),
    Column(
        "product_map_region",
        ("product",),
        aws_cur.json_map(lambda m: _text_or_none(m.get("region"))),
    ),
    Column("tags", ("resource_tags",), aws_cur.json_map(_tags)),
]


def sniff(head: list[str]) -> bool:
    return _csv.has_columns(head, "line_item_unblended_cost", "line_item_usage_start_date")


def read(source: TextFile, ctx: ReadContext) -> ReadResult:
    return aws_cur.read_with(source, FORMAT, COLUMNS, [])
