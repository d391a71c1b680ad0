"""comparison.reprojection: a world-frame 3D result checked in every calibrated view."""

from __future__ import annotations

import numpy as np

from posearena.calibration import Camera, rodrigues_to_matrix
from posearena.npzio import Detections
from posearena_gateway.comparison.reprojection import cross_view_reprojection, view_errors

L_ALL = [1, 3, 5, 7, 9, 11, 13, 15]
R_ALL = [2, 4, 6, 8, 10, 12, 14, 16]


def _cameras() -> list[Camera]:
    cams = []
    for i, yaw in enumerate((0.0, 0.6, -0.6)):
        R = rodrigues_to_matrix([0.0, yaw, 0.0])
        cams.append(Camera(f"c{i}", 1280, 720, [[1000.0, 0, 640], [0, 1000.0, 360], [0, 0, 1]],
                           np.zeros(5), R, np.array([0.0, 0.0, 4.0])))
    return cams


def _body(n: int = 30) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(-0.4, 0.4, (n, 17, 3)) * np.array([1.0, 2.0, 0.5])


def _dets(cam: Camera, pts: np.ndarray) -> Detections:
    kp = cam.project(pts)[:, None].astype(np.float32)
    return Detections(kp, np.ones(kp.shape[:3], np.float32), np.ones((len(pts), 1)),
                      "coco17", 30.0, cam.width, cam.height)


def test_exact_points_reproject_to_zero_and_errors_grow_with_3d_error():
    cams, pts = _cameras(), _body()
    dets = [_dets(c, pts) for c in cams]
    rep = cross_view_reprojection(pts, "coco17", cams, dets, used=["c0", "c1"])
    assert rep["used_median_px"] < 1e-3 and rep["held_out_median_px"] < 1e-3
    assert [v["used"] for v in rep["views"].values()] == [True, True, False]
    assert all(v["points"] == 30 * 12 for v in rep["views"].values())  # BODY12 only
    moved = pts + np.array([0.02, 0.0, 0.0])  # 2 cm sideways, ~4 m away, f = 1000 px
    rep2 = cross_view_reprojection(moved, "coco17", cams, dets, used=["c0", "c1"])
    assert 3.0 < rep2["views"]["c0"]["median_px"] < 7.0
    assert rep2["views"]["c0"]["median_px"] > rep2["views"]["c1"]["median_px"]  # c1 is yawed


def test_mirrored_2d_frames_are_measured_against_their_mirror():
    cams, pts = _cameras(), _body()
    d = _dets(cams[0], pts)
    d.keypoints[5:12, 0][:, L_ALL + R_ALL] = d.keypoints[5:12, 0][:, R_ALL + L_ALL]
    assert np.nanmax(view_errors(pts, "coco17", cams[0], d)) < 1e-3


def test_low_confidence_and_missing_views_are_left_out():
    cams, pts = _cameras(), _body()
    dets = [_dets(c, pts) for c in cams]
    dets[2].scores[:, 0, :] = 0.1
    rep = cross_view_reprojection(pts, "coco17", cams, [dets[0], None, dets[2]], used=["c0"])
    assert set(rep["views"]) == {"c0", "c2"}
    assert rep["views"]["c2"]["points"] == 0 and rep["views"]["c2"]["median_px"] is None
    assert rep["held_out_median_px"] is None
