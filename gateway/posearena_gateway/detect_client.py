"""Client of the Pose API `Detect` stream: a video file -> `Detections` (T, P, J, 2) px.

Frames are decoded and encoded in gRPC's request-sending thread while the service works on
the previous ones (the stream pipelines them); responses are collected here in order. Every
frame of the video gets a row: frames without a person are NaN, never dropped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2
from posearena_gateway.clients.deadlines import detect_deadline
from posearena_gateway.runtime import open_channel
from posearena_gateway.tracking import (
    FramePeople,
    keep_best_tracks,
    track_people,
    tracks_to_arrays,
)
from posearena_gateway.video import (
    DEFAULT_JPEG_QUALITY,
    DEFAULT_TRANSPORT,
    VideoInfo,
    encode_frame,
    iter_frames,
    probe_video,
)

Progress = Callable[[int, int], None]
DETECT_METHOD = "/posearena.v1.PoseEstimator/Detect"
MAX_GAP_S = 1.0  # a person unseen this long (s) may still continue their track


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


@dataclass
class _Collector:
    """Accumulates FramePoses (every person of every frame), then tracks them into P slots.

    Every estimator's output passes through `posearena_gateway.tracking`: slot p is one
    person track for the whole video (NaN where absent), at most `max_people` tracks are
    kept (the best, see `keep_best_tracks`; a note says which were dropped).
    """

    max_people: int
    frames: list[FramePeople] = field(default_factory=list)
    person_scores: list[np.ndarray] = field(default_factory=list)
    worlds: list[np.ndarray | None] = field(default_factory=list)
    skeleton: str = ""
    num_joints: int = 0
    has_world: bool = False

    @property
    def count(self) -> int:
        return len(self.frames)

    def add(self, fp: pose_pb2.FramePoses, expected_index: int) -> None:
        if fp.index != expected_index:
            raise InvalidInputError("FramePoses.index", fp.index, f"{expected_index} (in order)")
        if not self.skeleton:
            self.skeleton = fp.skeleton
            self.num_joints = len(get_skeleton(fp.skeleton).joints)
        elif fp.skeleton != self.skeleton:
            raise InvalidInputError("FramePoses.skeleton", fp.skeleton, self.skeleton)
        N, J = len(fp.people), self.num_joints
        kp = np.full((N, J, 2), np.nan, dtype=np.float32)
        sc = np.zeros((N, J), dtype=np.float32)
        ps = np.full((N,), np.nan, dtype=np.float32)
        hints = np.full((N,), -1, dtype=np.int64)
        world = None
        for i, person in enumerate(fp.people):
            k = from_tensor(person.keypoints, "keypoints", ndim=2, last_dim=2)
            if k.shape != (J, 2):
                raise InvalidInputError("keypoints.shape", k.shape, f"({J}, 2)")
            kp[i] = k
            c = from_tensor(person.confidence, "confidence", ndim=1)
            if c.shape != (J,):
                raise InvalidInputError("confidence.shape", c.shape, f"({J},)")
            sc[i] = c
            ps[i] = person.score
            hints[i] = person.track_id
            if person.HasField("world") and person.world.shape:
                if world is None:
                    world = np.full((N, J, 3), np.nan, dtype=np.float32)
                world[i] = from_tensor(person.world, "world", ndim=2, last_dim=3)
                self.has_world = True
        if fp.world_frame:  # the service answers world landmarks (none in empty frames)
            self.has_world = True
        self.frames.append(FramePeople(keypoints=kp, scores=sc, hint_ids=hints))
        self.person_scores.append(ps)
        self.worlds.append(world)

    def detections(self, info: VideoInfo) -> Detections:
        T, P, J = len(self.frames), self.max_people, self.num_joints
        assignments = track_people(self.frames, max_gap=max(1, round(info.fps * MAX_GAP_S)))
        kp_all, sc_all, ps_all, world_all = tracks_to_arrays(
            self.frames, self.person_scores, self.worlds, assignments, J
        )
        kept, note = keep_best_tracks(ps_all, P)
        kp = np.full((T, P, J, 2), np.nan, dtype=np.float32)
        sc = np.zeros((T, P, J), dtype=np.float32)
        ps = np.full((T, P), np.nan, dtype=np.float32)
        ids = np.full((P,), -1, dtype=np.int32)
        n = len(kept)
        kp[:, :n], sc[:, :n], ps[:, :n] = kp_all[:, kept], sc_all[:, kept], ps_all[:, kept]
        ids[:n] = kept
        extra: dict[str, np.ndarray] = {"tracks_found": np.array(kp_all.shape[1], np.int32)}
        if note:
            extra["tracking_note"] = np.array(note)
        if self.has_world:
            extra["world"] = np.full((T, P, J, 3), np.nan, dtype=np.float32)
            if world_all is not None:
                extra["world"][:, :n] = world_all[:, kept]
        return Detections(
            keypoints=kp,
            scores=sc,
            person_scores=ps,
            skeleton=self.skeleton or "unknown",
            fps=info.fps,
            width=info.width,
            height=info.height,
            track_ids=ids,
            extra=extra,
        )


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def frame_request_bytes(
    index: int,
    timestamp_s: float,
    camera_id: str,
    width: int,
    height: int,
    data: bytes | memoryview,
    raw: bool,
) -> bytes:
    """Serialized `DetectRequest{frame: Frame{...}}` built around the image bytes.

    Equivalent to `DetectRequest(frame=Frame(..., raw_bgr=data or encoded=data))
    .SerializeToString()`, but copies the image once: assigning a 6 MB bytes field to a
    protobuf message and serializing it cost ~9 ms CPU per 1080x1920 frame here, which is
    a third of BlazePose's own CPU time.

    Args:
        index: frame index in the video.
        timestamp_s: frame time in s.
        camera_id: camera name.
        width: frame width in px.
        height: frame height in px.
        data: raw BGR bytes (raw=True) or JPEG/PNG file bytes (raw=False).
        raw: which oneof field `data` goes into (Frame.raw_bgr = 5, Frame.encoded = 4).
    """
    head = pose_pb2.Frame(
        index=index, timestamp_s=timestamp_s, camera_id=camera_id, width=width, height=height
    ).SerializeToString()
    tag = bytes([(5 if raw else 4) << 3 | 2])  # length-delimited field
    data_len = _varint(len(data))
    frame_len = len(head) + len(tag) + len(data_len) + len(data)
    return b"".join((b"\x12", _varint(frame_len), head, tag, data_len, data))  # field 2


def _requests(
    info: VideoInfo,
    options: pose_pb2.DetectOptions,
    transport: str,
    jpeg_quality: int,
    camera_id: str,
    max_frames: int | None,
    stop: threading.Event,
) -> Iterator[bytes]:
    """Serialized DetectRequests: the options, then one frame each, until `stop` is set."""
    yield pose_pb2.DetectRequest(options=options).SerializeToString()
    for i, bgr in enumerate(iter_frames(info.path, max_frames)):
        if stop.is_set():  # the call failed or was cancelled: stop decoding
            return
        h, w = bgr.shape[:2]
        if transport == "raw":  # the frame's own buffer: no intermediate bytes copy
            data = memoryview(np.ascontiguousarray(bgr)).cast("B")
        else:
            data = encode_frame(bgr, transport, jpeg_quality)
        yield frame_request_bytes(i, i / info.fps, camera_id, w, h, data, transport == "raw")


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
    collector = _Collector(max_people=max_people)
    if output_skeleton:
        collector.skeleton = output_skeleton
        collector.num_joints = len(get_skeleton(output_skeleton).joints)
    stop = threading.Event()
    requests = _requests(info, options, transport, jpeg_quality, camera_id, max_frames, stop)
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
