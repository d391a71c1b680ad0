"""Server bootstrap: gRPC server with the Pose API, health checking and reflection."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from posearena.service.base import EstimatorService
from posearena.service.config import ServiceConfig, base_parser, parse_config
from posearena.v1 import pose_pb2, pose_pb2_grpc

SERVICE_NAME = pose_pb2.DESCRIPTOR.services_by_name["PoseEstimator"].full_name
log = logging.getLogger("posearena.service")


def build_server(service: EstimatorService, config: ServiceConfig) -> tuple[grpc.Server, int]:
    """Create and start a server for `service`; return (server, bound port).

    Health: the overall status ("") and "posearena.v1.PoseEstimator" are SERVING when
    `service.ready()` says the model is loaded, NOT_SERVING otherwise. Reflection lists the
    Pose API, health and reflection services. Message size limits are set explicitly.
    """
    opts = [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.so_reuseport", 0),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=config.workers), options=opts)
    pose_pb2_grpc.add_PoseEstimatorServicer_to_server(service, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    loaded, status = service.ready()
    state = (
        health_pb2.HealthCheckResponse.SERVING
        if loaded
        else health_pb2.HealthCheckResponse.NOT_SERVING
    )
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, state)
    if not loaded:
        log.warning("%s NOT_SERVING: %s", service.name, status)
    names = (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    address = f"{config.host}:{config.port}"
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:  # grpcio >= 1.6x raises instead of returning 0
        port = 0
    if port == 0:
        raise OSError(f"cannot bind {address}: port in use or address unavailable")
    server.start()
    return server, port


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
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"{service.name} listening on {config.host}:{port}", flush=True)
    stop.wait()
    server.stop(config.grace_s).wait()
    log.info("%s stopped", service.name)
    return 0
