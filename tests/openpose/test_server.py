"""A real in-process gRPC server with the OpenPose servicer (stamp model), and the entry point."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from _helpers.grpc_server import serve_in_process
from _helpers.services import running_service
from grpc_health.v1 import health_pb2, health_pb2_grpc
from openpose_testkit import draw_blocks, write_stamp_model

from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings
from posearena_openpose.spec import BODY25


def _serve(models: Path) -> AbstractContextManager[grpc.Channel]:
    settings = OpenPoseSettings(model="body25", models_dir=str(models))
    return serve_in_process(OpenPoseService(settings))


@pytest.fixture
def channel(tmp_path: Path, stamp_offsets: np.ndarray) -> Iterator[grpc.Channel]:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    with _serve(tmp_path) as channel:
        yield channel


def _frame(i: int, img: np.ndarray, png: bool) -> pose_pb2.DetectRequest:
    f = pose_pb2.Frame(index=i, timestamp_s=i / 25, camera_id="cam", width=img.shape[1],
                       height=img.shape[0])
    if png:
        f.encoded = cv2.imencode(".png", img)[1].tobytes()
    else:
        f.raw_bgr = img.tobytes()
    return pose_pb2.DetectRequest(frame=f)


def test_info_health_and_detect_stream(channel: grpc.Channel, stamp_offsets) -> None:
    stub = pose_pb2_grpc.PoseEstimatorStub(channel)
    info = stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
    assert info.kind == pose_pb2.DETECTOR_2D and info.model_loaded
    assert info.output_skeleton.name == "body25" and len(info.output_skeleton.joint_names) == 25
    assert "coco17" in info.convertible_to and info.units == "px"
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING

    two = draw_blocks(496, 368, [(163.5, 187.5), (339.5, 171.5)])
    one = draw_blocks(496, 368, [(243.5, 179.5)])
    reqs = [pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=5, image_mode=True)),
            _frame(0, two, png=False), _frame(1, one, png=True),
            _frame(2, draw_blocks(496, 368, []), png=False)]
    out = list(stub.Detect(iter(reqs), timeout=30))
    assert [fp.index for fp in out] == [0, 1, 2]
    assert [len(fp.people) for fp in out] == [2, 1, 0]
    fp = out[1]
    assert (fp.width, fp.height, fp.skeleton, fp.camera_id) == (496, 368, "body25", "cam")
    p = fp.people[0]
    kp = from_tensor(p.keypoints, "keypoints", ndim=2, last_dim=2)
    assert np.abs(kp - ((243.5, 179.5) + 8.0 * stamp_offsets)).max() < 0.05
    conf = from_tensor(p.confidence, "confidence", ndim=1)
    assert conf.shape == (25,) and np.all((conf > 0.9) & (conf <= 1))
    assert 0 < p.score <= 1 and p.track_id == -1
    assert p.box.x0 == pytest.approx(kp[:, 0].min(), abs=1e-3)
    assert p.box.y1 == pytest.approx(kp[:, 1].max(), abs=1e-3)


def test_max_people_and_conversion(channel: grpc.Channel) -> None:
    stub = pose_pb2_grpc.PoseEstimatorStub(channel)
    two = draw_blocks(496, 368, [(163.5, 187.5), (339.5, 171.5)])
    opts = pose_pb2.DetectOptions(max_people=0, output_skeleton="coco17")
    (fp,) = stub.Detect(iter([pose_pb2.DetectRequest(options=opts), _frame(0, two, False)]),
                        timeout=30)
    assert fp.skeleton == "coco17" and len(fp.people) == 1  # 0 or 1: the best person
    kp = from_tensor(fp.people[0].keypoints, "keypoints", ndim=2, last_dim=2)
    assert kp.shape == (17, 2) and np.all(np.isfinite(kp))


def test_bad_requests_are_invalid_argument(channel: grpc.Channel) -> None:
    stub = pose_pb2_grpc.PoseEstimatorStub(channel)
    bad_opts = pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(output_skeleton="kinect9"))
    with pytest.raises(grpc.RpcError) as err:
        list(stub.Detect(iter([bad_opts]), timeout=10))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "options.output_skeleton" in err.value.details()
    f = pose_pb2.Frame(index=7, raw_bgr=b"\0" * 10, width=4, height=4)
    with pytest.raises(grpc.RpcError) as err:
        list(stub.Detect(iter([pose_pb2.DetectRequest(frame=f)]), timeout=10))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=7].raw_bgr" in err.value.details()


def test_missing_model_not_serving(tmp_path: Path) -> None:
    with _serve(tmp_path / "empty") as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                           timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
        stub = pose_pb2_grpc.PoseEstimatorStub(channel)
        info = stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
        assert not info.model_loaded and "pose_iter_584000.caffemodel" in info.model_status
        with pytest.raises(grpc.RpcError) as err:
            list(stub.Detect(iter([]), timeout=10))
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "pose/body_25/pose_deploy.prototxt" in err.value.details()


def test_entry_point_starts_without_models(tmp_path: Path) -> None:
    with running_service("openpose", tmp_path / "log",
                         ["--models-dir", str(tmp_path), "--model", "coco"]) as rs:
        log = rs.log_path.read_text()
        assert re.search(r"^openpose listening on 127\.0\.0\.1:\d+$", log, re.M), log
        assert rs.target.startswith("127.0.0.1:")
    assert rs.process.returncode == 0
