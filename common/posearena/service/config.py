"""Service configuration from command-line flags and environment variables."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

from posearena.service.lifetime import die_with_parent

DEFAULT_MAX_MESSAGE_MB = 256


@dataclass
class ServiceConfig:
    """Where and how a service listens.

    Attributes:
        host: interface to bind, default 127.0.0.1 (env POSEARENA_HOST).
        port: TCP port; 0 picks a free one (env POSEARENA_PORT).
        max_message_mb: max send/receive message size in MiB (env POSEARENA_MAX_MESSAGE_MB).
        workers: thread-pool size for concurrent RPCs.
        grace_s: seconds in-flight RPCs get on shutdown.
        extra: the service's own parsed flags.
    """

    host: str = "127.0.0.1"
    port: int = 0
    max_message_mb: int = DEFAULT_MAX_MESSAGE_MB
    workers: int = 4
    grace_s: float = 5.0
    extra: argparse.Namespace = field(default_factory=argparse.Namespace)

    @property
    def max_message_bytes(self) -> int:
        return self.max_message_mb * 1024 * 1024


def base_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the flags every service shares."""
    p = argparse.ArgumentParser(description=description)
    env = os.environ
    p.add_argument("--host", default=env.get("POSEARENA_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env.get("POSEARENA_PORT", "0")))
    p.add_argument(
        "--max-message-mb",
        type=int,
        default=int(env.get("POSEARENA_MAX_MESSAGE_MB", str(DEFAULT_MAX_MESSAGE_MB))),
    )
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--log-level", default=env.get("POSEARENA_LOG_LEVEL", "INFO"))
    return p


def parse_config(parser: argparse.ArgumentParser, argv: list[str] | None) -> ServiceConfig:
    """Parse flags (the shared ones plus the service's own) into a ServiceConfig.

    Every service calls this first, so it is also where a service started for one command
    arms its exit on the parent's death (`lifetime.die_with_parent`).
    """
    die_with_parent()
    ns = parser.parse_args(argv)
    return ServiceConfig(
        host=ns.host,
        port=ns.port,
        max_message_mb=ns.max_message_mb,
        workers=ns.workers,
        extra=ns,
    )
