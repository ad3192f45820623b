"""The one resource: the config file, parsed once and kept, with a DuckDB connection on its
warehouse and the SMTP sender of report e-mails."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline import warehouse
from pipeline.config import Config, load_config
from pipeline.delivery import SmtpMailer


class WattprintResource(dg.ConfigurableResource):
    """The config file and the warehouse. The file is parsed on first use and kept for the life of
    the definitions (`pipeline/definitions.py` reads it first, for the partitions); edit the
    config, then reload the definitions. `connect` waits (up to `lock_timeout_s`, default env
    `WATTPRINT_LOCK_TIMEOUT_S` or 600 s) while another step or run holds the warehouse, so steps
    of the multiprocess executor and concurrent runs take turns instead of failing on DuckDB's
    file lock; the wait is written to the run's log."""

    config_path: str
    lock_timeout_s: float | None = None
    _config: Config | None = PrivateAttr(default=None)
    _log: Any = PrivateAttr(default=None)

    @classmethod
    def for_file(cls, path: str | Path) -> WattprintResource:
        return cls(config_path=str(Path(path).resolve()))

    def config(self) -> Config:
        """The parsed config (ConfigError names the file and key of a mistake)."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def _with_updated_values(self, values: Mapping[str, Any] | None) -> WattprintResource:
        # Dagster hands each run (and sensor tick) a fresh copy of the resource, built from its
        # config fields only: the copy keeps the parsed config unless it names another file
        copy = super()._with_updated_values(values)
        if copy.config_path == self.config_path:
            copy._config = self._config
        return copy

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._log = context.log

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

    def mailer(self) -> SmtpMailer | None:
        """The sender of report e-mails through the config's `delivery.smtp` server, or None
        when it sets none. The login is read from the environment variables it names when a run
        sends, so it is in no Dagster config, run record or UI page."""
        smtp = self.config().delivery.smtp
        return None if smtp is None else SmtpMailer(smtp)
