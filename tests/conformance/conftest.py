"""Target of the Pose API conformance suite.

The address comes from env POSEARENA_CONFORMANCE_TARGET ("host:port") or the option
--conformance-target (registered when pytest is pointed at tests/conformance). Without one,
the stereo service is started from this interpreter as a local process on a free 127.0.0.1
port (`python -m posearena_stereo.server --port 0`) and stopped afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import grpc
import pytest

from posearena.v1 import pose_pb2, pose_pb2_grpc

ENV = "POSEARENA_CONFORMANCE_TARGET"
START_TIMEOUT_S = 60.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--conformance-target", default=None,
                     help=f"host:port of a Pose API service (or env {ENV})")


def _start_stereo() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "posearena_stereo.server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    found: list[str] = []

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if " listening on " in line:
                found.append(line.rsplit(" ", 1)[1].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not found:
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""  # type: ignore[union-attr]
        raise RuntimeError(f"stereo service did not start within {START_TIMEOUT_S:.0f} s: {err}")
    return proc, found[0]


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[str]:
    """host:port of the service under test."""
    given = os.environ.get(ENV) or request.config.getoption("conformance_target", default=None)
    if given:
        yield given
        return
    if importlib.util.find_spec("posearena_stereo") is None or importlib.util.find_spec(
            "posearena_stereo.server") is None:
        pytest.skip(f"no {ENV} given and posearena_stereo.server is not importable yet")
    proc, address = _start_stereo()
    try:
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
