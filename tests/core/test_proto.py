"""The Pose API messages: wire round trips of every request/response type."""

from __future__ import annotations

import numpy as np

from posearena.tensors import from_tensor, to_tensor
from posearena.v1 import pose_pb2


def _rt(msg):
    return type(msg).FromString(msg.SerializeToString())


def test_detect_stream_messages_round_trip():
    opts = pose_pb2.DetectRequest(options=pose_pb2.DetectOptions(max_people=2,
                                                                 output_skeleton="coco17"))
    frame = pose_pb2.DetectRequest(frame=pose_pb2.Frame(index=7, timestamp_s=7 / 60,
                                                        camera_id="cam01", raw_bgr=b"\x01" * 12,
                                                        width=2, height=2))
    assert _rt(opts).WhichOneof("item") == "options"
    f = _rt(frame).frame
    assert f.WhichOneof("image") == "raw_bgr" and f.index == 7 and f.camera_id == "cam01"
    kp = np.array([[1.5, 2.5], [np.nan, np.nan]], np.float32)
    person = pose_pb2.Person(keypoints=to_tensor(kp), confidence=to_tensor(np.array([0.9, 0.0])),
                             score=0.8, box=pose_pb2.Box(x0=1, y0=2, x1=3, y1=4), track_id=3)
    out = _rt(pose_pb2.FramePoses(index=7, skeleton="coco17", people=[person]))
    back = from_tensor(out.people[0].keypoints, "k")
    np.testing.assert_array_equal(back, kp)
    assert out.people[0].box.x1 == 3 and out.people[0].track_id == 3


def test_lift_and_triangulate_round_trip():
    req = pose_pb2.LiftRequest(keypoints=to_tensor(np.zeros((3, 17, 2))), skeleton="coco17",
                               width=1080, height=1920, fps=60.0)
    r = _rt(req)
    assert not r.HasField("flip_tta") and r.width == 1080
    r.flip_tta = False
    assert _rt(r).HasField("flip_tta") and not _rt(r).flip_tta
    cam = pose_pb2.Camera(name="cam01", width=1088, height=1920, matrix=list(np.eye(3).ravel()),
                          rotation=list(np.eye(3).ravel()), translation=[0, 0, 1])
    tri = pose_pb2.TriangulateRequest(
        views=[pose_pb2.View(camera_id="cam01", keypoints=to_tensor(np.zeros((2, 17, 2))))],
        cameras=[cam], skeleton="coco17",
        options=pose_pb2.TriangulationOptions(max_reprojection_error_px=15, refine=True))
    t = _rt(tri)
    assert t.cameras[0].translation == [0, 0, 1] and t.options.refine


def test_info_carries_the_skeleton():
    sk = pose_pb2.Skeleton(name="h36m17", joint_names=["hip"] * 17,
                           parents=[-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15],
                           left_joints=[4, 5, 6, 11, 12, 13], right_joints=[1, 2, 3, 14, 15, 16])
    info = _rt(pose_pb2.EstimatorInfo(name="videopose3d", kind=pose_pb2.LIFTER_3D,
                                      output_skeleton=sk, receptive_field=243,
                                      details={"arch": "3,3,3,3,3"}))
    assert info.output_skeleton.parents[16] == 15 and info.details["arch"] == "3,3,3,3,3"
