"""Daily partitions for data, monthly for reports, both from the config's start date."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from pipeline.settings import current_config

_start = current_config().start_date
daily = dg.DailyPartitionsDefinition(start_date=_start.isoformat(), end_offset=0)
monthly = dg.MonthlyPartitionsDefinition(start_date=_start.replace(day=1).isoformat(), end_offset=1)


def window(context: dg.AssetExecutionContext) -> tuple[datetime, datetime]:
    """The run's time window as naive UTC datetimes (one partition or a single-run range)."""
    tw = context.partition_time_window
    return tw.start.replace(tzinfo=None), tw.end.replace(tzinfo=None)
