"""The resources: the config file with a DuckDB connection on its warehouse, and the SMTP sender
of report e-mails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from pipeline import warehouse
from pipeline.config import Config, load_config
from pipeline.delivery import SmtpMailer
from pipeline.settings import config_path


class WattprintResource(dg.ConfigurableResource):
    config_path: str

    def config(self) -> Config:
        return load_config(self.config_path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.config().warehouse_path) as con:
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
