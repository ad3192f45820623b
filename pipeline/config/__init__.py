"""The wattprint configuration file (`wattprint.yaml`), validated with pydantic.

Every factor that the method applies by default carries a `source` string; the report prints it.
Sections live by what they describe: `fleet` (paths, sites, GPU and server models, host groups,
instruments), `method` (phase rules, telemetry, scheduler, estimation, uncertainty, billing,
checks), `delivery` (report, SMTP, publish folder); `root` holds `Config` and `load_config`.
"""

from pipeline.config.base import PHASES, ConfigError, Strict
from pipeline.config.delivery import Delivery, Reporting, Smtp
from pipeline.config.fleet import GpuModel, HostGroup, Instrument, Paths, ServerModel, Site
from pipeline.config.method import (
    ESTIMATION_SOURCE,
    Billing,
    Checks,
    Estimation,
    PhaseRule,
    Scheduler,
    Telemetry,
    Uncertainty,
    UncertaintyBand,
)
from pipeline.config.models import ModelInfo
from pipeline.config.root import Config, load_config

__all__ = [
    "ESTIMATION_SOURCE",
    "PHASES",
    "Billing",
    "Checks",
    "Config",
    "ConfigError",
    "Delivery",
    "Estimation",
    "GpuModel",
    "HostGroup",
    "Instrument",
    "ModelInfo",
    "Paths",
    "PhaseRule",
    "Reporting",
    "Scheduler",
    "ServerModel",
    "Site",
    "Smtp",
    "Strict",
    "Telemetry",
    "Uncertainty",
    "UncertaintyBand",
    "load_config",
]
