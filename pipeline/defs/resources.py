"""The resources: the config file with a DuckDB connection on its warehouse, and the SMTP sender
of report e-mails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline import warehouse
from pipeline.config import Config, load_config
from pipeline.delivery import SmtpMailer
from pipeline.settings import config_path


class WattprintResource(dg.ConfigurableResource):
    """The config and the warehouse. `connect` waits (up to `lock_timeout_s`, default env
    `WATTPRINT_LOCK_TIMEOUT_S` or 600 s) while another step or run holds the warehouse, so steps
    of the multiprocess executor and concurrent runs take turns instead of failing on DuckDB's
    file lock; the wait is written to the run's log."""

    config_path: str
    lock_timeout_s: float | None = None
    _log: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._log = context.log

    def config(self) -> Config:
        return load_config(self.config_path)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short connection: open, compute and write (each partition write one transaction),
        close. Read-only ones share the warehouse with other readers."""
        on_wait = self._log.warning if self._log is not None else None
        with warehouse.connect(
            self.config().warehouse_path,
            read_only=read_only,
            lock_timeout_s=self.lock_timeout_s,
            on_wait=on_wait,
        ) as con:
            yield con


class SmtpResource(dg.ConfigurableResource):
    """Sends report e-mails through the server of the config's `delivery.smtp`. The login is read
    from the environment variables it names when a run sends, so it is in no Dagster config, run
    record or UI page."""

    config_path: str

    def mailer(self) -> SmtpMailer | None:
        """The sender, or None when the config sets no SMTP server."""
        smtp = load_config(self.config_path).delivery.smtp
        return None if smtp is None else SmtpMailer(smtp)


@dg.definitions
def resources() -> dg.Definitions:
    path = str(config_path())
    return dg.Definitions(
        resources={
            "wattprint": WattprintResource(config_path=path),
            "smtp": SmtpResource(config_path=path),
        }
    )
