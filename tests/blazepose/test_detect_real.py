"""BlazePose service on the real Pose2Sim clip, through `detect_video` (gRPC only)."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from posearena.skeletons import convert, get_skeleton
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.detection import detect_video

from .conftest import ROOT, VIDEOS

REFERENCE = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"


def _idx(*names: str) -> list[int]:
    joints = get_skeleton("blazepose33").joints
    return [joints.index(n) for n in names]


@pytest.fixture(scope="module")
def cam01(blazepose_target: str):
    return detect_video(blazepose_target, VIDEOS / "cam01.mp4")


def test_health_and_info(blazepose_target: str) -> None:
    with grpc.insecure_channel(blazepose_target) as ch:
        health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
        info = pose_pb2_grpc.PoseEstimatorStub(ch).GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert info.name == "blazepose" and info.kind == pose_pb2.VIDEO_TO_3D
    assert info.model_loaded and "pose_landmark_full.tflite" in info.model_status
    assert info.output_skeleton.name == "blazepose33"
    assert list(info.output_skeleton.joint_names) == list(get_skeleton("blazepose33").joints)
    assert set(info.convertible_to) == {"coco17", "body25", "h36m17"}
    assert set(info.accepted_inputs) == {"image/jpeg", "image/png", "raw/bgr24"}
    assert info.details["mediapipe"] == "0.10.21"
    assert info.units == "px"


def test_every_frame_of_cam01(cam01) -> None:
    det = cam01
    assert det.keypoints.shape == (100, 1, 33, 2)
    assert det.skeleton == "blazepose33" and det.fps == 60.0
    assert (det.width, det.height) == (1080, 1920)
    assert np.isfinite(det.keypoints).all() and np.isfinite(det.person_scores).all()
    assert ((det.scores >= 0) & (det.scores <= 1)).all()
    kp = det.keypoints[:, 0]
    hips, ankles = (
        kp[:, _idx("left_hip", "right_hip"), 1],
        kp[:, _idx("left_ankle", "right_ankle"), 1],
    )
    assert (ankles > hips + 100).all()  # image y grows downwards; the person is ~500 px tall
    seen = det.scores[:, 0] > 0.5
    x, y = kp[..., 0][seen], kp[..., 1][seen]
    assert ((x >= -0.5) & (x <= 1079.5) & (y >= -0.5) & (y <= 1919.5)).all()


def test_matches_independent_inprocess_run(cam01) -> None:
    """Against BlazePose 2D stored by a separate in-process run (same pixel convention, but
    MediaPipe's default 1/30 s frame step; the service smooths with the real 1/60 s)."""
    ref = np.load(REFERENCE)["keypoints"][0]  # (100, 33, 2) cam01
    body = _idx(
        "left_shoulder",
        "right_shoulder",
        "left_hip",
        "right_hip",
        "left_knee",
        "right_knee",
        "left_ankle",
        "right_ankle",
    )
    diff = cam01.keypoints[:, 0, body] - ref[:, body]
    assert np.median(np.linalg.norm(diff, axis=-1)) < 3.0


def test_world_landmarks_metric_and_hip_centred(cam01) -> None:
    w = cam01.extra["world"][:, 0]  # (T, 33, 3) m
    assert w.shape == (100, 33, 3) and np.isfinite(w).all()
    lh, rh, lk, rk, la, ra = _idx(
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"
    )
    mid = (w[:, lh] + w[:, rh]) / 2
    assert np.abs(mid).max() < 0.05
    for hip, knee, ankle in ((lh, lk, la), (rh, rk, ra)):
        leg = np.linalg.norm(w[:, knee] - w[:, hip], axis=-1) + np.linalg.norm(
            w[:, ankle] - w[:, knee], axis=-1
        )
        assert 0.6 < np.median(leg) < 1.1
    assert (w[:, [la, ra], 1] > w[:, [lh, rh], 1]).all()  # y down: ankles below hips


@pytest.mark.parametrize("cam", ["cam02", "cam03", "cam04"])
def test_other_cameras_first_frames(blazepose_target: str, cam: str) -> None:
    det = detect_video(blazepose_target, VIDEOS / f"{cam}.mp4", max_frames=12, transport="jpeg")
    assert det.keypoints.shape == (12, 1, 33, 2) and np.isfinite(det.keypoints).all()
    assert det.width == (1080 if cam == "cam02" else 1088)
    kp = det.keypoints[:, 0]
    assert (
        kp[:, _idx("left_ankle", "right_ankle"), 1].min(1)
        > kp[:, _idx("left_hip", "right_hip"), 1].max(1)
    ).all()


def test_coco17_conversion_matches_native(blazepose_target: str) -> None:
    video = VIDEOS / "cam01.mp4"
    native = detect_video(blazepose_target, video, max_frames=8)
    coco = detect_video(blazepose_target, video, max_frames=8, output_skeleton="coco17")
    assert coco.skeleton == "coco17" and coco.keypoints.shape == (8, 1, 17, 2)
    assert coco.extra["world"].shape == (8, 1, 17, 3)
    expected = convert(native.keypoints, "blazepose33", "coco17")
    np.testing.assert_allclose(coco.keypoints, expected, atol=0.05)
    np.testing.assert_allclose(
        coco.extra["world"], convert(native.extra["world"], "blazepose33", "coco17"), atol=1e-4
    )


def test_image_mode_close_to_video_mode(blazepose_target: str, cam01) -> None:
    det = detect_video(blazepose_target, VIDEOS / "cam01.mp4", max_frames=5, image_mode=True)
    err = np.linalg.norm(det.keypoints[:, 0] - cam01.keypoints[:5, 0], axis=-1)
    assert np.median(err) < 15.0


def test_video_without_person_keeps_every_frame(blazepose_target: str, noise_video) -> None:
    det = detect_video(blazepose_target, noise_video)
    assert det.keypoints.shape == (12, 1, 33, 2)
    assert np.isnan(det.keypoints).all() and np.isnan(det.person_scores).all()
    assert (det.scores == 0).all()
    assert np.isnan(det.extra["world"]).all() and det.extra["world"].shape == (12, 1, 33, 3)
    assert (det.width, det.height, det.fps) == (320, 240, 25.0)
