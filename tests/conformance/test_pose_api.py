"""Pose API conformance: any estimator service must pass these (target: see conftest.py)."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from posearena.skeletons import get_skeleton
from posearena.v1 import pose_pb2
from tests.conformance.pose_requests import code_of, malformed_call, unimplemented_call, valid_call

POSE_SERVICE = "posearena.v1.PoseEstimator"
UNITS = {pose_pb2.DETECTOR_2D: "px", pose_pb2.LIFTER_3D: "m", pose_pb2.TRIANGULATOR: "m",
         pose_pb2.VIDEO_TO_3D: "m"}


def _skeleton_matches_registry(sk: pose_pb2.Skeleton) -> None:
    reg = get_skeleton(sk.name)
    assert list(sk.joint_names) == list(reg.joints)
    assert list(sk.parents) == list(reg.parents)
    assert list(sk.left_joints) == list(reg.left) and list(sk.right_joints) == list(reg.right)


def test_get_info_fields_are_sane(info):
    assert info.name and info.version
    assert info.kind in UNITS, f"kind={info.kind}: expected a known EstimatorKind"
    assert info.units in ("px", "m") and info.coordinate_frame
    if info.kind != pose_pb2.VIDEO_TO_3D:
        assert info.units == UNITS[info.kind]
    if info.output_skeleton.name:
        _skeleton_matches_registry(info.output_skeleton)
    for name in info.convertible_to:
        get_skeleton(name)  # every advertised skeleton exists in the registry
    if info.kind == pose_pb2.LIFTER_3D:
        _skeleton_matches_registry(info.input_skeleton)
    if info.kind in (pose_pb2.DETECTOR_2D, pose_pb2.VIDEO_TO_3D):
        assert info.accepted_inputs
    assert info.receptive_field >= 0
    assert info.model_status, "model_status must say 'ready' or what is missing"


def test_health_answers_and_agrees_with_get_info(channel, info):
    health = health_pb2_grpc.HealthStub(channel)
    want = (health_pb2.HealthCheckResponse.SERVING if info.model_loaded
            else health_pb2.HealthCheckResponse.NOT_SERVING)
    for name in ("", POSE_SERVICE):
        assert health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status == want
    with pytest.raises(grpc.RpcError) as err:
        health.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_and_describes_the_pose_api(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    reqs = [reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=POSE_SERVICE)]
    listed, described = list(stub.ServerReflectionInfo(iter(reqs), timeout=10))
    names = {s.name for s in listed.list_services_response.service}
    assert {POSE_SERVICE, "grpc.health.v1.Health"} <= names
    protos = described.file_descriptor_response.file_descriptor_proto
    assert protos, described.error_response.error_message
    from google.protobuf import descriptor_pb2

    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in protos]
    methods = {m.name for f in files for s in f.service if s.name == "PoseEstimator"
               for m in s.method}
    assert methods == {"GetInfo", "Detect", "Lift", "LiftStream", "AdaptLift", "Triangulate"}


def test_rpc_of_another_kind_is_unimplemented(stub, info):
    rpc, call = unimplemented_call(info)
    code, details = code_of(call, stub, 10)
    assert code == grpc.StatusCode.UNIMPLEMENTED, f"{rpc}: {code} {details}"


def test_valid_request_gets_a_correct_answer(stub, info):
    if not info.model_loaded:
        pytest.skip(f"model not loaded: {info.model_status}")
    call, check = valid_call(info)
    check(call(stub, 60))


def test_tensor_with_wrong_byte_length_is_invalid_argument(stub, info):
    if not info.model_loaded:
        pytest.skip(f"model not loaded (FAILED_PRECONDITION comes first): {info.model_status}")
    code, details = code_of(malformed_call(info), stub, 30)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, f"{code}: {details}"
    assert "expected" in details, f"message must say what was expected: {details!r}"


def test_deadline_is_honoured_and_service_stays_responsive(stub, info):
    if not info.model_loaded:
        pytest.skip(f"model not loaded: {info.model_status}")
    call, _ = valid_call(info, size=200)
    code, _ = code_of(call, stub, 0.001)
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    # not stuck on the abandoned call: answers within these calls' own deadlines
    stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    small, check_small = valid_call(info)
    check_small(small(stub, 60))


def test_request_without_model_is_failed_precondition(stub, info):
    """A service whose weights are missing stays up, NOT_SERVING, and answers a valid request
    with FAILED_PRECONDITION whose message says what is missing, never a crash or a result."""
    if info.model_loaded:
        pytest.skip("model loaded: the valid request is checked by the tests above")
    call, _ = valid_call(info)
    code, details = code_of(call, stub, 30)
    assert code == grpc.StatusCode.FAILED_PRECONDITION, f"{code}: {details}"
    assert details, "the message must say which model files are missing"
    stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)  # still answering afterwards
