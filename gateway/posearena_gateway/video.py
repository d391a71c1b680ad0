"""Video files for the gateway: probe, iterate BGR frames (OpenCV), encode frames to send.

Transport measurement (bench/bench_blazepose.py: cam01 of the Pose2Sim demo, 100 frames of
1080x1920, BlazePose service on 127.0.0.1, shared 2-core machine at load 4-7, client decoding
while the service works; medians of 3 alternating rounds, frames/s):
    run 1: in-process 32.5, service raw 26.2, service JPEG q90 24.1
    run 2: in-process 18.8, service raw 23.2, service JPEG q90 15.8
    run 3: in-process 23.6, service raw 23.0, service JPEG q90 17.5
CPU per frame (same clip): JPEG costs the client ~4.6 ms to encode and the service ~5.4 ms to
decode (211 kB/frame); raw (6.2 MB/frame) costs ~1 ms of copies plus gRPC's loopback send
(~6-8 ms client CPU), and no decode. Raw was faster in every run, so `DEFAULT_TRANSPORT` is
"raw"; use "jpeg" over a real network, where bandwidth rather than CPU is scarce.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posearena.errors import InvalidInputError

# FFmpeg's own log lines (e.g. "moov atom not found" before our error naming the file) are
# kept to fatal ones; set OPENCV_FFMPEG_LOGLEVEL (AV_LOG_* number, e.g. 24) to see more. Read
# by OpenCV at its first capture, so set at import (the gateway probes every video through
# this module before anything else opens it).
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")

TRANSPORTS = ("raw", "jpeg", "png")
DEFAULT_TRANSPORT = "raw"
DEFAULT_JPEG_QUALITY = 90


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds.

    Attributes:
        path: the file.
        fps: frames per second (container value; 0 is rejected).
        width: frame width in px.
        height: frame height in px.
        frame_count: number of frames the container declares (>= 1).
    """

    path: Path
    fps: float
    width: int
    height: int
    frame_count: int


def _open(path: Path, params: tuple[int, ...] = ()) -> cv2.VideoCapture:
    if not path.is_file():
        raise InvalidInputError("video", str(path), "an existing video file")
    if path.stat().st_size == 0:
        raise InvalidInputError("video", str(path), "a non-empty video file (0 bytes)")
    log = cv2.utils.logging
    level = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_ERROR)  # a file it cannot open: our one error line, not its
    try:  # warning ("backend is generally available but can't be used to capture by name")
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, list(params))
    finally:
        log.setLogLevel(level)
    if not cap.isOpened():
        cap.release()
        raise InvalidInputError("video", str(path), "a video file OpenCV/FFmpeg can open")
    return cap


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Open a video and read its properties; check that its first frame decodes.

    Args:
        path: video file (mp4, avi, mov, ...).

    Returns:
        VideoInfo (fps in frames/s, width/height in px, declared frame count).

    Raises:
        InvalidInputError: missing, empty, not a video, no frames, no frame rate, or a first
            frame that does not decode (the message names the file).
    """
    p = Path(path)
    cap = _open(p)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise InvalidInputError("video", str(p), "a video with at least one decodable frame")
    if not np.isfinite(fps) or fps <= 0:
        raise InvalidInputError(f"{p.name}.fps", fps, "a positive frame rate in the container")
    h, w = frame.shape[:2]
    return VideoInfo(path=p, fps=fps, width=int(w), height=int(h), frame_count=max(count, 1))


def iter_frames(path: str | os.PathLike, max_frames: int | None = None,
                decoder_threads: int | None = None) -> Iterator[np.ndarray]:
    """Yield the frames of a video in order.

    Args:
        path: video file.
        max_frames: stop after this many frames (None: all).
        decoder_threads: FFmpeg decoding threads (None: OpenCV's default, one per core);
            the frames are the same either way.

    Yields:
        (H, W, 3) uint8 BGR images.

    Raises:
        InvalidInputError: the file cannot be opened, or no frame at all decodes.
    """
    p = Path(path)
    cap = _open(p, () if decoder_threads is None else (cv2.CAP_PROP_N_THREADS, decoder_threads))
    n = 0
    try:
        while max_frames is None or n < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            n += 1
            yield frame
    finally:
        cap.release()
    if n == 0 and max_frames != 0:
        raise InvalidInputError("video", str(p), "a video with at least one decodable frame")


def encode_frame(
    bgr: np.ndarray, transport: str = DEFAULT_TRANSPORT, jpeg_quality: int = DEFAULT_JPEG_QUALITY
) -> bytes:
    """Bytes to send for one frame.

    Args:
        bgr: (H, W, 3) uint8 BGR image.
        transport: "raw" (H*W*3 bytes, row-major BGR), "jpeg" or "png" (file bytes).
        jpeg_quality: JPEG quality 1..100 (transport "jpeg").

    Returns:
        The encoded bytes.

    Raises:
        InvalidInputError: unknown transport, quality out of range, or not an (H, W, 3)
            uint8 image.
    """
    if transport not in TRANSPORTS:
        raise InvalidInputError("transport", transport, f"one of {TRANSPORTS}")
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise InvalidInputError("frame", f"{bgr.dtype}{bgr.shape}", "(H, W, 3) uint8 BGR")
    if transport == "raw":
        return np.ascontiguousarray(bgr).tobytes()
    if transport == "jpeg":
        if not 1 <= int(jpeg_quality) <= 100:
            raise InvalidInputError("jpeg_quality", jpeg_quality, "an integer in 1..100")
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    else:
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise InvalidInputError("frame", f"{bgr.shape}", f"an image {transport} can encode")
    return buf.tobytes()
