"""Daily partitions for data, monthly for reports, both from the config's start date
(`pipeline/definitions.py` sets them on the assets of groups `method` and `report`)."""

from __future__ import annotations

from datetime import date

import dagster as dg


def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=0)


def monthly_partitions(start: date) -> dg.MonthlyPartitionsDefinition:
    """Month to date while a month runs (end_offset 1: the running month is a partition)."""
    return dg.MonthlyPartitionsDefinition(start_date=start.replace(day=1).isoformat(), end_offset=1)
