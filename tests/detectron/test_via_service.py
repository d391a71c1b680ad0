"""The Detectron service as a subprocess of its own venv, driven over gRPC from the main venv."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from _helpers.services import RunningService, running_service
from grpc_health.v1 import health_pb2, health_pb2_grpc

from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PY = ROOT / ".venvs" / "detectron" / "bin" / "python"
VIDEO = ROOT / "data" / "pose2sim_demo" / "videos" / "cam01.mp4"

if not PY.exists():
    pytest.skip(f"Detectron venv missing: {PY} (see services/detectron/requirements.txt)",
                allow_module_level=True)


def _service(models_dir: Path, log_dir: Path) -> AbstractContextManager[RunningService]:
    """The Detectron service (its own venv) on a free port, reading weights from models_dir."""
    return running_service("detectron", log_dir, [
        "--models-dir", str(models_dir), "--min-size", "320", "--max-size", "576",
        "--threads", "2", "--max-detections", "3"])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A service with a randomly initialised keypointrcnn_resnet50_fpn saved as .pth."""
    models = tmp_path_factory.mktemp("models")
    pth = models / "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"
    subprocess.run([str(PY), str(HERE / "make_random_weights.py"), str(pth)], check=True,
                   cwd=ROOT, timeout=120)
    with _service(models, tmp_path_factory.mktemp("detectron-log")) as rs:
        yield rs.target


def _stub(target: str) -> pose_pb2_grpc.PoseEstimatorStub:
    return pose_pb2_grpc.PoseEstimatorStub(grpc.insecure_channel(target))


def _health(target: str) -> int:
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(target))
    return stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status


def _frame(index: int, **image: object) -> pose_pb2.DetectRequest:
    return pose_pb2.DetectRequest(frame=pose_pb2.Frame(index=index, **image))


def _detect(target: str, requests: list[pose_pb2.DetectRequest]) -> list[pose_pb2.FramePoses]:
    return list(_stub(target).Detect(iter(requests), timeout=120))


def test_info_health_and_detect_on_a_real_frame(loaded: str) -> None:
    info = _stub(loaded).GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
    assert info.model_loaded and info.kind == pose_pb2.DETECTOR_2D
    assert info.output_skeleton.name == "coco17" and len(info.output_skeleton.joint_names) == 17
    assert info.details["variant"] == "torchvision_r50" and info.units == "px"
    assert _health(loaded) == health_pb2.HealthCheckResponse.SERVING
    cap = cv2.VideoCapture(str(VIDEO))
    ok, bgr = cap.read()
    cap.release()
    assert ok
    jpeg = cv2.imencode(".jpg", bgr)[1].tobytes()
    gray_png = cv2.imencode(".png", cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))[1].tobytes()
    out = _detect(loaded, [
        pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=1)),
        _frame(0, encoded=jpeg), _frame(1, encoded=gray_png, width=1080, height=1920),
    ])
    assert [fp.index for fp in out] == [0, 1]
    for fp in out:
        assert (fp.width, fp.height, fp.skeleton) == (1080, 1920, "coco17")
        assert len(fp.people) == 1  # the random model's classifier is biased to "person"
        p = fp.people[0]
        kp = from_tensor(p.keypoints, "keypoints", 2, 2)
        conf = from_tensor(p.confidence, "confidence", 1)
        assert kp.shape == (17, 2) and np.isfinite(kp).all()
        assert (kp >= -0.5).all() and (kp[:, 0] <= 1080).all() and (kp[:, 1] <= 1920).all()
        assert ((conf >= 0) & (conf <= 1)).all() and 0.5 <= p.score <= 1 and p.track_id == 0
    # h36m17 output; nobody above min_person_score -> an empty people list, frame kept
    out = _detect(loaded, [
        pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(
            output_skeleton="h36m17", min_person_score=0.999, image_mode=True)),
        _frame(7, raw_bgr=cv2.resize(bgr, (270, 480)).tobytes(), width=270, height=480),
    ])
    assert len(out) == 1 and out[0].index == 7 and out[0].skeleton == "h36m17"
    assert len(out[0].people) == 0


def test_bad_frames_are_invalid_argument(loaded: str) -> None:
    with pytest.raises(grpc.RpcError) as exc:
        _detect(loaded, [_frame(3, raw_bgr=b"\x00" * 100, width=10, height=10)])
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=3].raw_bgr='100 bytes'" in exc.value.details()
    with pytest.raises(grpc.RpcError) as exc:
        _detect(loaded, [pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(
            output_skeleton="nope"))])
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "options.output_skeleton='nope'" in exc.value.details()


def test_missing_weights_not_serving(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    with _service(models, tmp_path) as rs:
        target = rs.target
        assert _health(target) == health_pb2.HealthCheckResponse.NOT_SERVING
        info = _stub(target).GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
        assert not info.model_loaded
        assert str(models.resolve()) in info.model_status
        for name in ("model_final_997cc7.pkl", "model_final_a6e10b.pkl",
                     "e2e_keypoint_rcnn_R-101-FPN_s1x.pkl",
                     "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"):
            assert name in info.model_status
        with pytest.raises(grpc.RpcError) as exc:
            _detect(target, [_frame(0, raw_bgr=bytes(12), width=2, height=2)])
        assert exc.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "model_final_997cc7.pkl" in exc.value.details()
