"""Server bootstrap: gRPC server with the Pose API, health checking and reflection."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from typing import NoReturn

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from posearena.service.base import EstimatorService
from posearena.service.config import ServiceConfig, base_parser, parse_config
from posearena.v1 import pose_pb2, pose_pb2_grpc

SERVICE_NAME = pose_pb2.DESCRIPTOR.services_by_name["PoseEstimator"].full_name
log = logging.getLogger("posearena.service")


def start_grpc_server(
    register: Callable[[grpc.Server], None],
    service_names: tuple[str, ...],
    ready: tuple[bool, str],
    config: ServiceConfig,
    name: str,
) -> tuple[grpc.Server, int]:
    """Create and start a gRPC server with health checking and reflection.

    Args:
        register: adds the servicer(s) to the server.
        service_names: full names of the registered services (for health and reflection).
        ready: (loaded, status message); health is SERVING iff loaded, for "" and each name.
        config: host, port, message size limits, workers.
        name: the service's name, for log messages.

    Returns:
        (server, bound port).

    Raises:
        OSError: the address cannot be bound (port in use), with the address in the message.
    """
    opts = [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.so_reuseport", 0),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=config.workers), options=opts)
    register(server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    loaded, status = ready
    state = (
        health_pb2.HealthCheckResponse.SERVING
        if loaded
        else health_pb2.HealthCheckResponse.NOT_SERVING
    )
    for svc in ("", *service_names):
        health_servicer.set(svc, state)
    if not loaded:
        log.warning("%s NOT_SERVING: %s", name, status)
    reflection.enable_server_reflection(
        (*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    address = f"{config.host}:{config.port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:  # grpcio >= 1.6x raises instead of returning 0
        port = 0
    if port == 0:
        raise OSError(f"cannot bind {address}: port in use or address unavailable")
    server.start()
    return server, port


def build_server(service: EstimatorService, config: ServiceConfig) -> tuple[grpc.Server, int]:
    """Create and start a Pose API server for `service`; return (server, bound port).

    Health: the overall status ("") and "posearena.v1.PoseEstimator" are SERVING when
    `service.ready()` says the model is loaded, NOT_SERVING otherwise. Reflection lists the
    Pose API, health and reflection services. Message size limits are set explicitly.
    """
    return start_grpc_server(
        lambda server: pose_pb2_grpc.add_PoseEstimatorServicer_to_server(service, server),
        (SERVICE_NAME,), service.ready(), config, service.name,
    )


def run_until_signal(server: grpc.Server, name: str, host: str, port: int, grace_s: float) -> int:
    """Print `<name> listening on <host>:<port>`, wait for SIGTERM/SIGINT, stop gracefully."""
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"{name} listening on {host}:{port}", flush=True)
    stop.wait()
    server.stop(grace_s).wait()
    log.info("%s stopped", name)
    return 0


def serve(service: EstimatorService, config: ServiceConfig | list[str] | None = None) -> int:
    """Run `service` until SIGTERM/SIGINT, then stop gracefully; return an exit status.

    `config` is a ServiceConfig (from `parse_config` with the service's own flags added to
    `base_parser`), or argv to parse with the shared flags only (None: sys.argv).

    Prints one line `<name> listening on <host>:<port>` on stdout once accepting requests
    (the embedded runtime waits for it).
    """
    if not isinstance(config, ServiceConfig):
        config = parse_config(base_parser(service.name), config)
    logging.basicConfig(
        level=getattr(config.extra, "log_level", "INFO"),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        server, port = build_server(service, config)
    except (OSError, RuntimeError) as exc:
        print(f"{service.name}: {exc}", file=sys.stderr, flush=True)
        return 3
    return run_until_signal(server, service.name, config.host, port, config.grace_s)


def exit_now(status: int) -> NoReturn:
    """End a service's process with `status` once its logs and output are flushed, without
    the interpreter's teardown: after a graceful stop nothing is left to do, and tearing down
    scipy, torch & co took 0.15-0.2 s that every command stopping an embedded service waited
    for. Each service's ``server.py`` ends with ``exit_now(main())``."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
