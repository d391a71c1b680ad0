"""Track thumbnails cut from the overlay's decoding pass equal those read from the video alone.

`writer._video_media` draws the overlay and hands the thumbnails the frames they need as it
decodes them (no second opening and seek per video); the strip must be the same PNG either
way, for a track that appears at frame 0 and one that appears later, and when the overlay
fails (the thumbnails then read the video themselves).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posearena.npzio import Detections
from posearena_gateway.report.thumbnails import first_frames, write_track_thumbnails
from posearena_gateway.report.writer import _video_media

FRAMES, W, H = 24, 320, 240
LATE = 9  # first frame of the second track


@pytest.fixture(scope="module")
def video_and_dets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Detections]:
    """A video whose every frame differs (a bar moving right, a frame-dependent shade) and
    two tracks: slot 0 from frame 0, slot 1 from frame LATE."""
    path = tmp_path_factory.mktemp("thumbs") / "moving.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (W, H))
    for t in range(FRAMES):
        img = np.full((H, W, 3), 30 + 5 * t, np.uint8)
        cv2.rectangle(img, (10 * t, 40), (10 * t + 30, 200), (40, 200, 250), -1)
        writer.write(img)
    writer.release()
    t = np.arange(FRAMES, dtype=np.float32)[:, None]
    j = np.arange(17, dtype=np.float32)[None, :]
    kp = np.zeros((FRAMES, 2, 17, 2), np.float32)
    kp[:, 0, :, 0], kp[:, 0, :, 1] = 10 * t + 15, 60 + 8 * j
    kp[:, 1, :, 0], kp[:, 1, :, 1] = 250 - 4 * t, 50 + 9 * j
    kp[:LATE, 1] = np.nan
    scores = np.where(np.isfinite(kp).all(-1), 0.9, 0.0)
    return path, Detections(kp, scores, np.full((FRAMES, 2), 0.9), "coco17", 30.0, W, H)


def test_first_frames_are_each_tracks_first_appearance(video_and_dets) -> None:
    assert first_frames(video_and_dets[1]) == {0, LATE}


@pytest.mark.parametrize("overlay_name", ["overlay.mp4", "overlay.unwritable-format"])
def test_thumbnails_from_the_overlay_pass_equal_those_read_alone(
        video_and_dets, tmp_path: Path, overlay_name: str) -> None:
    video, dets = video_and_dets
    alone = write_track_thumbnails(video, dets, tmp_path / "alone.png")
    thumbs, overlay = _video_media(str(video), dets, tmp_path / "pass.png",
                                   tmp_path / overlay_name)
    assert alone is not None and thumbs is not None
    assert thumbs.read_bytes() == alone.read_bytes()
    if overlay_name.endswith(".mp4"):
        assert overlay == tmp_path / overlay_name and overlay.stat().st_size > 0
    else:  # the overlay failed: reported by the caller, the thumbnails read the video
        assert isinstance(overlay, Exception)
