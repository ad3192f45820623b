"""A real SMTP server on localhost for the delivery tests (aiosmtpd): it records every message,
can refuse recipients and can require a login."""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "reporter", "s3cret-Pa55-word"


class Recorder:
    """aiosmtpd handler: keeps every message; refuses the addresses in `refuse` with 550."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.envelopes: list = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port: int, **smtp_kwargs) -> None:
        self.port = port
        self.handler = Recorder(smtp_kwargs.pop("refuse", ()))
        self.logins: list[tuple[str, bytes, bytes]] = []
        if smtp_kwargs.pop("auth", False):
            smtp_kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port, **smtp_kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((mechanism, auth_data.login, auth_data.password))
        if (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()):
            return AuthResult(success=True)
        # a careless server that echoes what it got: the client must not pass it on
        given = auth_data.password.decode()
        return AuthResult(
            success=False, handled=False, message=f"535 5.7.8 password {given} is wrong"
        )

    def start(self) -> Server:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
