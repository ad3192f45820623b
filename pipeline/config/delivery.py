"""Who gets the report and how: report titles, SMTP and the publish folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from pipeline.config.base import Strict


class Reporting(Strict):
    title: str = "AI energy and carbon disclosure"
    organisation: str = "Example AI Lab"
    # the node_exporter textfile `wattprint run` rewrites after its runs with the latest computed
    # day's metrics (`wattprint metrics`, docs/outputs.md); none by default
    metrics_textfile: Path | None = None

    @field_validator("metrics_textfile")
    @classmethod
    def _prom(cls, v: Path | None) -> Path | None:
        if v is not None and v.suffix != ".prom":
            raise ValueError(
                f"{v}: expected a file name ending in .prom (node_exporter's textfile collector "
                "reads only *.prom files)"
            )
        return v

    @model_validator(mode="before")
    @classmethod
    def _recipients_moved(cls, data: object) -> object:
        if isinstance(data, dict) and "recipients" in data:
            raise ValueError("recipients: moved to delivery.recipients (with delivery.smtp)")
        return data


# an addr-spec without display name or comments: local@domain, domain labels separated by dots
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEFAULT_SMTP_PORT = {"starttls": 587, "ssl": 465, "none": 25}


def _check_address(v: str) -> str:
    if not _ADDRESS.fullmatch(v):
        raise ValueError(f"{v!r} is not an e-mail address like name@example.org")
    return v


class Smtp(Strict):
    """The SMTP server that e-mails the report. The login is read from the environment variables
    named here, never from the file."""

    host: str = Field(..., min_length=1)
    port: int = Field(..., ge=1, le=65535, description="default 587 starttls, 465 ssl, 25 none")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    from_addr: str
    user_env: str = "WATTPRINT_SMTP_USER"
    password_env: str = "WATTPRINT_SMTP_PASSWORD"
    timeout_s: float = Field(30.0, gt=0, le=600)

    @model_validator(mode="before")
    @classmethod
    def _defaults_and_no_secrets(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for key in ("user", "username", "password", "pass"):
            if key in data:
                raise ValueError(
                    f"{key}: SMTP credentials are read from the environment variables named by "
                    "user_env and password_env, not from the file"
                )
        if "port" not in data and data.get("security", "starttls") in _DEFAULT_SMTP_PORT:
            data = {**data, "port": _DEFAULT_SMTP_PORT[data.get("security", "starttls")]}
        return data

    @field_validator("from_addr")
    @classmethod
    def _from(cls, v: str) -> str:
        return _check_address(v)

    @field_validator("user_env", "password_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not _ENV_NAME.fullmatch(v):
            raise ValueError(f"{v!r} is not an environment variable name")
        return v


class Delivery(Strict):
    """Where a month's report goes: e-mailed through `smtp` to `recipients`, and/or copied to
    `publish_dir`/<YYYY-MM>/. Nothing set: no delivery. A month is mailed once it is complete
    (then once more for each revision); `month_to_date: true` also mails it while it runs."""

    smtp: Smtp | None = None
    recipients: list[str] = Field(default_factory=list)
    publish_dir: Path | None = Field(None, description="relative to the config file")
    month_to_date: StrictBool = Field(
        False, description="also e-mail the report of a month still running, at each change"
    )

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for r in v:
            _check_address(r)
            if r.lower() in seen:
                raise ValueError(f"{r!r} is listed twice")
            seen.add(r.lower())
        return v

    @model_validator(mode="after")
    def _email_complete(self) -> Delivery:
        if self.smtp is not None and not self.recipients:
            raise ValueError("smtp is set but recipients is empty: whom should the report go to?")
        if self.recipients and self.smtp is None:
            raise ValueError("recipients are set but smtp is not: which server sends the e-mail?")
        return self
