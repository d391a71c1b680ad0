"""The gateway spreading requests over several replicas of one estimator (the Kubernetes
set-up of docs/containers.md, here with local processes; no Docker needed).

Three stereo service processes on their own 127.0.0.1 ports are resolved as ONE target,
`ipv4:127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`: the static form of what a headless Service's
DNS name resolves to. The gateway's channels (`runtime.open_channel`: round_robin) then
rotate calls over the replicas. Which replica served a call is read from the kernel, not from
the services: the bytes each replica's accepted TCP connection received (`ss -ti`).
"""

from __future__ import annotations

import shutil

import grpc
import numpy as np
import pytest

from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.clients.triangulate import triangulate
from posearena_gateway.runtime import open_channel
from posearena_gateway.runtime.processes import stop_process
from tests.conformance.pose_requests import ring_cameras, triangulate_request
from tests.integration.local import bytes_received, port_of, replicas

REPLICAS = 3
ROUNDS = 4  # calls per replica
T = 1000  # frames per request: ~0.8 MB, far above gRPC's per-call overhead


@pytest.fixture
def stereo(tmp_path):
    """RunningService of each of REPLICAS stereo processes."""
    with replicas("stereo", REPLICAS, tmp_path) as started:
        yield started


def _target(ports: list[int]) -> str:
    return "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports)


@pytest.mark.skipif(shutil.which("ss") is None, reason="ss (iproute2) not installed")
def test_one_channel_rotates_calls_over_every_replica(stereo):
    ports = [port_of(rs) for rs in stereo]
    request, expected = triangulate_request(T)
    size = request.ByteSize()
    with open_channel(_target(ports)) as channel:
        stub = pose_pb2_grpc.PoseEstimatorStub(channel)
        # the first calls may go out while only some subchannels are connected: warm up with
        # small calls until every replica has a connection, then count from there
        for _ in range(50):
            stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
            if all(bytes_received(p) > 0 for p in ports):
                break
        before = {p: bytes_received(p) for p in ports}
        for _ in range(REPLICAS * ROUNDS):
            reply = stub.Triangulate(request, timeout=60)
            got = from_tensor(reply.points_3d, "points_3d", 3, 3)
            assert np.nanmax(np.abs(got - expected)) < 1e-4  # every replica answers right (m)
        calls = {p: (bytes_received(p) - before[p]) / size for p in ports}  # channel still open
    print(f"requests per replica (received bytes / request size): "
          f"{ {p: round(n, 3) for p, n in calls.items()} }")
    for port, n in calls.items():
        # round robin: ROUNDS calls each (plus a few hundred bytes of HTTP/2 framing)
        assert ROUNDS <= n < ROUNDS + 0.05, f"replica 127.0.0.1:{port} served {n:.2f} calls"


def test_gateway_client_uses_every_replica_and_survives_losing_one(stereo):
    """`clients.triangulate` (what the pipelines call) against the multi-address target:
    correct answers, and with one replica killed every call still lands on a live one."""
    ports = [port_of(rs) for rs in stereo]
    request, expected = triangulate_request(40)
    cams = ring_cameras()
    views = [from_tensor(v.keypoints, "keypoints", 3, 2) for v in request.views]

    def call() -> np.ndarray:
        out = triangulate(_target(ports), views, [c.name for c in cams], "coco17",
                          cameras=cams, timeout_s=30)
        return out.points_3d

    for _ in range(REPLICAS):
        assert np.nanmax(np.abs(call() - expected)) < 1e-4
    stop_process(stereo[0].process)  # one pod gone: its address refuses connections
    for _ in range(2 * REPLICAS):
        assert np.nanmax(np.abs(call() - expected)) < 1e-4


def test_a_request_to_no_live_replica_is_unavailable(stereo):
    for rs in stereo:
        stop_process(rs.process)
    stub_call = pose_pb2_grpc.PoseEstimatorStub
    with open_channel(_target([port_of(rs) for rs in stereo])) as channel, \
            pytest.raises(grpc.RpcError) as err:
        stub_call(channel).GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
