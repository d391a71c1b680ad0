"""Pose exporters (npz, CSV, .trc, Kinect text) and OpenPose JSON: round trips and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import convert, convert_confidence
from posearena_gateway.exporters import (
    csv_header,
    read_csv,
    read_openpose_json,
    write_csv,
    write_kinect_skeleton_text,
    write_npz,
    write_openpose_json,
    write_sequence,
    write_trc,
)
from posearena_gateway.references import load_reference, read_kinect_text
from posearena_gateway.references.pose_npz import read_npz


@pytest.fixture(scope="module")
def vicon_pts(m07_vicon):
    pts = m07_vicon.points.copy()
    pts[10, 13] = np.nan  # one missing wrist
    return pts


def test_npz_round_trip(tmp_path, m07_vicon, vicon_pts):
    path = tmp_path / "p.npz"
    ts = np.arange(len(vicon_pts)) / 100.0 + 2.0
    write_npz(path, vicon_pts, "h36m17", 100.0, m07_vicon.frame, (0, 0, 1), ts)
    seq = read_npz(path)
    assert seq.skeleton == "h36m17" and seq.fps == 100.0 and seq.frame == m07_vicon.frame
    assert np.array_equal(seq.points, vicon_pts, equal_nan=True)
    assert np.array_equal(seq.timestamps, ts) and np.allclose(seq.up_axis, [0, 0, 1])


def test_csv_round_trip_and_columns(tmp_path, vicon_pts):
    path = tmp_path / "p.csv"
    write_csv(path, vicon_pts, "h36m17", 100.0)
    lines = path.read_text().splitlines()
    assert lines[0].split(",")[:5] == ["frame", "time_s", "hip_x", "hip_y", "hip_z"]
    assert lines[0].split(",") == csv_header("h36m17") and len(lines) == len(vicon_pts) + 1
    assert lines[11].split(",")[:2] == ["10", "0.100000000"]
    assert lines[11].split(",")[2 + 13 * 3 : 2 + 14 * 3] == ["", "", ""]  # NaN -> empty
    seq = read_csv(path)
    assert seq.skeleton == "h36m17" and seq.fps == pytest.approx(100.0, rel=1e-6)
    assert np.array_equal(np.isnan(seq.points), np.isnan(vicon_pts))
    assert np.nanmax(np.abs(seq.points - vicon_pts)) <= 5.001e-7
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInputError, match="line 1"):
        read_csv(path)


def test_trc_round_trip(tmp_path, vicon_pts):
    path = tmp_path / "p.trc"
    write_trc(path, vicon_pts, "h36m17", 100.0)
    assert "\thip\t\t\tright_hip" in path.read_text().splitlines()[3]
    seq = load_reference(f"mocap:{path}")
    assert seq.skeleton == "h36m17" and seq.fps == 100.0
    assert np.nanmax(np.abs(seq.points - vicon_pts)) <= 5.001e-7
    assert np.isnan(seq.points[10, 13]).all()


def test_kinect_text_export_converts_joints(tmp_path, vicon_pts):
    path = tmp_path / "k.txt"
    write_kinect_skeleton_text(path, vicon_pts, "h36m17", 100.0, up_axis=np.array([0, 0, 1.0]))
    seq = read_kinect_text(path)
    want = convert(vicon_pts, "h36m17", "kinect_v2_25")
    assert seq.skeleton == "kinect_v2_25" and seq.fps == 100.0
    assert np.allclose(seq.timestamps, np.arange(len(vicon_pts)) / 100.0, atol=1e-9)
    assert np.array_equal(np.isnan(seq.points), np.isnan(want))
    assert np.nanmax(np.abs(seq.points - want)) <= 5.001e-7
    assert np.allclose(seq.up_axis, [0, 0, 1])
    write_kinect_skeleton_text(path, vicon_pts, "h36m17", 100.0, version="v1")
    assert read_kinect_text(path).skeleton == "kinect_v1_20"
    with pytest.raises(InvalidInputError, match="version"):
        write_kinect_skeleton_text(path, vicon_pts, "h36m17", 100.0, version="v3")


def test_write_sequence_by_suffix(tmp_path, m07_kinect):
    for suffix in (".npz", ".csv", ".trc", ".txt"):
        path = tmp_path / f"s{suffix}"
        write_sequence(path, m07_kinect)
        assert path.stat().st_size > 1000
    assert np.allclose(read_npz(tmp_path / "s.npz").points, m07_kinect.points)
    assert read_kinect_text(tmp_path / "s.txt").frame == m07_kinect.frame
    with pytest.raises(InvalidInputError, match="fmt"):
        write_sequence(tmp_path / "s.xyz", m07_kinect)


def test_writers_reject_bad_input(tmp_path):
    with pytest.raises(InvalidInputError, match="points"):
        write_csv(tmp_path / "x.csv", np.zeros((5, 16, 3)), "h36m17", 30.0)
    with pytest.raises(InvalidInputError, match="fps"):
        write_npz(tmp_path / "x.npz", np.zeros((5, 17, 3)), "h36m17", 0.0)
    with pytest.raises(InvalidInputError, match="skeleton"):
        write_trc(tmp_path / "x.trc", np.zeros((5, 17, 3)), "nope", 30.0)


@pytest.fixture(scope="module")
def detections(m07_vicon):
    """COCO-17 joint centres of the real Vicon recording projected by a pinhole camera (px)."""
    world = m07_vicon.extra["coco17"]  # (T, 17, 3) m, Z up
    centre = np.nanmean(world, axis=(0, 1))
    rel = world - centre
    cam = np.stack([rel[..., 0], -rel[..., 2], rel[..., 1] + 3.0], axis=-1)  # 3 m away
    px = 1000.0 * cam[..., :2] / cam[..., 2:] + np.array([960.0, 540.0])
    kp = np.stack([px, px + np.array([300.0, 0.0])], axis=1).astype(np.float32)  # 2 people
    rng = np.random.default_rng(3)
    sc = rng.uniform(0.2, 1.0, kp.shape[:3]).astype(np.float32)
    kp[4, 0, 9] = np.nan  # a missing left wrist
    sc[4, 0, 9] = 0.0
    kp[7, 1] = np.nan  # person 1 absent in frame 7
    sc[7, 1] = 0.0
    seen = ~np.isnan(kp[..., 0])
    n = seen.sum(axis=2)
    ps = np.where(n > 0, (sc * seen).sum(axis=2) / np.maximum(n, 1), np.nan)
    return Detections(kp, sc, ps, "coco17", 100.0, 1920, 1080)


def test_openpose_json_layout(tmp_path, detections):
    paths = write_openpose_json(tmp_path, detections, prefix="cam01")
    assert len(paths) == detections.num_frames
    assert paths[7].name == "cam01_000000000007_keypoints.json"
    doc = json.loads(paths[4].read_text())
    assert doc["version"] == 1.3 and len(doc["people"]) == 2
    person = doc["people"][0]
    assert person["person_id"] == [-1] and len(person["pose_keypoints_2d"]) == 75
    flat = np.array(person["pose_keypoints_2d"]).reshape(25, 3)
    assert np.array_equal(flat[7], [0, 0, 0])  # BODY_25 LWrist missing -> 0, 0, 0
    assert flat[8, 2] > 0 and flat[8, 0] > 0  # MidHip derived from the two hips
    assert np.array_equal(flat[19], [0, 0, 0])  # no foot points in COCO-17
    assert len(json.loads(paths[7].read_text())["people"]) == 1


def test_openpose_json_round_trip(tmp_path, detections):
    write_openpose_json(tmp_path, detections, prefix="cam01")
    back = read_openpose_json(tmp_path, fps=100.0, width=1920, height=1080)
    want_kp = convert(detections.keypoints.astype(np.float64), "coco17", "body25")
    want_sc = convert_confidence(detections.scores.astype(np.float64), "coco17", "body25")
    missing = np.isnan(want_kp[..., 0]) | ~np.isfinite(want_sc)
    assert back.skeleton == "body25" and back.keypoints.shape == want_kp.shape
    assert np.array_equal(np.isnan(back.keypoints[..., 0]), missing)
    assert np.nanmax(np.abs(back.keypoints - want_kp)) < 1e-3  # px (float32 + 6 decimals)
    assert np.allclose(back.scores[~missing], want_sc[~missing], atol=1e-6)
    assert np.all(back.scores[missing] == 0.0)
    assert np.isnan(back.person_scores[7, 1]) and np.isfinite(back.person_scores[7, 0])


def test_openpose_json_bad_files(tmp_path, detections):
    with pytest.raises(InvalidInputError, match=r"keypoints\.json"):
        read_openpose_json(tmp_path, fps=30.0)
    bad = tmp_path / "v_000000000000_keypoints.json"
    bad.write_text(json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": [1.0] * 30}]}))
    with pytest.raises(InvalidInputError, match="75 values"):
        read_openpose_json(tmp_path, fps=30.0)
    bad.write_text("{not json")
    with pytest.raises(InvalidInputError, match="OpenPose JSON"):
        read_openpose_json(tmp_path, fps=30.0)
    bad.unlink()
    write_openpose_json(tmp_path, detections, prefix="a")
    write_openpose_json(tmp_path, detections, prefix="b")
    with pytest.raises(InvalidInputError, match="prefix"):
        read_openpose_json(tmp_path, fps=30.0)
    assert read_openpose_json(tmp_path, fps=30.0, prefix="b").num_frames == detections.num_frames
