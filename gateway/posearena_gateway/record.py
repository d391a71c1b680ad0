"""Synchronised capture from two or more cameras (or video files standing in for them).

Inputs: camera sources (an integer device index, or a path/URL OpenCV can open).
Outputs, in the output folder: `<name>.mp4` per source and `timestamps.csv` with one row per
captured frame set: frame, then each source's capture time in seconds since the start.

Synchronisation is as tight as OpenCV allows without hardware triggers: every frame set is
first *grabbed* on all sources back to back (cheap, no decoding), then *retrieved* and
written; the spread of grab times within a set is recorded so that the user can see how far
apart the views were (`max_skew_ms` in the summary).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posearena.errors import InvalidInputError


@dataclass
class RecordingSummary:
    """What was recorded: files, frame count, rate, worst grab skew between sources (ms)."""

    videos: list[Path]
    timestamps: Path
    frames: int
    fps: float
    max_skew_ms: float


def _open(source: str) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(int(source)) if source.isdigit() else cv2.VideoCapture(source)
    if not cap.isOpened():
        raise InvalidInputError("--camera", source, "a camera index or a readable video/stream")
    return cap


def record(
    sources: Sequence[str], out_dir: str | Path, max_frames: int | None = None,
    fps: float | None = None, should_stop: Callable[[], bool] = lambda: False,
) -> RecordingSummary:
    """Record all `sources` until one ends, `max_frames` sets are taken, or `should_stop()`.

    Args:
        sources: >= 2 camera indices ("0") or video paths.
        out_dir: folder for the videos and timestamps.csv (created).
        max_frames: stop after this many frame sets (None: until a source ends / stop).
        fps: frame rate written into the videos (default: the first source's, else 30).

    Raises:
        InvalidInputError: fewer than 2 sources, or a source that cannot be opened.
    """
    if len(sources) < 2:
        raise InvalidInputError("--camera", list(sources), "two or more sources")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    caps = [_open(s) for s in sources]
    rate = fps or caps[0].get(cv2.CAP_PROP_FPS) or 30.0
    names = [f"cam{i + 1:02d}" for i in range(len(sources))]
    writers: list[cv2.VideoWriter | None] = [None] * len(caps)
    stamps: list[list[float]] = []
    t0 = time.monotonic()
    try:
        while (max_frames is None or len(stamps) < max_frames) and not should_stop():
            grabbed, times = [], []
            for cap in caps:  # grab all first: the views are taken as close together as possible
                grabbed.append(cap.grab())
                times.append(time.monotonic() - t0)
            if not all(grabbed):
                break
            for i, cap in enumerate(caps):
                ok, frame = cap.retrieve()
                if not ok:
                    raise InvalidInputError("--camera", sources[i], "frames that decode")
                if writers[i] is None:
                    h, w = frame.shape[:2]
                    writers[i] = cv2.VideoWriter(str(out / f"{names[i]}.mp4"),
                                                 cv2.VideoWriter_fourcc(*"mp4v"), rate, (w, h))
                writers[i].write(frame)
            stamps.append(times)
    finally:
        for cap in caps:
            cap.release()
        for w in writers:
            if w is not None:
                w.release()
    ts = np.asarray(stamps, dtype=np.float64).reshape(-1, len(caps))
    ts_path = out / "timestamps.csv"
    header = "frame," + ",".join(f"{n}_s" for n in names)
    rows = np.column_stack([np.arange(len(ts)), ts]) if len(ts) else np.zeros((0, len(caps) + 1))
    np.savetxt(ts_path, rows, delimiter=",", header=header, comments="",
               fmt=["%d"] + ["%.6f"] * len(caps))
    skew = float((ts.max(axis=1) - ts.min(axis=1)).max() * 1000) if len(ts) else 0.0
    return RecordingSummary([out / f"{n}.mp4" for n in names], ts_path, len(ts), rate, skew)
