"""`posearena record`: synchronised capture, tested with video files as camera sources."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.record import record


def test_two_sources_give_aligned_videos_and_timestamps(tmp_path, demo_videos):
    s = record([str(demo_videos[0]), str(demo_videos[1])], tmp_path / "rec", max_frames=12)
    assert s.frames == 12 and s.fps == pytest.approx(60.0)
    ts = np.loadtxt(s.timestamps, delimiter=",", skiprows=1)
    assert ts.shape == (12, 3) and np.all(np.diff(ts[:, 1]) > 0)
    for video, src in zip(s.videos, demo_videos[:2], strict=True):
        cap = cv2.VideoCapture(str(video))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        ok, frame = cap.read()
        ref = cv2.VideoCapture(str(src)).read()[1]
        cap.release()
        assert n == 12 and ok and frame.shape == ref.shape
        # the recording is a re-encoding of the same picture
        assert np.abs(frame.astype(float) - ref.astype(float)).mean() < 12


def test_recording_stops_when_a_source_ends(tmp_path, demo_videos):
    s = record([str(demo_videos[0]), str(demo_videos[1])], tmp_path / "rec")
    assert s.frames == 100


def test_bad_sources_are_rejected(tmp_path, demo_videos):
    with pytest.raises(InvalidInputError, match="two or more"):
        record([str(demo_videos[0])], tmp_path)
    with pytest.raises(InvalidInputError, match=r"nope\.mp4"):
        record([str(demo_videos[0]), str(tmp_path / "nope.mp4")], tmp_path)
