"""Billing readers, filling raw_billing in FOCUS columns: FOCUS (CSV and Parquet), AWS CUR and
CUR 2.0, Azure cost exports, OCI cost reports."""
