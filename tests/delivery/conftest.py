"""Fixtures of the delivery tests: SMTP servers on localhost, stopped after each test, and no
SMTP login taken from the developer's environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery.smtp_server import Server, free_port


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


@pytest.fixture
def smtp_server(servers: list[Server]) -> Server:
    s = Server(free_port()).start()
    servers.append(s)
    return s


@pytest.fixture(autouse=True)
def _no_smtp_login_from_the_developer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WATTPRINT_SMTP_USER", "WATTPRINT_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
