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

from posearena.service import EstimatorService, grpc_errors
from posearena.service.detect import (
    add_person,
    check_detect_options,
    detect_stream,
    frame_poses,
    skeleton_message,
)
from posearena.service.frames import ACCEPTED_INPUTS, decode_frame, frame_field
from posearena.v1 import pose_pb2
from posearena_blazepose.estimator import (
    MODEL_COMPLEXITY,
    BlazePoseEstimator,
    PoseResult,
    check_model,
    mediapipe_version,
)
from posearena_blazepose.frames import check_same_size
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


def _options(opts: pose_pb2.DetectOptions) -> pose_pb2.DetectOptions:
    """Validate DetectOptions (named errors); empty output_skeleton -> the native one."""
    return check_detect_options(opts, NATIVE, CONVERTIBLE, max_people=MAX_PEOPLE)


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
            output_skeleton=skeleton_message(NATIVE),
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
        items = prefetch(detect_stream(request_iterator, _options), _decode_frame,
                         self.settings.prefetch_depth)
        est: BlazePoseEstimator | MultiPoseEstimator | None = None
        size: tuple[int, int] | None = None
        try:
            for opts, frame, image in items:
                if est is None:
                    est = self._estimator(opts)
                if not opts.image_mode:
                    size = check_same_size(size, image, frame_field(frame))
                ts = frame.timestamp_s if frame.timestamp_s > 0 else None
                if isinstance(est, MultiPoseEstimator):  # decoded without conversion: BGR
                    people = est.process_bgr(image, ts)
                else:
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
        out = frame_poses(frame, image, opts.output_skeleton,
                          WORLD_FRAME if opts.world_landmarks else "")
        for p in people:
            if opts.min_person_score > 0 and p.score < opts.min_person_score:
                continue
            add_person(out, NATIVE, p.keypoints, p.confidence, p.score, p.box, p.track_id,
                       p.world if opts.world_landmarks else None)
        return out


def _decode_frame(
    item: tuple[pose_pb2.DetectOptions, pose_pb2.Frame],
) -> tuple[pose_pb2.DetectOptions, pose_pb2.Frame, np.ndarray]:
    """(options, frame) -> (options, Frame without image bytes, (H, W, 3) uint8 image: BGR
    for the multi-person estimator (it converts its crops only), RGB otherwise); runs in the
    prefetch thread."""
    opts, f = item
    image = decode_frame(f)
    meta = pose_pb2.Frame(
        index=f.index,
        timestamp_s=f.timestamp_s,
        camera_id=f.camera_id,
        width=f.width,
        height=f.height,
    )
    if opts.max_people > 1:
        return opts, meta, image
    # BGR -> RGB here too, so that the estimator thread only runs the graph.
    return opts, meta, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
