"""Client of the Pose API `Detect` stream: a video file -> `Detections` (T, P, J, 2) px.

The video's frames go out as they are decoded (`detection.frames`), the answers come back in
order and are tracked into person slots (`detection.collect`). Every frame of the video gets
a row: frames without a person are NaN, never dropped. A stream that breaks raises
`DetectionInterrupted` carrying the frames answered before the error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import grpc
import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import get_skeleton
from posearena.v1 import pose_pb2
from posearena_gateway.clients.deadlines import detect_deadline
from posearena_gateway.detection.collect import FramePosesCollector
from posearena_gateway.detection.frames import detect_requests
from posearena_gateway.runtime import open_channel
from posearena_gateway.video import (
    DEFAULT_JPEG_QUALITY,
    DEFAULT_TRANSPORT,
    encode_frame,
    probe_video,
)

Progress = Callable[[int, int], None]
DETECT_METHOD = "/posearena.v1.PoseEstimator/Detect"


class DetectionInterrupted(RuntimeError):  # noqa: N818 (name given by the Pose API issue)
    """The service failed mid-stream; `partial` holds the frames answered before the error.

    Attributes:
        partial: Detections of the first `partial.num_frames` frames (possibly 0).
        code: the gRPC status code.
        details: the service's message (names the frame and field for INVALID_ARGUMENT).
    """

    def __init__(self, partial: Detections, code: grpc.StatusCode, details: str) -> None:
        self.partial = partial
        self.code = code
        self.details = details
        super().__init__(
            f"Detect failed after {partial.num_frames} frame(s): {code.name}: {details}"
        )


def detect_video(
    target: str,
    video_path: str | os.PathLike,
    *,
    max_people: int = 1,
    image_mode: bool = False,
    output_skeleton: str = "",
    min_person_score: float = 0.0,
    world_landmarks: bool = True,
    transport: str = DEFAULT_TRANSPORT,
    jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    camera_id: str = "",
    max_frames: int | None = None,
    progress: Progress | None = None,
    deadline_s: float | None = None,
) -> Detections:
    """Run a Pose API 2D detector over every frame of a video.

    Args:
        target: service address "host:port".
        video_path: video file.
        max_people: person slots P >= 1: every frame's people are tracked over the video
            (`posearena_gateway.tracking`) and the P best tracks kept, slot p = one track
            (NaN where absent), `track_ids` (P,) their ids (-1: empty slot);
            extra["tracking_note"] says when tracks were dropped.
        image_mode: True: frames independent (no tracking).
        output_skeleton: registry name to answer in ("" = the estimator's native skeleton).
        min_person_score: people below this score in [0, 1] are dropped (0 = default).
        world_landmarks: ask for metric 3D; stored as extra["world"] (T, P, J, 3) m.
        transport: "raw", "jpeg" or "png" frame bytes (see posearena_gateway.video).
        jpeg_quality: 1..100 for transport "jpeg".
        camera_id: copied into every frame.
        max_frames: only the first N frames (None: all).
        progress: called as progress(frames_done, frames_total) after each frame.
        deadline_s: whole-call deadline in s (None: sized to the frames, `deadlines`).

    Returns:
        Detections with keypoints (T, P, J, 2) px, scores (T, P, J), person_scores (T, P),
        T = number of frames decoded from the video.

    Raises:
        InvalidInputError: bad arguments or an unreadable video (named).
        DetectionInterrupted: the service failed mid-stream (carries the partial result).
    """
    if max_people < 1:
        raise InvalidInputError("max_people", max_people, ">= 1")
    if max_frames is not None and max_frames < 1:
        raise InvalidInputError("max_frames", max_frames, ">= 1 or None")
    encode_frame(np.zeros((2, 2, 3), np.uint8), transport, jpeg_quality)  # validates both
    info = probe_video(video_path)
    total = info.frame_count if max_frames is None else min(max_frames, info.frame_count)
    options = pose_pb2.DetectOptions(
        max_people=max_people,
        image_mode=image_mode,
        output_skeleton=output_skeleton,
        min_person_score=min_person_score,
        world_landmarks=world_landmarks,
    )
    collector = FramePosesCollector(max_people=max_people)
    if output_skeleton:
        collector.skeleton = output_skeleton
        collector.num_joints = len(get_skeleton(output_skeleton).joints)
    stop = threading.Event()
    requests = detect_requests(info, options, transport, jpeg_quality, camera_id, max_frames, stop)
    with open_channel(target) as channel:
        # The generated stub would serialize messages itself; requests are already bytes.
        detect = channel.stream_stream(
            DETECT_METHOD,
            request_serializer=bytes,
            response_deserializer=pose_pb2.FramePoses.FromString,
        )
        if deadline_s is None:
            deadline_s = detect_deadline(total)
        call = detect(requests, timeout=deadline_s)
        try:
            for fp in call:
                collector.add(fp, collector.count)
                if progress is not None:
                    progress(collector.count, total)
        except grpc.RpcError as exc:
            partial = collector.detections(info)
            raise DetectionInterrupted(partial, exc.code(), exc.details() or "") from exc
        finally:
            # On any exit (error, Ctrl-C, a bug in a callback) stop the request thread from
            # decoding further frames and end the call, so nothing runs on at interpreter exit.
            stop.set()
            call.cancel()
    return collector.detections(info)
