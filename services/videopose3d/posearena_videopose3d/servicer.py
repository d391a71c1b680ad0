"""gRPC adapter: the Pose API `Lift` RPC around `inference.lift`, `LiftStream` (causal,
frame by frame) around `streaming.CausalStream`, `AdaptLift` around `adapt.adapt_lifter`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import numpy as np

from posearena.errors import InvalidInputError, ResourceTooLargeError
from posearena.service import EstimatorService, grpc_errors
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2
from posearena_videopose3d.adapt import AdaptConfig, AdaptView, adapt_lifter
from posearena_videopose3d.inference import Lifter, lift
from posearena_videopose3d.loader import LoadedModel
from posearena_videopose3d.streaming import CausalStream, single_frame_model

INPUT_SKELETON = "coco17"
OUTPUT_SKELETON = "h36m17"
COORDINATE_FRAME = "camera (OpenCV), root-relative (hip = 0)"
DEFAULT_MAX_FRAMES = 100_000


def skeleton_message(name: str) -> pose_pb2.Skeleton:
    """Registry skeleton `name` as a Pose API Skeleton message."""
    s = get_skeleton(name)
    return pose_pb2.Skeleton(name=s.name, joint_names=list(s.joints), parents=list(s.parents),
                             left_joints=list(s.left), right_joints=list(s.right))


class VideoPose3DService(EstimatorService):
    """LIFTER_3D estimator: COCO-17 2D px sequence -> H36M-17 3D (m, camera frame).

    Args:
        loaded: the model (or why it is missing), from `loader.load_service_model`.
        max_frames: longest sequence accepted (RESOURCE_EXHAUSTED above).
    """

    name = "videopose3d"

    def __init__(self, loaded: LoadedModel, max_frames: int = DEFAULT_MAX_FRAMES) -> None:
        self.loaded = loaded
        self.max_frames = int(max_frames)
        self._single: dict[int, object] = {}  # id(Lifter) -> its single-frame form

    def ready(self) -> tuple[bool, str]:
        """(model loaded, "ready" or which file to put where)."""
        return self.loaded.lifter is not None, self.loaded.status

    def info(self) -> pose_pb2.EstimatorInfo:
        """Describe the lifter: kind, skeletons, units, frame, receptive field, checkpoint."""
        meta = self.loaded.meta
        lifter = self.loaded.lifter
        details = {"checkpoint": str(self.loaded.path), "checkpoint_source": self.loaded.source,
                   "max_frames": str(self.max_frames), "flip_tta_default": "true",
                   "models": "default,causal" if self.loaded.causal is not None or (
                       lifter is not None and lifter.causal) else "default"}
        for key in ("filter_widths", "channels", "causal", "training_data", "date", "epoch"):
            if key in meta:
                value = meta[key]
                details[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        return pose_pb2.EstimatorInfo(
            name=self.name, version="0.1.0", kind=pose_pb2.LIFTER_3D,
            output_skeleton=skeleton_message(OUTPUT_SKELETON),
            input_skeleton=skeleton_message(INPUT_SKELETON), units="m",
            coordinate_frame=COORDINATE_FRAME,
            receptive_field=lifter.receptive_field if lifter is not None else 0,
            details=details)

    @grpc_errors
    def Lift(self, request: pose_pb2.LiftRequest,
             context: grpc.ServicerContext) -> pose_pb2.LiftResponse:
        """Lift (T, 17, 2) px COCO-17 keypoints to (T, 17, 3) m H36M-17, root-relative."""
        self.require_ready()
        if request.skeleton not in ("", INPUT_SKELETON):
            raise InvalidInputError("skeleton", request.skeleton, f"'{INPUT_SKELETON}' (or empty)")
        lifter, model_path = self.loaded.select(request.model)
        kp = from_tensor(request.keypoints, "keypoints", ndim=3, last_dim=2)
        if kp.shape[0] > self.max_frames:
            raise ResourceTooLargeError(
                f"keypoints: {kp.shape[0]} frames, this service accepts at most "
                f"{self.max_frames} per request")
        if kp.dtype.kind != "f":
            raise InvalidInputError("keypoints.dtype", str(kp.dtype), "FLOAT32 or FLOAT64")
        for field_name in ("width", "height"):
            if getattr(request, field_name) <= 0:
                raise InvalidInputError(field_name, getattr(request, field_name),
                                        "the image size in px (> 0)")
        flip = request.flip_tta if request.HasField("flip_tta") else True
        out = lift(kp, request.width, request.height, lifter, flip_tta=flip)
        return pose_pb2.LiftResponse(
            poses_3d=to_tensor(out.poses_3d.astype(np.float32)), skeleton=OUTPUT_SKELETON,
            interpolated=to_tensor(out.interpolated.astype(np.uint8)),
            coordinate_frame=COORDINATE_FRAME,
            details={"flip_tta": str(flip).lower(), "model": model_path,
                     "causal": str(lifter.causal).lower(),
                     "receptive_field": str(lifter.receptive_field),
                     "interpolated_frames": str(int(out.interpolated.sum()))})

    @grpc_errors
    def LiftStream(self, request_iterator: Iterator[pose_pb2.LiftStreamRequest],
                   context: grpc.ServicerContext) -> Iterator[pose_pb2.LiftedFrame]:
        """Causal lifting frame by frame: (N, 17, 2) px per message -> one LiftedFrame each.

        The first message sets the stream (width, height > 0; model "" or "causal" picks the
        causal model). Frame t's 3D is sent as soon as frame t arrives.
        """
        self.require_ready()
        stream, details = None, {}
        for request in request_iterator:
            if stream is None:
                stream, details = self._open_stream(request)
            if not request.HasField("keypoints"):
                continue
            kp = from_tensor(request.keypoints, "keypoints", ndim=3, last_dim=2)
            if kp.dtype.kind != "f":
                raise InvalidInputError("keypoints.dtype", str(kp.dtype), "FLOAT32 or FLOAT64")
            if kp.shape[0] > self.max_frames:
                raise ResourceTooLargeError(f"keypoints: {kp.shape[0]} frames in one message, "
                                            f"at most {self.max_frames}")
            for frame in kp:
                out = stream.push(frame)
                yield pose_pb2.LiftedFrame(
                    index=out.index, pose_3d=to_tensor(out.pose_3d),
                    interpolated=out.interpolated, warm_up=out.warm_up,
                    skeleton=OUTPUT_SKELETON, details=details if out.index == 0 else {})

    def _open_stream(self, request: pose_pb2.LiftStreamRequest) -> tuple[CausalStream, dict]:
        """The stream's state from its first message (checked like a unary request)."""
        if request.skeleton not in ("", INPUT_SKELETON):
            raise InvalidInputError("skeleton", request.skeleton, f"'{INPUT_SKELETON}' (or empty)")
        if request.model not in ("", "causal"):
            raise InvalidInputError("model", request.model,
                                    "'' or 'causal' (streaming needs a causal model)")
        for field_name in ("width", "height"):
            if getattr(request, field_name) <= 0:
                raise InvalidInputError(field_name, getattr(request, field_name),
                                        "the image size in px (> 0) in the first message")
        lifter, path = self.loaded.select("causal")
        single = self._single.get(id(lifter))
        if single is None:
            single = self._single[id(lifter)] = single_frame_model(lifter.model)
        flip = request.flip_tta if request.HasField("flip_tta") else True
        stream = CausalStream(single, request.width, request.height, flip)
        return stream, {"model": path, "causal": "true", "flip_tta": str(flip).lower(),
                        "receptive_field": str(stream.rf)}

    @grpc_errors
    def AdaptLift(self, request: pose_pb2.AdaptLiftRequest,
                  context: grpc.ServicerContext) -> pose_pb2.LiftResponse:
        """Fine-tune a copy of the served model on the recording's 2D, lift views[0] with it."""
        self.require_ready()
        if request.skeleton not in ("", INPUT_SKELETON):
            raise InvalidInputError("skeleton", request.skeleton, f"'{INPUT_SKELETON}' (or empty)")
        if not request.views:
            raise InvalidInputError("views", 0, "at least one view (views[0] is lifted)")
        if request.steps < 0 or request.learning_rate < 0 or request.steps > 5000:
            raise InvalidInputError("steps/learning_rate", (request.steps, request.learning_rate),
                                    "0 (default) or positive, steps <= 5000")
        views = [self._adapt_view(i, v) for i, v in enumerate(request.views)]
        if sum(len(v.keypoints) for v in views) > self.max_frames:
            raise ResourceTooLargeError(f"views: {sum(len(v.keypoints) for v in views)} frames "
                                        f"in all, this service accepts at most {self.max_frames}")
        defaults = AdaptConfig()
        cfg = AdaptConfig(steps=request.steps or defaults.steps,
                          lr=request.learning_rate or defaults.lr)
        lifter = self.loaded.lifter
        adapted, report = adapt_lifter(lifter.model, views, cfg)
        flip = request.flip_tta if request.HasField("flip_tta") else True
        v0 = views[0]
        out = lift(v0.keypoints, v0.width, v0.height, Lifter(adapted), flip_tta=flip)
        return pose_pb2.LiftResponse(
            poses_3d=to_tensor(out.poses_3d.astype(np.float32)), skeleton=OUTPUT_SKELETON,
            interpolated=to_tensor(out.interpolated.astype(np.uint8)),
            coordinate_frame=COORDINATE_FRAME,
            details={"flip_tta": str(flip).lower(), "model": str(self.loaded.path),
                     "receptive_field": str(lifter.receptive_field),
                     "adaptation": json.dumps(report)})

    @staticmethod
    def _adapt_view(i: int, v: pose_pb2.AdaptView) -> AdaptView:
        """One request view, checked (field names say which view)."""
        kp = from_tensor(v.keypoints, f"views[{i}].keypoints", ndim=3, last_dim=2)
        if kp.shape[1] != 17 or kp.dtype.kind != "f":
            raise InvalidInputError(f"views[{i}].keypoints", f"{kp.shape} {kp.dtype}",
                                    "(T, 17, 2) float px of coco17")
        for name in ("width", "height", "focal_px"):
            if not getattr(v, name) > 0:
                raise InvalidInputError(f"views[{i}].{name}", getattr(v, name), "> 0")
        rot = None
        if v.rotation:
            rot = np.asarray(v.rotation, np.float64)
            if rot.shape != (9,) or not np.allclose(rot.reshape(3, 3) @ rot.reshape(3, 3).T,
                                                    np.eye(3), atol=1e-4):
                raise InvalidInputError(f"views[{i}].rotation", list(v.rotation)[:9],
                                        "9 numbers of a 3x3 rotation (row-major)")
            rot = rot.reshape(3, 3)
        return AdaptView(kp.astype(np.float64), v.width, v.height, v.focal_px, rot)
