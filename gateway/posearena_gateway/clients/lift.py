"""Client of the Pose API `Lift` RPC (2D sequence -> 3D) and of `LiftStream` (causal, frame
by frame)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.clients.deadlines import lift_deadline
from posearena_gateway.runtime.channels import shared_channel


@dataclass
class LiftResult:
    """Output of a lifter.

    Attributes:
        poses_3d: (T, J, 3) float32 m, root-relative, camera frame (OpenCV axes).
        skeleton: registry name of the output (e.g. "h36m17").
        interpolated: (T,) bool, True where the 2D input was filled in.
        details: service-reported facts (model, arch, receptive field, ...).
    """

    poses_3d: np.ndarray
    skeleton: str
    interpolated: np.ndarray
    details: dict[str, str]


def lift(
    target: str,
    keypoints: np.ndarray,
    skeleton: str,
    width: int,
    height: int,
    fps: float,
    flip_tta: bool = True,
    timeout_s: float | None = None,
    model: str = "",
) -> LiftResult:
    """Lift a 2D sequence through the lifter service at `target`.

    Args:
        target: "host:port" of a LIFTER_3D service.
        keypoints: (T, J, 2) px, NaN where missing.
        skeleton: registry name of the 2D input (e.g. "coco17").
        width, height: image size in px.
        fps: frame rate of the sequence.
        flip_tta: test-time flip augmentation.
        timeout_s: deadline of the call in s (None: sized to the work, `deadlines`).
        model: the service's model name: "" (its default) or "causal".

    Raises:
        grpc.RpcError: the service's status (INVALID_ARGUMENT, FAILED_PRECONDITION, ...).
    """
    req = pose_pb2.LiftRequest(
        keypoints=to_tensor(np.asarray(keypoints, np.float32)),
        skeleton=skeleton,
        width=int(width),
        height=int(height),
        fps=float(fps),
        flip_tta=flip_tta,
        model=model,
    )
    if timeout_s is None:
        timeout_s = lift_deadline(len(keypoints))
    resp = pose_pb2_grpc.PoseEstimatorStub(shared_channel(target)).Lift(req, timeout=timeout_s)
    interp = (
        from_tensor(resp.interpolated, "interpolated").astype(bool)
        if resp.interpolated.shape
        else np.zeros(len(keypoints), bool)
    )
    return LiftResult(
        poses_3d=from_tensor(resp.poses_3d, "poses_3d", ndim=3, last_dim=3),
        skeleton=resp.skeleton,
        interpolated=interp,
        details=dict(resp.details),
    )


@dataclass
class StreamedPose:
    """One frame answered by `LiftStream`.

    Attributes:
        index: frame index in the stream. pose_3d: (J, 3) float32 m, root-relative, camera
        frame (NaN until every joint was seen). interpolated: some joint held or unseen.
        warm_up: the receptive field was not yet filled. details: first frame only.
    """

    index: int
    pose_3d: np.ndarray
    interpolated: bool
    warm_up: bool
    skeleton: str
    details: dict[str, str]


def lift_stream(
    target: str, frames: Iterable[np.ndarray], skeleton: str, width: int, height: int,
    fps: float, flip_tta: bool = True, model: str = "", timeout_s: float | None = None,
) -> Iterator[StreamedPose]:
    """Lift 2D frames one by one through the causal `LiftStream` RPC, 3D as each arrives.

    Args:
        target: "host:port" of a LIFTER_3D service.
        frames: (J, 2) px arrays (NaN where missing), consumed lazily: each is sent when the
            previous one's 3D is wanted, so a live source can feed it.
        skeleton, width, height, fps, flip_tta, model: as `lift` ("" = the causal model).
        timeout_s: deadline of the whole stream (None: none).

    Yields:
        StreamedPose per frame, in order.

    Raises:
        grpc.RpcError: the service's status (INVALID_ARGUMENT, FAILED_PRECONDITION, ...).
    """
    def requests() -> Iterator[pose_pb2.LiftStreamRequest]:
        yield pose_pb2.LiftStreamRequest(skeleton=skeleton, width=int(width),
                                         height=int(height), fps=float(fps),
                                         flip_tta=flip_tta, model=model)
        for kp in frames:
            yield pose_pb2.LiftStreamRequest(
                keypoints=to_tensor(np.asarray(kp, np.float32)[None]))

    stub = pose_pb2_grpc.PoseEstimatorStub(shared_channel(target))
    for reply in stub.LiftStream(requests(), timeout=timeout_s):
        yield StreamedPose(int(reply.index), from_tensor(reply.pose_3d, "pose_3d", ndim=2),
                           bool(reply.interpolated), bool(reply.warm_up), reply.skeleton,
                           dict(reply.details))


def lift_causal(
    target: str, keypoints: np.ndarray, skeleton: str, width: int, height: int, fps: float,
    flip_tta: bool = True, model: str = "", timeout_s: float = 600.0,
) -> LiftResult:
    """A whole (T, J, 2) px sequence through `LiftStream`: the causal result as `lift` gives it.

    Returns:
        LiftResult with poses_3d (T, J, 3) float32 m (NaN before every joint was seen),
        interpolated (T,), details (the stream's, plus "warm_up_frames").
    """
    kp = np.asarray(keypoints, np.float32)
    got = list(lift_stream(target, iter(kp), skeleton, width, height, fps, flip_tta, model,
                           timeout_s))
    if [g.index for g in got] != list(range(len(kp))):
        raise RuntimeError(f"LiftStream answered {len(got)} frames for {len(kp)} sent")
    details = dict(got[0].details) if got else {}
    details["warm_up_frames"] = str(sum(g.warm_up for g in got))
    poses = (np.stack([g.pose_3d for g in got]).astype(np.float32) if got
             else np.zeros((0, 17, 3), np.float32))
    return LiftResult(poses, got[0].skeleton if got else "h36m17",
                      np.array([g.interpolated for g in got], bool), details)


def adapt_lift(
    target: str, views: list[tuple[np.ndarray, int, int, float, np.ndarray | None]],
    fps: float, flip_tta: bool = True, steps: int = 0, timeout_s: float = 1800.0,
) -> LiftResult:
    """Adapt the lifter to one recording's 2D (`AdaptLift`) and lift its first view.

    Args:
        target: "host:port" of a LIFTER_3D service.
        views: per view (keypoints (T, 17, 2) px in the image the lifter sees, width, height,
            focal length px, rotation (3, 3) world -> that camera or None); views[0] is lifted.
        fps: frame rate. flip_tta: when lifting views[0]. steps: 0 = the service's default.
        timeout_s: deadline of the call (adaptation takes seconds to minutes).

    Returns:
        LiftResult of views[0]; details["adaptation"] is the JSON report (settings, seconds).
    """
    req = pose_pb2.AdaptLiftRequest(skeleton="coco17", fps=float(fps), flip_tta=flip_tta,
                                    steps=int(steps))
    for kp, w, h, focal, rot in views:
        req.views.append(pose_pb2.AdaptView(
            keypoints=to_tensor(np.asarray(kp, np.float32)), width=int(w), height=int(h),
            focal_px=float(focal),
            rotation=[] if rot is None else np.asarray(rot, np.float64).ravel().tolist()))
    resp = pose_pb2_grpc.PoseEstimatorStub(shared_channel(target)).AdaptLift(
        req, timeout=timeout_s)
    return LiftResult(from_tensor(resp.poses_3d, "poses_3d", ndim=3, last_dim=3),
                      resp.skeleton,
                      from_tensor(resp.interpolated, "interpolated").astype(bool),
                      dict(resp.details))
