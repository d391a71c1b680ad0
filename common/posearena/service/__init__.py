"""Service base: what turns an estimator's model code into a Pose API gRPC service.

A service subclasses `EstimatorService`, implements `info()`, `ready()` and the RPCs it
supports (decorated with `grpc_errors`), and calls `serve(service)` from its `server.py`.
"""

from posearena.service.base import EstimatorService, grpc_errors
from posearena.service.config import ServiceConfig, base_parser, parse_config
from posearena.service.server import (
    build_server,
    exit_now,
    run_until_signal,
    serve,
    start_grpc_server,
)

__all__ = [
    "EstimatorService",
    "ServiceConfig",
    "base_parser",
    "build_server",
    "exit_now",
    "grpc_errors",
    "parse_config",
    "run_until_signal",
    "serve",
    "start_grpc_server",
]
