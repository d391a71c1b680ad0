"""Causal lifting in the service: the output for frame t never changes when frames after t
arrive (gap filling, the network, flip TTA), and the service serves the shipped causal model."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import numpy as np
import pytest
import torch
from _helpers.grpc_server import serve_in_process

from posearena.errors import InvalidInputError
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_videopose3d.checkpoint import save_checkpoint
from posearena_videopose3d.inference import Lifter, fill_missing, fill_missing_causal, lift
from posearena_videopose3d.loader import (
    CAUSAL_CHECKPOINT,
    DEFAULT_CHECKPOINT,
    load_service_model,
)
from posearena_videopose3d.servicer import VideoPose3DService

W, H = 1080, 1920


def _track(n: int = 300, seed: int = 0) -> np.ndarray:
    """(n, 17, 2) px: a smooth random COCO-17 track with gaps (one joint, then whole frames)."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([400, 600], [700, 1300], size=(17, 2))
    drift = np.cumsum(rng.normal(0, 2.0, size=(n, 17, 2)), axis=0)
    kp = base + drift
    kp[:7, 3] = np.nan  # joint 3 unseen at the start
    kp[95:105, 9] = np.nan  # a wrist gap across the split point below
    kp[150:156] = np.nan  # nobody for 6 frames
    return kp


@pytest.fixture(scope="module")
def shipped() -> Iterator[object]:
    torch.set_num_threads(1)
    yield load_service_model()


def test_causal_fill_holds_the_last_seen_position() -> None:
    kp = np.array([[[np.nan, np.nan], [0.0, 0.0]], [[1.0, 2.0], [np.nan, np.nan]],
                   [[np.nan, np.nan], [5.0, 5.0]], [[3.0, 4.0], [6.0, 6.0]]])
    filled, interp, start = fill_missing_causal(kp)
    assert start == 1  # joint 0 first seen in frame 1
    assert np.isnan(filled[0]).all()
    np.testing.assert_array_equal(filled[1:], [[[1, 2], [0, 0]], [[1, 2], [5, 5]],
                                               [[3, 4], [6, 6]]])
    assert interp.tolist() == [True, True, True, False]
    with pytest.raises(InvalidInputError):
        fill_missing_causal(np.full((3, 2, 2), np.inf))


def test_gap_filling_is_causal_and_interpolation_is_not() -> None:
    kp = _track()
    for n in (8, 100, 152, 299):
        head, _, _ = fill_missing_causal(kp[:n])
        full, _, _ = fill_missing_causal(kp)
        np.testing.assert_array_equal(head, full[:n])
    # the symmetric path's interpolation looks ahead: frames 95-99 change with frames 100+
    assert not np.array_equal(fill_missing(kp[7:100])[0], fill_missing(kp[7:])[0][:93])


@pytest.mark.parametrize("flip_tta", [False, True])
def test_shipped_causal_model_is_causal_end_to_end(shipped, flip_tta: bool) -> None:
    lifter = shipped.causal
    assert lifter is not None and lifter.causal
    kp = _track()
    full = lift(kp, W, H, lifter, flip_tta=flip_tta)
    assert np.isnan(full.poses_3d[:7]).all() and np.isfinite(full.poses_3d[7:]).all()
    for n in (1, 7, 8, 60, 100, 153, 299):
        part = lift(kp[:n], W, H, lifter, flip_tta=flip_tta) if n >= 8 else None
        if part is None:  # not every joint seen yet: nothing to lift, said clearly
            with pytest.raises(InvalidInputError, match="every joint"):
                lift(kp[:n], W, H, lifter, flip_tta=flip_tta)
            continue
        np.testing.assert_array_equal(part.poses_3d, full.poses_3d[:n])
        np.testing.assert_array_equal(part.interpolated, full.interpolated[:n])


def test_symmetric_model_looks_ahead(shipped) -> None:
    # the contrast that makes the test above meaningful: the default model's frame 60 moves
    # when frames 61+ arrive
    kp = _track()[8:]
    a = lift(kp[:60], W, H, shipped.lifter).poses_3d
    b = lift(kp, W, H, shipped.lifter).poses_3d[:60]
    assert np.abs(a - b).max() > 1e-3


def test_loader_selects_the_causal_model(shipped, make_model, tmp_path) -> None:
    assert shipped.path == DEFAULT_CHECKPOINT and not shipped.lifter.causal
    lifter, path = shipped.select("causal")
    assert lifter is shipped.causal and path == str(CAUSAL_CHECKPOINT)
    assert shipped.select("")[0] is shipped.lifter
    with pytest.raises(InvalidInputError, match="'causal'"):
        shipped.select("fast")
    sym = save_checkpoint(tmp_path / "s.pt", make_model([3, 3]), training_data="test")
    own = load_service_model(sym)
    assert own.causal is None
    with pytest.raises(InvalidInputError, match="--causal"):
        own.select("causal")
    forced = load_service_model(sym, causal=True)  # --checkpoint X --causal
    assert forced.select("causal")[0] is forced.lifter and forced.lifter.causal


def test_service_lifts_with_the_model_asked_for(shipped) -> None:
    kp = _track(120).astype(np.float32)
    req = dict(keypoints=to_tensor(kp), skeleton="coco17", width=W,
               height=H, fps=60)
    with serve_in_process(VideoPose3DService(shipped)) as channel:
        stub = pose_pb2_grpc.PoseEstimatorStub(channel)
        assert stub.GetInfo(pose_pb2.GetInfoRequest()).details["models"] == "default,causal"
        resp = stub.Lift(pose_pb2.LiftRequest(model="causal", **req))
        assert resp.details["causal"] == "true"
        assert resp.details["model"] == str(CAUSAL_CHECKPOINT)
        np.testing.assert_array_equal(from_tensor(resp.poses_3d, "p"),
                                      lift(kp, W, H, shipped.causal).poses_3d)
        sym = stub.Lift(pose_pb2.LiftRequest(**req))
        assert sym.details["causal"] == "false"
        with pytest.raises(grpc.RpcError) as err:
            stub.Lift(pose_pb2.LiftRequest(model="nosuch", **req))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "nosuch" in err.value.details()


def test_lifter_prefix_identity_holds_across_chunks(shipped) -> None:
    # chunk boundaries sit at fixed frames, so a long causal sequence stays prefix-identical
    small = Lifter(shipped.causal.model, chunk_frames=64)
    kp = _track()
    np.testing.assert_array_equal(lift(kp[:200], W, H, small).poses_3d,
                                  lift(kp, W, H, small).poses_3d[:200])
