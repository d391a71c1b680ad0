"""Target of the Pose API conformance suite.

The address comes from env POSEARENA_CONFORMANCE_TARGET ("host:port") or the option
--conformance-target (registered when pytest is pointed at tests/conformance). Without one,
the stereo service is started as a local process on a free 127.0.0.1 port by the gateway
runtime (`python -m posearena_stereo.server --port 0`, this interpreter) and stopped afterwards.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import grpc
import pytest

from posearena.v1 import pose_pb2, pose_pb2_grpc

ENV = "POSEARENA_CONFORMANCE_TARGET"
START_TIMEOUT_S = 60.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--conformance-target", default=None,
                     help=f"host:port of a Pose API service (or env {ENV})")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """host:port of the service under test."""
    given = os.environ.get(ENV) or request.config.getoption("conformance_target", default=None)
    if given:
        yield given
        return
    if importlib.util.find_spec("posearena_stereo") is None or importlib.util.find_spec(
            "posearena_stereo.server") is None:
        pytest.skip(f"no {ENV} given and posearena_stereo.server is not importable yet")
    from _helpers.services import running_service  # only here: a given target needs no gateway

    with running_service("stereo", tmp_path_factory.mktemp("stereo-log"),
                         timeout_s=START_TIMEOUT_S, grace_s=10.0) as rs:
        yield rs.target


@pytest.fixture(scope="session")
def channel(target: str) -> Iterator[grpc.Channel]:
    """A channel to the target with 64 MiB message limits."""
    opts = [("grpc.max_send_message_length", 64 << 20),
            ("grpc.max_receive_message_length", 64 << 20)]
    with grpc.insecure_channel(target, options=opts) as ch:
        grpc.channel_ready_future(ch).result(timeout=30)
        yield ch


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> pose_pb2_grpc.PoseEstimatorStub:
    return pose_pb2_grpc.PoseEstimatorStub(channel)


@pytest.fixture(scope="session")
def info(stub: pose_pb2_grpc.PoseEstimatorStub) -> pose_pb2.EstimatorInfo:
    return stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
