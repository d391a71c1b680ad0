"""gRPC channels to estimator services, health probes and GetInfo."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from posearena.v1 import pose_pb2, pose_pb2_grpc

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def open_channel(target: str) -> grpc.Channel:
    """An insecure channel to `target` ("host:port" or "dns:///name:port") with explicit
    message size limits and client-side round-robin over every address the name resolves to."""
    return grpc.insecure_channel(
        target,
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.lb_policy_name", "round_robin"),
            ("grpc.enable_retries", 1),
        ],
    )


_SHARED: dict[str, grpc.Channel] = {}
_SHARED_LOCK = threading.Lock()


def shared_channel(target: str) -> grpc.Channel:
    """One long-lived channel per target, reused by every call of this process.

    Reuse keeps connections warm and makes round_robin exact across calls when `target`
    names several replicas (e.g. "ipv4:127.0.0.1:5001,127.0.0.1:5002" or a headless DNS
    name). Do not close it; it lives as long as the process.
    """
    with _SHARED_LOCK:
        ch = _SHARED.get(target)
        if ch is None:
            ch = _SHARED[target] = open_channel(target)
        return ch


@dataclass
class Probe:
    """What a service says about itself: reachable?, health, GetInfo (None if unreachable)."""

    target: str
    reachable: bool
    serving: bool
    info: pose_pb2.EstimatorInfo | None
    error: str = ""

    @property
    def status_line(self) -> str:
        if not self.reachable:
            return f"unreachable ({self.error})"
        if self.serving:  # and with which model: the user sees what will measure
            version = self.info.version if self.info else ""
            return f"SERVING ({version})" if version else "SERVING"
        reason = self.info.model_status if self.info else self.error
        return f"NOT_SERVING: {reason}"


def probe(target: str, timeout_s: float = 3.0) -> Probe:
    """Ask `target` for its health and info within `timeout_s` seconds."""
    with open_channel(target) as ch:
        try:
            health = health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout_s
            )
            info = pose_pb2_grpc.PoseEstimatorStub(ch).GetInfo(
                pose_pb2.GetInfoRequest(), timeout=timeout_s
            )
        except grpc.RpcError as exc:
            return Probe(target, False, False, None, f"{exc.code().name}: {exc.details()}")
    serving = health.status == health_pb2.HealthCheckResponse.SERVING
    return Probe(target, True, serving, info)


def wait_healthy(target: str, timeout_s: float = 60.0) -> Probe:
    """Poll `target` until it answers health checks (SERVING or NOT_SERVING) or time runs out.

    Returns the last Probe; `reachable` is False when the deadline passed without an answer.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        p = probe(target, timeout_s=min(2.0, max(0.1, deadline - time.monotonic())))
        if p.reachable or time.monotonic() >= deadline:
            return p
        time.sleep(0.2)
