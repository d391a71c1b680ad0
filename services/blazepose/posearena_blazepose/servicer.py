"""BlazePose Pose API servicer: a thin adapter from the Detect stream to `BlazePoseEstimator`
(max_people 0 or 1: MediaPipe's legacy single-person graph) or `MultiPoseEstimator`
(max_people > 1: LiteRT detector on tiles + landmark model per tracked person, track_id set).

Kind: VIDEO_TO_3D — every frame gives 2D keypoints (px, image) and, on request
(`DetectOptions.world_landmarks`), metric hip-centred 3D landmarks in `Person.world`; the
2D part serves any client of a 2D detector (Detect is the only RPC).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cv2
import grpc
import numpy as np

from posearena.errors import InvalidInputError
from posearena.service import EstimatorService, grpc_errors
from posearena.skeletons import convert, convert_confidence, get_skeleton
from posearena.tensors import to_tensor
from posearena.v1 import pose_pb2
from posearena_blazepose.estimator import (
    MODEL_COMPLEXITY,
    BlazePoseEstimator,
    PoseResult,
    check_model,
    mediapipe_version,
)
from posearena_blazepose.frames import ACCEPTED_INPUTS, check_same_size, decode_image
from posearena_blazepose.multipose import MultiPoseEstimator
from posearena_blazepose.prefetch import prefetch

NATIVE = "blazepose33"
CONVERTIBLE = ("coco17", "body25", "h36m17")
MAX_PEOPLE = 16
WORLD_FRAME = "hip-centred (m), camera-aligned axes: x right, y down, z away from the camera"


@dataclass
class EstimatorSettings:
    """Server-wide MediaPipe settings (flags of `server.py`)."""

    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    smooth_landmarks: bool = True
    prefetch_depth: int = 2


def _skeleton_msg(name: str) -> pose_pb2.Skeleton:
    sk = get_skeleton(name)
    return pose_pb2.Skeleton(
        name=sk.name,
        joint_names=list(sk.joints),
        parents=list(sk.parents),
        left_joints=list(sk.left),
        right_joints=list(sk.right),
    )


def _options(opts: pose_pb2.DetectOptions) -> pose_pb2.DetectOptions:
    """Validate DetectOptions (named errors); empty output_skeleton -> the native one."""
    out = pose_pb2.DetectOptions()
    out.CopyFrom(opts)
    if not 0 <= out.max_people <= MAX_PEOPLE:
        raise InvalidInputError(
            "options.max_people", out.max_people, f"0..{MAX_PEOPLE} (0 or 1: one person)"
        )
    if not 0.0 <= out.min_person_score <= 1.0:
        raise InvalidInputError("options.min_person_score", out.min_person_score, "[0, 1]")
    name = out.output_skeleton or NATIVE
    if name not in (NATIVE, *CONVERTIBLE):
        raise InvalidInputError(
            "options.output_skeleton", name, f"one of {[NATIVE, *CONVERTIBLE]} (or empty)"
        )
    out.output_skeleton = name
    return out


class BlazePoseService(EstimatorService):
    """EstimatorService for MediaPipe BlazePose (single person, 33 landmarks)."""

    name = "blazepose"

    def __init__(self, settings: EstimatorSettings | None = None) -> None:
        self.settings = settings or EstimatorSettings()
        self._ready = check_model()

    def ready(self) -> tuple[bool, str]:
        return self._ready

    def info(self) -> pose_pb2.EstimatorInfo:
        s = self.settings
        return pose_pb2.EstimatorInfo(
            name=self.name,
            version=f"mediapipe {mediapipe_version()} pose_landmark_full",
            kind=pose_pb2.VIDEO_TO_3D,
            output_skeleton=_skeleton_msg(NATIVE),
            convertible_to=list(CONVERTIBLE),
            units="px",
            coordinate_frame="image (px); Person.world: " + WORLD_FRAME,
            accepted_inputs=list(ACCEPTED_INPUTS),
            receptive_field=1,
            details={
                "mediapipe": mediapipe_version(),
                "api": "mediapipe.solutions.pose.Pose (legacy)",
                "model_complexity": str(MODEL_COMPLEXITY),
                "max_people": f"{MAX_PEOPLE} (> 1: tflite multi-person pipeline)",
                "multi_person": "ai-edge-litert: detector on tiles, landmark model per ROI",
                "smooth_landmarks": str(s.smooth_landmarks),
                "min_detection_confidence": str(s.min_detection_confidence),
                "min_tracking_confidence": str(s.min_tracking_confidence),
                "confidence": "landmark visibility",
                "person_score": "mean landmark presence",
                "world_frame": WORLD_FRAME,
            },
        )

    @grpc_errors
    def Detect(
        self, request_iterator: Iterable[pose_pb2.DetectRequest], context: grpc.ServicerContext
    ) -> Iterator[pose_pb2.FramePoses]:
        """Stream FramePoses, one per Frame, in order; see the Pose API for the messages."""
        self.require_ready()
        items = prefetch(enumerate(request_iterator), _decode_request, self.settings.prefetch_depth)
        opts = _options(pose_pb2.DetectOptions())
        est: BlazePoseEstimator | MultiPoseEstimator | None = None
        size: tuple[int, int] | None = None
        try:
            for pos, kind, payload in items:
                if kind == "options":
                    if pos != 0:
                        raise InvalidInputError(
                            f"requests[{pos}].options", "options", "options only in message 0"
                        )
                    opts = _options(payload)
                    continue
                frame, image = payload
                field = f"frame[index={frame.index}]"
                if est is None:
                    est = self._estimator(opts)
                if not opts.image_mode:
                    size = check_same_size(size, image, field)
                ts = frame.timestamp_s if frame.timestamp_s > 0 else None
                people = est.process_rgb(image, ts)
                yield self._frame_poses(frame, image, people, opts)
        finally:
            items.close()
            if est is not None:
                est.close()

    def _estimator(self, opts: pose_pb2.DetectOptions) -> BlazePoseEstimator | MultiPoseEstimator:
        s = self.settings
        if opts.max_people > 1:
            return MultiPoseEstimator(
                max_people=opts.max_people,
                image_mode=opts.image_mode,
                min_detection_confidence=s.min_detection_confidence,
                min_tracking_confidence=s.min_tracking_confidence,
            )
        return BlazePoseEstimator(
            image_mode=opts.image_mode,
            min_detection_confidence=s.min_detection_confidence,
            min_tracking_confidence=s.min_tracking_confidence,
            smooth_landmarks=s.smooth_landmarks,
        )

    @staticmethod
    def _frame_poses(
        frame: pose_pb2.Frame,
        image: np.ndarray,
        people: list[PoseResult],
        opts: pose_pb2.DetectOptions,
    ) -> pose_pb2.FramePoses:
        dst = opts.output_skeleton
        out = pose_pb2.FramePoses(
            index=frame.index,
            timestamp_s=frame.timestamp_s,
            camera_id=frame.camera_id,
            width=int(image.shape[1]),
            height=int(image.shape[0]),
            skeleton=dst,
            world_frame=WORLD_FRAME if opts.world_landmarks else "",
        )
        for p in people:
            if opts.min_person_score > 0 and p.score < opts.min_person_score:
                continue
            kp, conf, world = p.keypoints, p.confidence, p.world
            if dst != NATIVE:
                kp = convert(kp, NATIVE, dst)
                conf = convert_confidence(conf, NATIVE, dst)
                world = convert(world, NATIVE, dst)
            person = out.people.add(
                keypoints=to_tensor(np.asarray(kp, dtype=np.float32)),
                confidence=to_tensor(np.asarray(conf, dtype=np.float32)),
                score=p.score,
                box=pose_pb2.Box(x0=p.box[0], y0=p.box[1], x1=p.box[2], y1=p.box[3]),
                track_id=p.track_id,
            )
            if opts.world_landmarks:
                person.world.CopyFrom(to_tensor(np.asarray(world, dtype=np.float32)))
        return out


def _decode_request(item: tuple[int, pose_pb2.DetectRequest]) -> tuple[int, str, object]:
    """(position, request) -> (position, "options", DetectOptions) or
    (position, "frame", (Frame without image bytes, RGB image)); runs in the prefetch thread."""
    pos, req = item
    kind = req.WhichOneof("item")
    if kind == "options":
        return pos, kind, req.options
    if kind != "frame":
        raise InvalidInputError(f"requests[{pos}]", "empty request", "options or frame")
    f = req.frame
    which = f.WhichOneof("image")
    field = f"frame[index={f.index}]"
    image = decode_image(
        f.encoded if which == "encoded" else None,
        f.raw_bgr if which == "raw_bgr" else None,
        f.width,
        f.height,
        field,
    )
    meta = pose_pb2.Frame(
        index=f.index,
        timestamp_s=f.timestamp_s,
        camera_id=f.camera_id,
        width=f.width,
        height=f.height,
    )
    # BGR -> RGB here too, so that the estimator thread only runs the graph.
    return pos, "frame", (meta, cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
