"""Every gateway -> service call carries a deadline sized to its work: a service that never
answers ends the call (DEADLINE_EXCEEDED) instead of hanging the run."""

from __future__ import annotations

from concurrent import futures

import grpc
import numpy as np
import pytest

from posearena.v1 import pose_pb2_grpc
from posearena_gateway.clients.deadlines import lift_deadline, triangulate_deadline
from posearena_gateway.clients.lift import lift
from posearena_gateway.clients.triangulate import triangulate
from posearena_gateway.detection import detect_video

from .conftest import DEMO


class _Recorder(pose_pb2_grpc.PoseEstimatorServicer):
    """Answers nothing; records the deadline each call arrived with (s remaining)."""

    def __init__(self) -> None:
        self.remaining: dict[str, float | None] = {}

    def _record(self, name: str, context: grpc.ServicerContext) -> None:
        self.remaining[name] = context.time_remaining()
        context.abort(grpc.StatusCode.UNAVAILABLE, "recorder")

    def Lift(self, request, context):
        self._record("Lift", context)

    def Triangulate(self, request, context):
        self._record("Triangulate", context)

    def Detect(self, request_iterator, context):
        self._record("Detect", context)
        yield from ()


@pytest.fixture
def recorder():
    rec = _Recorder()
    server = grpc.server(futures.ThreadPoolExecutor(2))
    pose_pb2_grpc.add_PoseEstimatorServicer_to_server(rec, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield rec, f"127.0.0.1:{port}"
    server.stop(0).wait()


def test_every_call_has_a_deadline_that_grows_with_its_work(recorder):
    rec, target = recorder
    small, large = np.zeros((10, 17, 2)), np.zeros((20_000, 17, 2))
    remaining = []
    for k in (small, large):
        with pytest.raises(grpc.RpcError):
            lift(target, k, "coco17", 640, 480, 30.0)
        remaining.append(rec.remaining["Lift"])
    assert remaining[0] is not None and remaining[0] <= lift_deadline(10) + 1  # wire rounding
    assert remaining[1] > remaining[0] + 0.9 * (lift_deadline(20_000) - lift_deadline(10))
    with pytest.raises(grpc.RpcError):
        triangulate(target, [small, small], ["a", "b"], "coco17", parallel=(500, .3, 320, 240))
    assert 0 < rec.remaining["Triangulate"] <= triangulate_deadline(10, 17, 2) + 1
    with pytest.raises(Exception, match="recorder"):
        detect_video(target, DEMO / "videos" / "cam01.mp4", max_frames=5)
    assert rec.remaining["Detect"] is not None and rec.remaining["Detect"] > 0
