"""calibrate_stereo on anti-aliased checkerboard images rendered through a known distorted rig.

The rig (checkerboard_render.py): 640 x 480 px, fx ~ 600 px, k1 -0.22 / -0.18, the right
camera 12 cm to the right and toed in 4.6 deg; 12 good pairs and 3 bad ones (a blurred right
view, a board that moved 1 cm between exposures, a right view without the board).

Stated tolerances (measured in brackets when written): focal 2 px (0.3 px), principal point
3 px (0.9 px), distortion displacement at every used corner 0.5 px (0.18 px), k1 0.02
(0.005), baseline 1 mm (0.03 mm), right-camera translation 2 mm (0.13 mm), rotation 0.15 deg
(0.04 deg), stereo RMS 0.2 px (0.08 px).
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers.checkerboard_render import (
    BOARD,
    R_RIGHT,
    SQUARE_M,
    T_RIGHT,
    render_pairs,
    with_bad_pairs,
)

from posearena.calibration import calibrate_stereo
from posearena.calibration.calib_quality import advice, coverage, scale_warnings
from posearena.calibration.checkerboard import edge_blur_px, find_corners, to_gray
from posearena.calibration.stereo_calib import BLURRED, NOT_FOUND, OUTLIER, USED
from posearena.errors import InvalidInputError

N_GOOD = 12


@pytest.fixture(scope="module")
def rig():
    left, right, pairs = render_pairs(N_GOOD)
    imgs_l, imgs_r = with_bad_pairs(pairs)
    cal = calibrate_stereo(imgs_l, imgs_r, BOARD, SQUARE_M, names=("L", "R"))
    return left, right, cal


def test_recovers_intrinsics_and_distortion(rig):
    left, right, cal = rig
    for true, est in ((left, cal.left), (right, cal.right)):
        assert np.abs(np.diag(est.K)[:2] - np.diag(true.K)[:2]).max() < 2.0
        assert np.abs(est.K[:2, 2] - true.K[:2, 2]).max() < 3.0
        assert est.dist[0] == pytest.approx(true.dist[0], abs=0.02)
        side = "left" if true is left else "right"
        pts = np.concatenate([getattr(p, f"corners_{side}") for p in cal.pairs
                              if p.status == USED])
        shift_true = true.undistort_points(pts) - pts  # (N, 2) px the lens moved each corner
        shift_est = est.undistort_points(pts) - pts
        assert np.linalg.norm(shift_est - shift_true, axis=1).max() < 0.5


def test_recovers_extrinsics(rig):
    left, right, cal = rig
    assert np.allclose(cal.left.R, np.eye(3)) and np.allclose(cal.left.t, 0)
    assert cal.baseline_m == pytest.approx(np.linalg.norm(T_RIGHT), abs=1e-3)
    assert np.abs(cal.right.t - T_RIGHT).max() < 2e-3
    angle = np.degrees(np.arccos(np.clip((np.trace(cal.right.R @ R_RIGHT.T) - 1) / 2, -1, 1)))
    assert angle < 0.15
    # the calibrated pair triangulates a point 0.7 m away to within a few mm
    import cv2

    X = np.array([0.05, -0.02, 0.7])
    obs = [c.undistort_points(t.project(X)[None])[0] for t, c in
           ((left, cal.left), (right, cal.right))]
    h = cv2.triangulatePoints(cal.left.projection_matrix, cal.right.projection_matrix,
                              obs[0].reshape(2, 1), obs[1].reshape(2, 1))
    assert np.linalg.norm(h[:3, 0] / h[3, 0] - X) < 3e-3


def test_errors_per_camera_and_per_pair(rig):
    _, _, cal = rig
    assert 0 < cal.rms_px < 0.2
    assert 0 < cal.rms_left_px < 0.2 and 0 < cal.rms_right_px < 0.2
    used = [p for p in cal.pairs if p.status == USED]
    assert [p.index for p in used] == list(range(N_GOOD))
    errors = np.array([p.error_px for p in used])
    assert np.all((errors > 0) & (errors < 0.3))
    # the stereo RMS is the RMS over both views of every used pair
    both = np.array([[p.error_left_px, p.error_right_px] for p in used])
    assert np.sqrt(np.mean(both ** 2)) == pytest.approx(cal.rms_px, rel=1e-3)
    assert np.sqrt(np.mean(both[:, 0] ** 2)) == pytest.approx(cal.rms_left_px, rel=1e-6)


def test_names_each_dropped_pair_and_why(rig):
    _, _, cal = rig
    dropped = {p.index: p for p in cal.pairs_dropped}
    assert sorted(dropped) == [N_GOOD, N_GOOD + 1, N_GOOD + 2]
    blurred, moved, missing = (dropped[N_GOOD + k] for k in range(3))
    assert blurred.status == BLURRED and blurred.detail.startswith("right view")
    assert blurred.blur_right_px > 2.0 and blurred.blur_left_px < 1.0
    assert moved.status == OUTLIER and "unsynchronised" in moved.detail
    assert missing.status == NOT_FOUND and missing.detail.startswith("right view")
    assert missing.corners_right is None and missing.corners_left is not None
    assert np.isnan(missing.error_px) and np.isnan(blurred.error_px)


def test_edge_blur_measures_gaussian_sigma():
    import cv2

    _, _, pairs = render_pairs(N_GOOD)
    gray = to_gray(pairs[0].left, "image")
    corners = find_corners(gray, BOARD)
    sharp = edge_blur_px(gray, corners, BOARD)
    assert 0.2 < sharp < 1.0
    # a Gaussian of sigma s on top of the ~0.6 px of the sharp render: sqrt(s^2 + 0.6^2)
    for sigma in (2.0, 3.0):
        blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
        measured = edge_blur_px(blurred, find_corners(blurred, BOARD), BOARD)
        assert measured == pytest.approx(np.hypot(sigma, sharp), rel=0.2)


def test_coverage_and_advice(rig):
    _, _, cal = rig
    cov = coverage(cal, "right")
    assert 0.1 < cov.area < 0.6
    assert cov.counts.sum() == N_GOOD * BOARD[0] * BOARD[1]
    assert cov.empty == ["top-right", "right", "bottom-right"]  # no board ever reached there
    tips = "\n".join(advice(cal, lambda i: f"#{i}"))
    assert f"blurred (#{N_GOOD})" in tips
    assert f"outlier error (#{N_GOOD + 1})" in tips
    assert f"board not found (#{N_GOOD + 2})" in tips
    assert "right camera: no corner in the top-right, right, bottom-right" in tips


def test_few_pairs_get_advice_and_too_few_fail():
    _, _, pairs = render_pairs(N_GOOD)
    cal = calibrate_stereo([p.left for p in pairs[:4]], [p.right for p in pairs[:4]], BOARD,
                           SQUARE_M)
    assert any("only 4 pairs used" in a for a in advice(cal))
    blank = np.full_like(pairs[0].left, 128)
    with pytest.raises(InvalidInputError, match=r"2 usable pairs of 3 \(1 board not found\)"):
        calibrate_stereo([p.left for p in pairs[:3]], [p.right for p in pairs[:2]] + [blank],
                         BOARD, SQUARE_M)


def test_scale_warnings():
    assert scale_warnings(0.025, 0.3) == []
    assert "25mm" in scale_warnings(25.0)[0]  # millimetres typed where metres are expected
    assert len(scale_warnings(0.001)) == 1
    assert "baseline 120.00 m" in scale_warnings(0.025, 120.0)[0]


def test_bad_inputs():
    _, _, pairs = render_pairs(N_GOOD)
    imgs_l, imgs_r = [p.left for p in pairs[:3]], [p.right for p in pairs[:3]]
    with pytest.raises(InvalidInputError, match="images_right"):
        calibrate_stereo(imgs_l, imgs_r[:2], BOARD, SQUARE_M)
    with pytest.raises(InvalidInputError, match="square_m"):
        calibrate_stereo(imgs_l, imgs_r, BOARD, 0.0)
    with pytest.raises(InvalidInputError, match="board"):
        calibrate_stereo(imgs_l, imgs_r, (1, 6), SQUARE_M)
    with pytest.raises(InvalidInputError, match=r"images_left\[1\]"):
        calibrate_stereo([imgs_l[0], imgs_l[1][:100]], imgs_r[:2], BOARD, SQUARE_M)


def test_board_tilts_match_the_rendered_poses(rig):
    from posearena.calibration.calib_quality import board_tilts_deg

    _, _, cal = rig
    _, _, pairs = render_pairs(N_GOOD)
    true = np.degrees(np.arccos(np.abs([p.R_board[2, 2] for p in pairs])))  # left = world
    assert np.abs(board_tilts_deg(cal, "left") - true).max() < 0.5
    assert true.max() > 20  # so the "every board faces the cameras" advice stays silent
    assert not any("faces the cameras" in a for a in advice(cal))


def test_consistency_flags_a_pair_with_its_corners_reversed_in_one_view(rig):
    from posearena.calibration.checkerboard import board_points
    from posearena.calibration.stereo_consistency import consistency_errors

    left, right, cal = rig
    used = [p for p in cal.pairs if p.status == USED]
    corners_r = [p.corners_right for p in used]
    corners_r[4] = corners_r[4][::-1]  # the detector started from the opposite corner
    errors = consistency_errors(board_points(BOARD, SQUARE_M), [p.corners_left for p in used],
                                corners_r, left, right)
    assert errors[4] > 20 * np.median(errors) and errors[4] > 10
    assert np.delete(errors, 4).max() < 1.0
