"""Kind-specific Pose API requests for the conformance suite: a valid one (with what the
answer must be), a malformed one (a Tensor whose bytes do not match its shape) and an RPC the
kind does not implement. Data: synthetic calibrated cameras (exact projections) for
triangulators, seeded random 2D tracks for lifters, a real Pose2Sim frame for detectors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import grpc
import numpy as np

from posearena.calibration import Camera, camera_to_proto
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / "data" / "pose2sim_demo" / "videos" / "cam01.mp4"
Call = Callable[[pose_pb2_grpc.PoseEstimatorStub, float], object]


def ring_cameras(n: int = 3) -> list[Camera]:
    """n pinhole cameras (1920x1080 px, f 1200 px) on a 4 m circle, 1.6 m high, looking at
    (0, 0, 1) m in a Z-up world."""
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        c = np.array([4.0 * np.cos(a), 4.0 * np.sin(a), 1.6])
        z = np.array([0.0, 0.0, 1.0]) - c
        z /= np.linalg.norm(z)
        x = np.cross(z, [0.0, 0.0, 1.0])
        x /= np.linalg.norm(x)
        R = np.stack([x, np.cross(z, x), z])
        K = [[1200.0, 0.0, 960.0], [0.0, 1200.0, 540.0], [0.0, 0.0, 1.0]]
        cams.append(Camera(f"cam{i + 1}", 1920, 1080, K, np.zeros(5), R, -R @ c))
    return cams


def points(T: int, J: int, seed: int = 0) -> np.ndarray:
    """(T, J, 3) m: seeded random points in a 1 x 1 x 1.8 m box above the origin."""
    rng = np.random.default_rng(seed)
    return rng.uniform([-0.5, -0.5, 0.1], [0.5, 0.5, 1.9], size=(T, J, 3))


def triangulate_request(T: int, skeleton: str = "coco17", J: int = 17
                        ) -> tuple[pose_pb2.TriangulateRequest, np.ndarray]:
    """A noise-free 3-camera request and the (T, J, 3) m points it must give back."""
    cams = ring_cameras()
    X = points(T, J)
    views = [pose_pb2.View(camera_id=c.name, keypoints=to_tensor(c.project(X).astype(np.float64)))
             for c in cams]
    return pose_pb2.TriangulateRequest(views=views, cameras=[camera_to_proto(c) for c in cams],
                                       skeleton=skeleton), X


def lift_request(info: pose_pb2.EstimatorInfo, T: int) -> pose_pb2.LiftRequest:
    """Seeded random 2D tracks (px) in the lifter's input skeleton."""
    J = len(info.input_skeleton.joint_names) or 17
    rng = np.random.default_rng(0)
    kp = (500 + 80 * rng.standard_normal((T, J, 2))).astype(np.float32)
    return pose_pb2.LiftRequest(keypoints=to_tensor(kp), skeleton=info.input_skeleton.name
                                or "coco17", width=1000, height=1000, fps=50.0)


def real_frame() -> np.ndarray:
    """Frame 0 of the Pose2Sim demo's cam01 (1080x1920 BGR)."""
    cap = cv2.VideoCapture(str(VIDEO))
    ok, img = cap.read()
    cap.release()
    assert ok, f"cannot decode {VIDEO}"
    return img


def _detect(stub: pose_pb2_grpc.PoseEstimatorStub, frame: pose_pb2.Frame,
            timeout: float) -> list[pose_pb2.FramePoses]:
    reqs = [pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=1)),
            pose_pb2.DetectRequest(frame=frame)]
    return list(stub.Detect(iter(reqs), timeout=timeout))


def valid_call(info: pose_pb2.EstimatorInfo, size: int = 1) -> tuple[Call, Callable]:
    """(call, check): `call(stub, timeout)` sends a valid request of about `size` units of
    work; `check(reply)` asserts the answer is right."""
    if info.kind == pose_pb2.TRIANGULATOR:
        req, X = triangulate_request(50 * size)

        def check_tri(reply: pose_pb2.TriangulateResponse) -> None:
            got = from_tensor(reply.points_3d, "points_3d", 3, 3)
            assert got.shape == X.shape
            assert np.nanmax(np.abs(got - X)) < 1e-4  # exact projections: exact recovery (m)

        return lambda stub, t: stub.Triangulate(req, timeout=t), check_tri
    if info.kind == pose_pb2.LIFTER_3D:
        req = lift_request(info, 100 * size)
        T = 100 * size

        def check_lift(reply: pose_pb2.LiftResponse) -> None:
            got = from_tensor(reply.poses_3d, "poses_3d", 3, 3)
            assert got.shape[0] == T and np.isfinite(got).all()

        return lambda stub, t: stub.Lift(req, timeout=t), check_lift
    ok, jpg = cv2.imencode(".jpg", real_frame())
    assert ok, "JPEG encoding failed"
    frame = pose_pb2.Frame(index=7, timestamp_s=7 / 60, camera_id="cam01", encoded=jpg.tobytes())

    def check_detect(replies: list[pose_pb2.FramePoses]) -> None:
        assert [r.index for r in replies] == [7] and replies[0].camera_id == "cam01"

    return lambda stub, t: _detect(stub, frame, t), check_detect


def malformed_call(info: pose_pb2.EstimatorInfo) -> Call:
    """A request whose keypoints / image bytes do not match the declared shape."""
    def short(arr: np.ndarray) -> pose_pb2.Tensor:
        t = to_tensor(arr)
        t.data = t.data[:-4]
        return t

    if info.kind == pose_pb2.TRIANGULATOR:
        req, _ = triangulate_request(5)
        req.views[1].keypoints.CopyFrom(short(from_tensor(req.views[1].keypoints, "k")))
        return lambda stub, t: stub.Triangulate(req, timeout=t)
    if info.kind == pose_pb2.LIFTER_3D:
        req = lift_request(info, 10)
        req.keypoints.CopyFrom(short(from_tensor(req.keypoints, "k")))
        return lambda stub, t: stub.Lift(req, timeout=t)
    frame = pose_pb2.Frame(index=0, camera_id="c", raw_bgr=b"\0" * 100, width=64, height=48)
    return lambda stub, t: _detect(stub, frame, t)


def unimplemented_call(info: pose_pb2.EstimatorInfo) -> tuple[str, Call]:
    """(RPC name, call) of an RPC this kind does not serve."""
    if info.kind == pose_pb2.TRIANGULATOR:
        return "Lift", lambda stub, t: stub.Lift(pose_pb2.LiftRequest(), timeout=t)
    return "Triangulate", lambda stub, t: stub.Triangulate(pose_pb2.TriangulateRequest(),
                                                           timeout=t)


def code_of(call: Call, stub: pose_pb2_grpc.PoseEstimatorStub, timeout: float
            ) -> tuple[grpc.StatusCode, str]:
    """Run `call`; return (status code, details), OK and "" when it succeeded."""
    try:
        call(stub, timeout)
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""
