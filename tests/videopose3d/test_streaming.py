"""The streaming `LiftStream` RPC: one causal 3D pose per 2D frame, sent as each frame
arrives, equal to the unary causal lift of the whole sequence."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import grpc
import numpy as np
import pytest
import torch
from _helpers.grpc_server import serve_in_process

from posearena.errors import InvalidInputError
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_videopose3d.inference import lift
from posearena_videopose3d.loader import CAUSAL_CHECKPOINT, load_service_model
from posearena_videopose3d.servicer import VideoPose3DService
from posearena_videopose3d.streaming import CausalStream, single_frame_model

from .test_causal import H, W, _track

N = 130


@pytest.fixture(scope="module")
def loaded():
    torch.set_num_threads(1)
    return load_service_model()


@pytest.fixture(scope="module")
def stub(loaded) -> Iterator[pose_pb2_grpc.PoseEstimatorStub]:
    with serve_in_process(VideoPose3DService(loaded, max_frames=500)) as channel:
        yield pose_pb2_grpc.PoseEstimatorStub(channel)


def _first(**kw) -> pose_pb2.LiftStreamRequest:
    return pose_pb2.LiftStreamRequest(skeleton="coco17", width=W, height=H, fps=60, **kw)


def _frames(kp: np.ndarray, per_message: int) -> list[pose_pb2.LiftStreamRequest]:
    return [pose_pb2.LiftStreamRequest(keypoints=to_tensor(kp[i:i + per_message]))
            for i in range(0, len(kp), per_message)]


def test_stream_equals_the_unary_causal_lift(stub, loaded) -> None:
    kp = _track(N).astype(np.float32)
    expected = lift(kp, W, H, loaded.causal)
    for per_message in (1, 7):
        replies = list(stub.LiftStream(iter([_first(), *_frames(kp, per_message)]),
                                       timeout=120))
        assert [r.index for r in replies] == list(range(N))
        poses = np.stack([from_tensor(r.pose_3d, "pose_3d") for r in replies])
        np.testing.assert_array_equal(np.isnan(poses), np.isnan(expected.poses_3d))
        np.testing.assert_allclose(poses, expected.poses_3d, atol=2e-5, equal_nan=True)
        assert [r.interpolated for r in replies] == expected.interpolated.tolist()
        rf = int(replies[0].details["receptive_field"])
        # frames 0-6 wait for joint 3; from frame 7 the first lifted frame fills the past
        assert sum(r.warm_up for r in replies) == 7 + rf - 1
        assert replies[0].details["model"] == str(CAUSAL_CHECKPOINT)
        assert replies[5].details == {} and replies[5].skeleton == "h36m17"


def test_each_frame_is_answered_before_the_next_is_sent(stub) -> None:
    kp = _track(20)[7:].astype(np.float32)
    answered = queue.Queue()

    def requests() -> Iterator[pose_pb2.LiftStreamRequest]:
        yield _first(flip_tta=False)
        for i, frame in enumerate(kp):
            yield pose_pb2.LiftStreamRequest(keypoints=to_tensor(frame[None]))
            assert answered.get(timeout=30) == i  # blocks until frame i came back

    got = []
    for reply in stub.LiftStream(requests(), timeout=60):
        got.append(reply.index)
        answered.put(reply.index)
    assert got == list(range(len(kp)))


@pytest.mark.parametrize("first, frame, field", [
    (dict(width=0), None, "width"),
    (dict(model="default"), None, "model"),
    (dict(skeleton="body25"), None, "skeleton"),
    (dict(), np.zeros((2, 12, 2), np.float32), "keypoints"),
    (dict(), np.full((1, 17, 2), np.inf, np.float32), "keypoints"),
])
def test_bad_streams_are_invalid_argument(stub, first, frame, field) -> None:
    base = dict(skeleton="coco17", width=W, height=H, fps=60)
    msgs = [pose_pb2.LiftStreamRequest(**{**base, **first})]
    if frame is not None:
        msgs.append(pose_pb2.LiftStreamRequest(keypoints=to_tensor(frame)))
    with pytest.raises(grpc.RpcError) as err:
        list(stub.LiftStream(iter(msgs), timeout=30))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in err.value.details()


def test_streaming_needs_a_causal_model(loaded) -> None:
    with pytest.raises(InvalidInputError, match="causal"):
        single_frame_model(loaded.lifter.model)
    with pytest.raises(InvalidInputError, match="height"):
        CausalStream(single_frame_model(loaded.causal.model), W, 0)
