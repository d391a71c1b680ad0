"""The VideoPose3D service over a real in-process gRPC server on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from _helpers.grpc_server import serve_in_process
from _helpers.services import running_service
from grpc_health.v1 import health_pb2, health_pb2_grpc

from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_videopose3d.checkpoint import save_checkpoint
from posearena_videopose3d.inference import lift
from posearena_videopose3d.loader import ENV_VAR, load_service_model
from posearena_videopose3d.servicer import VideoPose3DService

W, H = 640, 480


@pytest.fixture
def ckpt(make_model, tmp_path: Path) -> tuple[Path, object]:
    model = make_model([3, 3], channels=32)
    return save_checkpoint(tmp_path / "m.pt", model, training_data="test"), model


@pytest.fixture
def stub(ckpt) -> Iterator[pose_pb2_grpc.PoseEstimatorStub]:
    service = VideoPose3DService(load_service_model(ckpt[0]), max_frames=500)
    with serve_in_process(service) as channel:
        yield pose_pb2_grpc.PoseEstimatorStub(channel)


def _request(kp: np.ndarray, **kw) -> pose_pb2.LiftRequest:
    return pose_pb2.LiftRequest(keypoints=to_tensor(kp.astype(np.float32)), skeleton="coco17",
                                width=W, height=H, fps=30, **kw)


def test_info_and_lift(stub, ckpt) -> None:
    info = stub.GetInfo(pose_pb2.GetInfoRequest())
    assert info.kind == pose_pb2.LIFTER_3D and info.model_loaded
    assert info.input_skeleton.name == "coco17" and info.output_skeleton.name == "h36m17"
    assert info.receptive_field == 9 and info.units == "m"
    assert info.details["filter_widths"] == "3,3"
    rng = np.random.default_rng(0)
    kp = rng.uniform([100, 100], [500, 400], size=(40, 17, 2)).astype(np.float32)
    kp[5, 2] = np.nan
    resp = stub.Lift(_request(kp))
    poses = from_tensor(resp.poses_3d, "poses_3d")
    expected = lift(kp, W, H, ckpt[1])
    np.testing.assert_allclose(poses, expected.poses_3d, atol=1e-6)
    assert resp.skeleton == "h36m17"
    assert from_tensor(resp.interpolated, "interpolated").tolist() == [0] * 5 + [1] + [0] * 34
    no_tta = from_tensor(stub.Lift(_request(kp, flip_tta=False)).poses_3d, "p")
    np.testing.assert_allclose(no_tta, lift(kp, W, H, ckpt[1], flip_tta=False).poses_3d,
                               atol=1e-6)
    assert np.abs(no_tta - poses).max() > 1e-4


def test_errors(stub) -> None:
    kp = np.zeros((10, 17, 2), np.float32) + 100
    cases = [
        (_request(np.zeros((10, 18, 2))), grpc.StatusCode.INVALID_ARGUMENT, "keypoints"),
        (_request(kp[..., :1]), grpc.StatusCode.INVALID_ARGUMENT, "keypoints"),
        (_request(np.full((10, 17, 2), np.nan)), grpc.StatusCode.INVALID_ARGUMENT, "NaN"),
        (_request(kp, model="other"), grpc.StatusCode.INVALID_ARGUMENT, "model"),
        (pose_pb2.LiftRequest(keypoints=to_tensor(kp), skeleton="body25", width=W, height=H),
         grpc.StatusCode.INVALID_ARGUMENT, "skeleton"),
        (pose_pb2.LiftRequest(keypoints=to_tensor(kp), width=0, height=H),
         grpc.StatusCode.INVALID_ARGUMENT, "width"),
        (_request(np.zeros((501, 17, 2)) + 100), grpc.StatusCode.RESOURCE_EXHAUSTED, "500"),
    ]
    for req, code, text in cases:
        with pytest.raises(grpc.RpcError) as err:
            stub.Lift(req)
        assert err.value.code() == code, err.value.details()
        assert text in err.value.details()


def test_no_model_not_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr("posearena_videopose3d.loader.DEFAULT_CHECKPOINT", tmp_path / "none.pt")
    service = VideoPose3DService(load_service_model())
    with serve_in_process(service) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        state = health.Check(health_pb2.HealthCheckRequest(service="")).status
        assert state == health_pb2.HealthCheckResponse.NOT_SERVING
        stub = pose_pb2_grpc.PoseEstimatorStub(channel)
        info = stub.GetInfo(pose_pb2.GetInfoRequest())
        assert not info.model_loaded
        assert "none.pt" in info.model_status and "models/default.pt" in info.model_status
        with pytest.raises(grpc.RpcError) as err:
            stub.Lift(_request(np.zeros((5, 17, 2)) + 50))
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "default.pt" in err.value.details()


def test_env_var_and_corrupt_checkpoint(ckpt, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(ckpt[0]))
    loaded = load_service_model()
    assert loaded.lifter is not None and loaded.source == ENV_VAR
    bad = tmp_path / "bad.pt"
    bad.write_bytes(ckpt[0].read_bytes()[:100])
    broken = load_service_model(bad)
    assert broken.lifter is None and "bad.pt" in broken.status
    wrong = load_service_model(ckpt[0], channels=64)
    assert wrong.lifter is None and "expand_bn.weight" in wrong.status


def test_server_entry_point(ckpt, tmp_path: Path) -> None:
    """`python -m posearena_videopose3d.server` starts, serves Lift, stops on SIGTERM."""
    args = ["--checkpoint", str(ckpt[0]), "--arch", "3,3", "--channels", "32", "--threads", "1"]
    with running_service("videopose3d", tmp_path / "log", args, grace_s=20.0) as rs:
        log = rs.log_path.read_text()
        assert re.search(r"^videopose3d listening on 127\.0\.0\.1:\d+$", log, re.M), log
        with grpc.insecure_channel(rs.target) as channel:
            info = pose_pb2_grpc.PoseEstimatorStub(channel).GetInfo(pose_pb2.GetInfoRequest())
        assert info.model_loaded and info.receptive_field == 9
    assert rs.process.returncode == 0
