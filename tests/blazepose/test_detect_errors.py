"""Bad input to the BlazePose Detect stream: INVALID_ARGUMENT naming frame and field, with the
responses streamed before the error kept; `DetectionInterrupted` carries partial results."""

from __future__ import annotations

import cv2
import grpc
import numpy as np
import pytest

from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_gateway.detection import DetectionInterrupted, detect_video

from .conftest import VIDEOS


def _jpeg(bgr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return buf.tobytes()


def _frame(i: int, **image: object) -> pose_pb2.DetectRequest:
    return pose_pb2.DetectRequest(frame=pose_pb2.Frame(index=i, timestamp_s=i / 60, **image))


def _run(target: str, requests: list[pose_pb2.DetectRequest]):
    """Send the requests; return (responses received, RpcError or None)."""
    got: list[pose_pb2.FramePoses] = []
    with grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)]) as ch:
        try:
            for fp in pose_pb2_grpc.PoseEstimatorStub(ch).Detect(iter(requests), timeout=60):
                got.append(fp)
        except grpc.RpcError as exc:
            return got, exc
    return got, None


def test_corrupt_bytes(blazepose_target: str, cam_frames) -> None:
    reqs = [_frame(i, encoded=_jpeg(f)) for i, f in enumerate(cam_frames[:2])]
    reqs.append(_frame(2, encoded=b"\xff\xd8 this is not a JPEG"))
    reqs.append(_frame(3, encoded=_jpeg(cam_frames[3])))
    got, err = _run(blazepose_target, reqs)
    assert [fp.index for fp in got] == [0, 1] and all(len(fp.people) == 1 for fp in got)
    assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=2].encoded" in err.details()


def test_raw_length_mismatch(blazepose_target: str, cam_frames) -> None:
    f = cam_frames[0]
    h, w = f.shape[:2]
    reqs = [
        _frame(0, raw_bgr=f.tobytes(), width=w, height=h),
        _frame(1, raw_bgr=f.tobytes()[:-3], width=w, height=h),
    ]
    got, err = _run(blazepose_target, reqs)
    assert [fp.index for fp in got] == [0] and got[0].width == w and got[0].height == h
    assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=1].raw_bgr" in err.details() and str(w * h * 3) in err.details()


def test_frame_size_change_in_video_mode(blazepose_target: str, cam_frames) -> None:
    small = cv2.resize(cam_frames[1], (540, 960))
    reqs = [_frame(0, encoded=_jpeg(cam_frames[0])), _frame(1, encoded=_jpeg(small))]
    got, err = _run(blazepose_target, reqs)
    assert [fp.index for fp in got] == [0]
    assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=1].width/height" in err.details() and "(540, 960)" in err.details()
    # In image mode frames are independent: the same sizes are accepted.
    opts = pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(image_mode=True))
    got, err = _run(blazepose_target, [opts, *reqs])
    assert err is None and [(fp.width, fp.height) for fp in got] == [(1080, 1920), (540, 960)]
    assert len(got[1].people) == 1
    assert got[1].people[0].box.y1 < 960  # keypoints scaled with the image


def test_unknown_output_skeleton(blazepose_target: str, cam_frames) -> None:
    opts = pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(output_skeleton="coco18"))
    got, err = _run(blazepose_target, [opts, _frame(0, encoded=_jpeg(cam_frames[0]))])
    assert got == [] and err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "output_skeleton" in err.details() and "coco18" in err.details()


def test_declared_size_must_match_encoded(blazepose_target: str, cam_frames) -> None:
    req = _frame(0, encoded=_jpeg(cam_frames[0]), width=1920, height=1080)
    got, err = _run(blazepose_target, [req])
    assert got == [] and err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "frame[index=0].width/height" in err.details()


def test_interrupted_detection_keeps_partial_result(blazepose_target: str) -> None:
    # A registry skeleton BlazePose does not convert to: refused before any frame.
    with pytest.raises(DetectionInterrupted) as info:
        detect_video(blazepose_target, VIDEOS / "cam01.mp4", output_skeleton="kinect_v2_25")
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert info.value.partial.num_frames == 0 and "output_skeleton" in info.value.details
    # A deadline shorter than the video: the frames answered in time are kept.
    with pytest.raises(DetectionInterrupted) as info:
        detect_video(blazepose_target, VIDEOS / "cam01.mp4", deadline_s=1.0)
    part = info.value.partial
    assert info.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0 < part.num_frames < 100 and np.isfinite(part.keypoints).all()
    assert part.extra["world"].shape[0] == part.num_frames
