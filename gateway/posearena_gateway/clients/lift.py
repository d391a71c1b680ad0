"""Client of the Pose API `Lift` RPC (2D sequence -> 3D)."""

from __future__ import annotations

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
