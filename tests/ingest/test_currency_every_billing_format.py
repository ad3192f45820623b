"""Every billing format refuses a currency code of three capitals that is not ISO 4217 (issue 17):
the real sample export of each format, its currency column set to 'ABC', read and screened as
`wattprint validate` and the ingest do (`screen(read_file(...))`), keeps no row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.plausibility import Limits, screen
from pipeline.readers import ReadContext, read_file

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"

SAMPLES = {
    "focus": ("focus_sample_data/focus_sample.csv", "BillingCurrency"),
    "aws-cur": (
        "focus_converters_samples/aws_cur_sample-anonymous-aws-export-dataset.csv",
        "lineItem/CurrencyCode",
    ),
    "azure-ea": (
        "focus_converters_samples/azure_ea_sample-anonymous-ea-export-dataset.csv",
        "BillingCurrencyCode",
    ),
    "azure-ea-actual": ("finops_toolkit_azure_ea/EA_ActualCost_Small.csv", "BillingCurrency"),
    "oci": (
        "focus_converters_samples/oci_reports_cost-csv_0000000030000269.csv",
        "cost/currencyCode",
    ),
}


def _screened(path: Path):
    return screen(read_file(path, ReadContext()), Limits())


@pytest.mark.parametrize("name", SAMPLES)
def test_a_currency_not_in_iso_4217_is_quarantined_in_every_billing_format(name, tmp_path):
    rel, column = SAMPLES[name]
    source = SHARED / rel
    if not source.is_file():
        pytest.skip(f"sample data not here: {source}")
    clean = _screened(source)
    assert clean.table == "raw_billing" and clean.rows_accepted > 0
    with source.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    at = rows[0].index(column)
    for row in rows[1:]:
        if len(row) > at and row[at].strip():
            row[at] = "ABC"
    bad = tmp_path / source.name
    with bad.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    result = _screened(bad)
    assert result.format == clean.format
    assert result.rows_accepted == 0
    assert result.rows_quarantined == clean.rows_read
    assert all("'ABC'" in p.reason and "ISO 4217" in p.reason for p in result.problems)
