"""The service base: health, reflection, status codes, message limits, deadlines."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from posearena.service import ServiceConfig, build_server
from posearena.tensors import to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.runtime import open_channel, probe


def _health(target: str) -> int:
    with open_channel(target) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        return stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status


def _lift(target: str, arr: np.ndarray, skeleton: str = "coco17", timeout: float = 5.0):
    with open_channel(target) as ch:
        stub = pose_pb2_grpc.PoseEstimatorStub(ch)
        return stub.Lift(
            pose_pb2.LiftRequest(keypoints=to_tensor(arr), skeleton=skeleton, width=640,
                                 height=480),
            timeout=timeout,
        )


def test_missing_model_reports_not_serving_with_the_file(file_service):
    svc, target = file_service
    assert _health(target) == health_pb2.HealthCheckResponse.NOT_SERVING
    p = probe(target)
    assert p.reachable and not p.serving
    assert str(svc.model_path) in p.status_line
    with pytest.raises(grpc.RpcError) as err:
        _lift(target, np.zeros((4, 17, 2), np.float32))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert str(svc.model_path) in err.value.details()


def test_loaded_model_serves(file_service, tmp_path):
    cls = type(file_service[0])
    (tmp_path / "w2.bin").write_bytes(b"w")
    svc = cls(tmp_path / "w2.bin")
    server, port = build_server(svc, ServiceConfig(port=0))
    try:
        target = f"127.0.0.1:{port}"
        assert _health(target) == health_pb2.HealthCheckResponse.SERVING
        out = _lift(target, np.ones((3, 17, 2), np.float32))
        assert out.poses_3d.shape == [3, 17, 3]
    finally:
        server.stop(0).wait()


@pytest.fixture
def ready_service(file_service):
    svc, target = file_service
    svc.model_path.write_bytes(b"w")
    return svc, target


def test_wrong_joint_count_is_invalid_argument_naming_field(ready_service):
    _, target = ready_service
    with pytest.raises(grpc.RpcError) as err:
        _lift(target, np.zeros((4, 5, 2), np.float32))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "keypoints.shape" in err.value.details() and "(T, 17, 2)" in err.value.details()


def test_unknown_skeleton_is_invalid_argument(ready_service):
    _, target = ready_service
    with pytest.raises(grpc.RpcError) as err:
        _lift(target, np.zeros((4, 17, 2), np.float32), skeleton="coco99")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "coco99" in err.value.details()


def test_wrong_byte_length_is_invalid_argument(ready_service):
    _, target = ready_service
    bad = to_tensor(np.zeros((4, 17, 2), np.float32))
    bad.data = bad.data[:-4]
    with open_channel(target) as ch, pytest.raises(grpc.RpcError) as err:
        pose_pb2_grpc.PoseEstimatorStub(ch).Lift(
            pose_pb2.LiftRequest(keypoints=bad, skeleton="coco17"), timeout=5
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "keypoints.data" in err.value.details() and "540 bytes" in err.value.details()


def test_message_over_the_limit_is_resource_exhausted(ready_service):
    _, target = ready_service  # server limit: 1 MiB
    big = np.zeros((10_000, 17, 2), np.float32)  # 1.36 MB
    with pytest.raises(grpc.RpcError) as err:
        _lift(target, big)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_client_deadline_is_enforced(ready_service):
    svc, target = ready_service
    svc.release.clear()  # the servicer now blocks until released
    with pytest.raises(grpc.RpcError) as err:
        _lift(target, np.zeros((2, 17, 2), np.float32), timeout=0.3)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_unimplemented_rpc_answers_unimplemented(ready_service):
    _, target = ready_service
    with open_channel(target) as ch, pytest.raises(grpc.RpcError) as err:
        pose_pb2_grpc.PoseEstimatorStub(ch).Triangulate(pose_pb2.TriangulateRequest(), timeout=5)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_reflection_lists_pose_api_and_health(ready_service):
    _, target = ready_service
    with open_channel(target) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"posearena.v1.PoseEstimator", "grpc.health.v1.Health"} <= names


def test_port_in_use_is_a_clear_error(ready_service):
    svc, target = ready_service
    port = int(target.rsplit(":", 1)[1])
    with pytest.raises(OSError, match="in use"):
        build_server(type(svc)(svc.model_path), ServiceConfig(port=port))


def test_services_and_the_gateway_listen_on_loopback_unless_told(monkeypatch):
    """Who may reach what: 127.0.0.1 by default; --host or POSEARENA_HOST opens it up."""
    from posearena.service import base_parser, parse_config

    monkeypatch.delenv("POSEARENA_HOST", raising=False)
    monkeypatch.delenv("POSEARENA_PARENT_PID", raising=False)
    assert parse_config(base_parser("x"), []).host == "127.0.0.1"
    monkeypatch.setenv("POSEARENA_HOST", "0.0.0.0")
    assert parse_config(base_parser("x"), []).host == "0.0.0.0"
    assert parse_config(base_parser("x"), ["--host", "::1"]).host == "::1"
