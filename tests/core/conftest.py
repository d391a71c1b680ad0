"""A minimal estimator service built on the service base, to test the base itself.

It is a test double for the *service base* (bootstrap, health, errors, deadlines), not an
estimator: its "model" is a file that must exist, and its Lift validates input and returns
the 2D input with z = 0 after an optional delay. Real estimators are tested in their own folders.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.service import EstimatorService, ServiceConfig, build_server, grpc_errors
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2


class FileModelService(EstimatorService):
    """Ready iff `model_path` exists; Lift echoes (T, J, 2) as (T, J, 3) with z = 0."""

    name = "file-model"

    def __init__(self, model_path: Path) -> None:
        self.model_path = model_path
        self.release = threading.Event()
        self.release.set()

    def ready(self) -> tuple[bool, str]:
        if self.model_path.exists():
            return True, "ready"
        return False, f"put the weights file at {self.model_path}"

    def info(self) -> pose_pb2.EstimatorInfo:
        return pose_pb2.EstimatorInfo(name=self.name, version="0", kind=pose_pb2.LIFTER_3D)

    @grpc_errors
    def Lift(self, request: pose_pb2.LiftRequest, context: grpc.ServicerContext):
        self.require_ready()
        k = from_tensor(request.keypoints, "keypoints", ndim=3, last_dim=2)
        skel = get_skeleton(request.skeleton)
        if k.shape[1] != skel.num_joints:
            raise InvalidInputError("keypoints.shape", k.shape, f"(T, {skel.num_joints}, 2)")
        self.release.wait(10)
        out = np.concatenate([k, np.zeros((*k.shape[:2], 1), k.dtype)], axis=-1)
        return pose_pb2.LiftResponse(poses_3d=to_tensor(out), skeleton=request.skeleton)


@pytest.fixture
def file_service(tmp_path: Path) -> Iterator[tuple[FileModelService, str]]:
    """(service, "127.0.0.1:port") of a running FileModelService with a small message limit."""
    svc = FileModelService(tmp_path / "weights.bin")
    server, port = build_server(svc, ServiceConfig(port=0, max_message_mb=1))
    try:
        yield svc, f"127.0.0.1:{port}"
    finally:
        svc.release.set()
        server.stop(0).wait()
