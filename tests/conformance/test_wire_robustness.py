"""Every service at the wire: malformed, absurd, garbage, oversize, cancelled, expired and
concurrent requests. A service answers each with a status that names the problem (never
UNKNOWN or INTERNAL), logs no traceback, gives identical answers under 40 concurrent calls,
and still answers health checks as before.

Each service of the main and BlazePose environments runs as a local process (detectron's
environment runs its own tests). With POSEARENA_CONFORMANCE_TARGET=host:port (the integration
tier, on images) the suite runs against that one service instead; its log is not readable
from here, so the no-traceback checks are skipped there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import grpc
import numpy as np
import pytest
from _helpers.services import running_service
from grpc_health.v1 import health_pb2, health_pb2_grpc

from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc

from .pose_requests import code_of, lift_request, triangulate_request, valid_call

GIVEN = os.environ.get("POSEARENA_CONFORMANCE_TARGET")
SERVICES = ["given"] if GIVEN else ["stereo", "videopose3d", "openpose", "blazepose"]
NEVER = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)


@contextmanager
def _address(name: str, log_dir: Path) -> Iterator[tuple[str, Path | None]]:
    """(address, log file or None) of the given target or of service `name` started here."""
    if name == "given":
        yield str(GIVEN), None
        return
    from posearena_gateway.runtime.catalog import get_spec

    missing = get_spec(name).not_installed()
    if missing:
        pytest.skip(f"{name}: {missing}")
    with running_service(name, log_dir) as rs:
        yield rs.target, rs.log_path


@pytest.fixture(scope="module", params=SERVICES)
def service(request, tmp_path_factory) -> Iterator[tuple]:
    """(stub, info, health stub, log path or None) of one running service."""
    with _address(request.param, tmp_path_factory.mktemp(request.param)) as (target, log), \
            grpc.insecure_channel(target) as ch:
        stub = pose_pb2_grpc.PoseEstimatorStub(ch)
        info = stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=30)
        yield stub, info, health_pb2_grpc.HealthStub(ch), log


def _log_text(log: Path | None) -> str:
    return log.read_text(errors="replace") if log is not None else ""


def _health(health) -> int:
    return health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status


def _detect_frames(stub, frames: list[pose_pb2.Frame], timeout: float = 30):
    reqs = [pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=1))]
    reqs += [pose_pb2.DetectRequest(frame=f) for f in frames]
    return list(stub.Detect(iter(reqs), timeout=timeout))


def _bad_requests(info: pose_pb2.EstimatorInfo) -> dict[str, object]:
    """name -> call(stub) of each malformed request for this kind of service."""
    absurd = pose_pb2.Tensor(shape=[2**21, 2**21, 2**21, 2], dtype=pose_pb2.Tensor.FLOAT32)
    huge = pose_pb2.Tensor(shape=[2**40, 17, 2], dtype=pose_pb2.Tensor.FLOAT32)
    bad_dtype = pose_pb2.Tensor(shape=[1, 17, 2], dtype=99, data=b"\0" * 136)
    if info.kind == pose_pb2.TRIANGULATOR:
        def tri(mutate):
            def call(stub):
                req, _ = triangulate_request(5)
                mutate(req)
                return stub.Triangulate(req, timeout=30)
            return call
        return {
            "overflowing shape": tri(lambda r: r.views[0].keypoints.CopyFrom(absurd)),
            "absurd dimension": tri(lambda r: r.views[0].keypoints.CopyFrom(huge)),
            "unknown dtype": tri(lambda r: r.views[0].keypoints.CopyFrom(bad_dtype)),
            "no views": tri(lambda r: r.ClearField("views")),
            "no cameras": tri(lambda r: r.ClearField("cameras")),
            "unknown skeleton": tri(lambda r: setattr(r, "skeleton", "nosuch")),
        }
    if info.kind == pose_pb2.LIFTER_3D:
        def lift(mutate):
            def call(stub):
                req = lift_request(info, 10)
                mutate(req)
                return stub.Lift(req, timeout=30)
            return call
        return {
            "overflowing shape": lift(lambda r: r.keypoints.CopyFrom(absurd)),
            "absurd dimension": lift(lambda r: r.keypoints.CopyFrom(huge)),
            "unknown dtype": lift(lambda r: r.keypoints.CopyFrom(bad_dtype)),
            "zero width": lift(lambda r: setattr(r, "width", 0)),
            "oversize": lift(lambda r: r.keypoints.CopyFrom(pose_pb2.Tensor(
                shape=[10**7, 17, 2], dtype=pose_pb2.Tensor.FLOAT32, data=b""))),
        }

    def det(frame):
        return lambda stub: _detect_frames(stub, [frame])
    return {
        "garbage jpeg": det(pose_pb2.Frame(index=0, encoded=b"\xff\xd8garbage")),
        "raw size mismatch": det(pose_pb2.Frame(index=0, raw_bgr=b"\0" * 10, width=64,
                                                height=48)),
        "absurd raw size": det(pose_pb2.Frame(index=0, raw_bgr=b"", width=2**31 - 1,
                                              height=2**31 - 1)),
        "empty frame": det(pose_pb2.Frame(index=0)),
    }


def test_malformed_requests_get_a_named_status_and_the_service_stays_up(service):
    stub, info, health, log = service
    before = _health(health)
    for name, call in _bad_requests(info).items():
        code, details = code_of(lambda s, _t, c=call: c(s), stub, 30)
        assert code not in NEVER and code != grpc.StatusCode.OK, f"{name}: {code} {details}"
        assert details, f"{name}: {code} without a message"
    assert _health(health) == before
    assert "Traceback" not in _log_text(log)


def test_cancelled_and_expired_calls_leave_no_traceback(service):
    stub, info, health, log = service
    before = _health(health)
    call, _ = valid_call(info, size=200)
    code, _ = code_of(call, stub, 0.05)  # expires mid-work (on a fast machine it may finish)
    assert code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.FAILED_PRECONDITION,
                    grpc.StatusCode.OK), code
    if info.kind in (pose_pb2.DETECTOR_2D, pose_pb2.VIDEO_TO_3D):
        # a client that walks away from an open stream (held open until then: a stream that
        # ended could be answered OK before the cancel arrives)
        walked = threading.Event()

        def frames():
            yield pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=1))
            walked.wait(30)

        responses = stub.Detect(frames(), timeout=30)
        responses.cancel()
        walked.set()
        walked_away = {grpc.StatusCode.CANCELLED}
        if not info.model_loaded:  # it may refuse the stream before the cancel arrives
            walked_away.add(grpc.StatusCode.FAILED_PRECONDITION)
        assert responses.code() in walked_away, responses.code()
    stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    assert _health(health) == before
    text = _log_text(log)
    assert "Traceback" not in text and " ERROR " not in text, text[-2000:]


def test_forty_concurrent_calls_give_identical_answers(service):
    stub, info, health, _ = service
    if not info.model_loaded:
        pytest.skip(f"model not loaded: {info.model_status}")
    call, check = valid_call(info)
    with ThreadPoolExecutor(40) as pool:
        replies = list(pool.map(lambda _: call(stub, 120), range(40)))
    check(replies[0])
    first = _answer(replies[0])
    for r in replies[1:]:
        np.testing.assert_array_equal(_answer(r), first)
    assert _health(health) == health_pb2.HealthCheckResponse.SERVING


def _answer(reply) -> np.ndarray:
    """The numbers of a reply: 3D points, 3D poses, or every detected keypoint."""
    if isinstance(reply, pose_pb2.TriangulateResponse):
        return from_tensor(reply.points_3d, "points_3d")
    if isinstance(reply, pose_pb2.LiftResponse):
        return from_tensor(reply.poses_3d, "poses_3d")
    return np.concatenate([from_tensor(p.keypoints, "keypoints").ravel()
                           for fp in reply for p in fp.people] or [np.zeros(0)])
