"""Deliver the month's report: e-mail and/or publish folder (`delivery` in the config)."""

import dagster as dg

from pipeline.defs.resources import WattprintResource
from pipeline.delivery import DeliveryError, deliver

# Transient failures (server down or restarting, time-out, 4xx "try later") usually clear within
# minutes: two more tries, 30 s then 60 s later. The ledger makes a retry safe: a channel that
# succeeded is not sent again. Permanent failures (login or recipient refused, 5xx, no report,
# bad setup) fail at once, without retries.
RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


# group `report`: monthly partitions from the config's start date (pipeline/definitions.py)
@dg.asset(
    deps=["disclosure_report"],
    kinds={"email"},
    group_name="report",
    retry_policy=RETRY,
)
def report_delivery(
    context: dg.AssetExecutionContext, wattprint: WattprintResource
) -> dg.MaterializeResult:
    """The month's report e-mailed once the month is complete (then once per revision; the month
    to date only if configured) and/or copied to the publish folder: unchanged figures are not
    sent again."""
    period = context.partition_key[:7]
    cfg = wattprint.config()
    try:
        results = deliver(cfg, period, mailer=wattprint.mailer())
    except DeliveryError as e:
        for r in e.results:
            context.log.info(f"{r.channel}: {'sent' if r.sent else 'not sent'} ({r.reason})")
        if e.permanent:
            raise dg.Failure(description=str(e), allow_retries=False) from e
        raise
    if not results:
        return dg.MaterializeResult(
            metadata={
                "delivery": "not configured (no delivery.smtp or delivery.publish_dir)",
                "channels": "",
            }
        )
    metadata: dict[str, object] = {
        "delivery": ", ".join(f"{r.channel} {'sent' if r.sent else 'not sent'}" for r in results),
        "channels": ", ".join(r.channel for r in results),
        "sha256": results[0].sha256,
    }
    for r in results:
        metadata[f"{r.channel}_sent"] = r.sent
        metadata[f"{r.channel}_reason"] = r.reason
        if r.channel == "email":
            metadata["recipients"] = ", ".join(r.recipients)
            metadata["smtp_server"] = r.destination
        else:
            metadata["destination"] = dg.MetadataValue.path(r.destination)
    return dg.MaterializeResult(metadata=metadata)
