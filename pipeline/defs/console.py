"""The console logger of runs whose caller reports their failure itself (`wattprint run`): Dagster's
own, without the failure events (STEP_FAILURE, RUN_FAILURE and the like), whose 60-line stack
trace would bury the one line the CLI prints for a user's mistake. `execute_in_process` raises the
step's exception to the caller, so nothing is lost; the run's record in the instance keeps the
events in full, and `--debug` keeps this logger out."""

from __future__ import annotations

import logging

import dagster as dg

# events whose error the caller of an in-process run receives as the raised exception
FAILURE_EVENTS = frozenset(
    e.value
    for e in (
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.RUN_FAILURE,
        dg.DagsterEventType.RESOURCE_INIT_FAILURE,
    )
)


class _DropFailures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        return getattr(event, "event_type_value", None) not in FAILURE_EVENTS


def _console(context: dg.InitLoggerContext) -> logging.Logger:
    logger = dg.colored_console_logger.logger_fn(context)
    for handler in logger.handlers:
        handler.addFilter(_DropFailures())
    return logger


console_without_failures = dg.LoggerDefinition(
    _console,
    config_schema=dg.colored_console_logger.config_schema,
    description="Dagster's console logger without the failure events the caller reports",
)
