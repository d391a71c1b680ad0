"""posearena_gateway.video: probing, iterating and encoding real and broken video files."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.video import encode_frame, iter_frames, probe_video

from .conftest import VIDEOS


def test_probe_real_clip() -> None:
    info = probe_video(VIDEOS / "cam03.mp4")
    assert (info.fps, info.width, info.height, info.frame_count) == (60.0, 1088, 1920, 100)


def test_iter_frames_counts_and_limits() -> None:
    frames = list(iter_frames(VIDEOS / "cam01.mp4", max_frames=3))
    assert len(frames) == 3 and frames[0].shape == (1920, 1080, 3) and frames[0].dtype == np.uint8
    assert sum(1 for _ in iter_frames(VIDEOS / "cam01.mp4")) == 100


def test_missing_file() -> None:
    with pytest.raises(InvalidInputError, match=r"nope\.mp4"):
        probe_video(VIDEOS / "nope.mp4")


def test_non_video_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video at all\n" * 50)
    with pytest.raises(InvalidInputError, match=r"notes\.mp4"):
        probe_video(path)
    with pytest.raises(InvalidInputError, match=r"notes\.mp4"):
        list(iter_frames(path))


def test_zero_byte_and_zero_frame_videos(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match=r"empty\.mp4"):
        probe_video(empty)
    # A container written with no frame in it.
    zero = tmp_path / "zero.avi"
    writer = cv2.VideoWriter(str(zero), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    writer.release()
    assert zero.exists()
    with pytest.raises(InvalidInputError, match=r"zero\.avi"):
        probe_video(zero)


def test_corrupt_video(tmp_path: Path) -> None:
    data = (VIDEOS / "cam01.mp4").read_bytes()
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(data[:2000])  # header cut short: no frame decodes
    with pytest.raises(InvalidInputError, match=r"corrupt\.mp4"):
        probe_video(bad)


def test_encode_frame() -> None:
    frame = next(iter_frames(VIDEOS / "cam01.mp4"))
    raw = encode_frame(frame, "raw")
    assert len(raw) == 1920 * 1080 * 3
    assert np.array_equal(np.frombuffer(raw, np.uint8).reshape(frame.shape), frame)
    hi, lo = encode_frame(frame, "jpeg", 95), encode_frame(frame, "jpeg", 30)
    assert len(lo) < len(hi) < len(raw)
    back = cv2.imdecode(np.frombuffer(hi, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(back.astype(int) - frame).mean() < 3.0
    with pytest.raises(InvalidInputError, match="transport"):
        encode_frame(frame, "webp")
    with pytest.raises(InvalidInputError, match="jpeg_quality"):
        encode_frame(frame, "jpeg", 0)


@pytest.mark.parametrize("raw", [True, False])
def test_frame_request_bytes_is_the_protobuf_encoding(raw: bool) -> None:
    from posearena.v1 import pose_pb2
    from posearena_gateway.detection.frames import frame_request_bytes

    frame = next(iter_frames(VIDEOS / "cam01.mp4"))
    data = encode_frame(frame, "raw" if raw else "jpeg")
    wire = frame_request_bytes(41, 41 / 60, "cam01", 1080, 1920, data, raw)
    image = {"raw_bgr": data} if raw else {"encoded": data}
    expected = pose_pb2.DetectRequest(
        frame=pose_pb2.Frame(
            index=41, timestamp_s=41 / 60, camera_id="cam01", width=1080, height=1920, **image
        )
    )
    # Same message (field order on the wire differs: the image goes last, which is legal).
    assert pose_pb2.DetectRequest.FromString(wire) == expected
    assert len(wire) == len(expected.SerializeToString())
