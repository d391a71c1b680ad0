"""Embedded runtime: estimator services as local processes, or addresses of running ones."""

from posearena_gateway.runtime.catalog import SERVICES, ServiceSpec, get_spec
from posearena_gateway.runtime.channels import open_channel, probe, wait_healthy
from posearena_gateway.runtime.processes import EmbeddedServices, resolve_target

__all__ = [
    "SERVICES",
    "EmbeddedServices",
    "ServiceSpec",
    "get_spec",
    "open_channel",
    "probe",
    "resolve_target",
    "wait_healthy",
]
