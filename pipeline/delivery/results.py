"""What a delivery returns per channel, and the error it raises when a channel fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


class DeliveryError(RuntimeError):
    """A delivery failed. `permanent`: retrying without a change cannot succeed. `results`: the
    channels that were delivered (or found unchanged) before the failure."""

    def __init__(
        self, message: str, permanent: bool = False, results: Sequence[DeliveryResult] = ()
    ):
        super().__init__(message)
        self.permanent = permanent
        self.results = tuple(results)


@dataclass(frozen=True)
class DeliveryResult:
    channel: Literal["email", "publish"]
    sent: bool  # False: the channel already had this report
    reason: str
    sha256: str  # of the PDF
    recipients: tuple[str, ...] = ()  # e-mail only
    destination: str = ""  # SMTP host:port, or the folder the files were copied to
