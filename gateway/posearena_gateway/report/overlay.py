"""Overlay video: a 2D detector's keypoints and bones drawn on the input video (MP4, 'mp4v').

Bones are the registry skeleton's parent links. Every person slot is drawn in its own
colour; joints with NaN coordinates or a score below `min_score` are left out. Frames are
shrunk so that the longer side is at most `max_side` px (speed and file size).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import get_skeleton
from posearena_gateway.video import iter_frames, probe_video

#: BGR colours of person slots 0, 1, ...
PERSON_COLOURS = ((0, 200, 255), (255, 120, 0), (80, 220, 80), (200, 80, 255), (255, 255, 0))


def draw_pose(img: np.ndarray, kp: np.ndarray, ok: np.ndarray, parents: tuple[int, ...],
              bgr: tuple[int, int, int], scale: float = 1.0) -> None:
    """Draw one person in place.

    Args:
        img: (H, W, 3) uint8 BGR image, modified.
        kp: (J, 2) keypoints in px of the original frame; ok: (J,) bool, joints to draw.
        parents: (J,) parent index of each joint (-1 for the root).
        bgr: colour; scale: factor from original px to `img` px.
    """
    thick = max(1, round(min(img.shape[:2]) / 200))
    pts = np.round(np.nan_to_num(kp) * scale).astype(np.int32)
    for j, p in enumerate(parents):
        if p >= 0 and ok[j] and ok[p]:
            cv2.line(img, tuple(map(int, pts[j])), tuple(map(int, pts[p])), bgr, thick,
                     cv2.LINE_AA)
    for j in np.flatnonzero(ok):
        cv2.circle(img, tuple(map(int, pts[j])), thick + 1, (255, 255, 255), -1, cv2.LINE_AA)


def write_overlay(
    video: str | Path, dets: Detections, path: str | Path, min_score: float = 0.2,
    max_side: int = 960, tap: Callable[[int, np.ndarray], None] | None = None,
) -> Path:
    """Write the overlay of `dets` on `video`.

    The overlay holds the frames both have: min(video frames, dets.num_frames), at the
    video's frame rate; frame t shows the detections of frame t.

    Args:
        video: the input video file the detections were computed on.
        dets: Detections, keypoints (T, P, J, 2) px, scores (T, P, J).
        path: output .mp4.
        min_score: joints with a lower score are not drawn, in [0, 1].
        max_side: longest side of the output in px (frames are never enlarged).
        tap: called as tap(t, frame) with each decoded frame (H, W, 3) uint8 BGR, at the
            video's size, before anything is drawn: lets another consumer (the track
            thumbnails) use this decoding pass instead of its own. It must copy what it
            keeps and not modify the frame.

    Returns:
        The written path.

    Raises:
        InvalidInputError: unreadable video, bad `min_score` or `max_side`.
    """
    if not 0.0 <= min_score <= 1.0:
        raise InvalidInputError("min_score", min_score, "a confidence in [0, 1]")
    if max_side < 16:
        raise InvalidInputError("max_side", max_side, "at least 16 px")
    info = probe_video(video)
    scale = min(1.0, max_side / max(info.width, info.height))
    size = (max(2, round(info.width * scale) // 2 * 2), max(2, round(info.height * scale) // 2 * 2))
    sx, sy = size[0] / info.width, size[1] / info.height
    parents = get_skeleton(dets.skeleton).parents
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, size)
    if not writer.isOpened():
        raise InvalidInputError("path", str(out), "a file cv2.VideoWriter ('mp4v') can write")
    ok_all = np.isfinite(dets.keypoints).all(axis=-1) & (dets.scores >= min_score)
    try:
        # one decoding thread: the report draws two overlays at once beside its figures, so
        # the cores are busy and FFmpeg's frame threads only add work (-8 % decoding CPU)
        for t, frame in enumerate(iter_frames(video, max_frames=dets.num_frames,
                                              decoder_threads=1)):
            if tap is not None:
                tap(t, frame)
            resize = size != (frame.shape[1], frame.shape[0])
            img = cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if resize else frame
            kp = dets.keypoints[t] * np.array([sx, sy], dtype=np.float32)
            for p in range(dets.keypoints.shape[1]):
                if ok_all[t, p].any():
                    draw_pose(img, kp[p], ok_all[t, p], parents,
                              PERSON_COLOURS[p % len(PERSON_COLOURS)])
            cv2.putText(img, f"{t}", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
            writer.write(img)
    finally:
        writer.release()
    return out
