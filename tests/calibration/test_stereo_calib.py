"""calibrate_stereo on checkerboard images rendered from two known cameras."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posearena.calibration import Camera, calibrate_stereo, rodrigues_to_matrix
from posearena.errors import InvalidInputError

BOARD = (9, 6)  # inner corners
SQUARE_M = 0.03
SQUARE_PX = 40  # texture resolution
MARGIN_PX = 40
W, H = 640, 480
K = np.array([[600.0, 0.0, 322.0], [0.0, 602.0, 238.0], [0.0, 0.0, 1.0]])
R_RIGHT = rodrigues_to_matrix([0.01, -0.08, 0.005])
T_RIGHT = np.array([-0.12, 0.002, 0.004])  # left->right: the right camera sits at +x


def _texture() -> np.ndarray:
    cols, rows = BOARD[0] + 1, BOARD[1] + 1
    tex = np.full((rows * SQUARE_PX + 2 * MARGIN_PX, cols * SQUARE_PX + 2 * MARGIN_PX), 255,
                  np.uint8)
    for r in range(rows):
        for c in range(cols):
            if (r + c) % 2 == 0:
                y, x = MARGIN_PX + r * SQUARE_PX, MARGIN_PX + c * SQUARE_PX
                tex[y:y + SQUARE_PX, x:x + SQUARE_PX] = 0
    return tex


def _render(tex: np.ndarray, cam: Camera, R_board: np.ndarray, t_board: np.ndarray) -> np.ndarray:
    """Image of the board (pose R_board, t_board in the world = left camera frame)."""
    Rc = cam.R @ R_board
    tc = cam.R @ t_board + cam.t
    # texture px -> board metres; texture pixel centres are integers, so the first inner
    # corner (one square in from the printed area) lies at MARGIN + SQUARE - 0.5
    s = SQUARE_M / SQUARE_PX
    o = MARGIN_PX + SQUARE_PX - 0.5
    S = np.array([[s, 0, -o * s], [0, s, -o * s], [0, 0, 1.0]])
    Hm = cam.K @ np.column_stack([Rc[:, 0], Rc[:, 1], tc]) @ S
    return cv2.warpPerspective(tex, Hm, (cam.width, cam.height), flags=cv2.INTER_AREA,
                               borderValue=200)


def _pairs(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    left = Camera("L", W, H, K, np.zeros(5), np.eye(3), np.zeros(3))
    right = Camera("R", W, H, K * [[1.01], [1.01], [1]], np.zeros(5), R_RIGHT, T_RIGHT)
    tex = _texture()
    imgs_l, imgs_r = [], []
    centre = np.array([(BOARD[0] - 1) * SQUARE_M / 2, (BOARD[1] - 1) * SQUARE_M / 2, 0])
    for _ in range(n):
        R_board = rodrigues_to_matrix(rng.uniform([-0.5, -0.5, -0.3], [0.5, 0.5, 0.3]))
        target = np.array([rng.uniform(-0.05, 0.0), rng.uniform(-0.05, 0.05),
                           rng.uniform(0.55, 0.9)])
        t_board = target - R_board @ centre
        imgs_l.append(_render(tex, left, R_board, t_board))
        imgs_r.append(cv2.cvtColor(_render(tex, right, R_board, t_board), cv2.COLOR_GRAY2BGR))
    return left, right, imgs_l, imgs_r


def test_recovers_known_stereo_rig():
    left, right, imgs_l, imgs_r = _pairs(10)
    calib = calibrate_stereo(imgs_l, imgs_r, BOARD, SQUARE_M, names=("L", "R"))
    assert len(calib.pairs_used) >= 8
    assert calib.rms_px < 0.3
    assert np.allclose(calib.left.R, np.eye(3)) and np.allclose(calib.left.t, 0)
    assert calib.baseline_m == pytest.approx(np.linalg.norm(T_RIGHT), abs=2e-3)
    assert np.abs(calib.right.t - T_RIGHT).max() < 3e-3
    angle = np.degrees(np.arccos(np.clip((np.trace(calib.right.R @ R_RIGHT.T) - 1) / 2, -1, 1)))
    assert angle < 0.3
    assert np.abs(calib.left.K - left.K).max() < 5.0
    assert np.abs(calib.right.K - right.K).max() < 5.0
    # the calibrated pair triangulates a point 0.7 m away to within a few mm
    X = np.array([0.05, -0.02, 0.7])
    P1, P2 = calib.left.projection_matrix, calib.right.projection_matrix
    h = cv2.triangulatePoints(P1, P2, left.project(X).reshape(2, 1),
                              right.project(X).reshape(2, 1))
    assert np.linalg.norm(h[:3, 0] / h[3, 0] - X) < 5e-3


def test_bad_inputs():
    _, _, imgs_l, imgs_r = _pairs(3, seed=1)
    with pytest.raises(InvalidInputError, match="images_right"):
        calibrate_stereo(imgs_l, imgs_r[:2], BOARD, SQUARE_M)
    with pytest.raises(InvalidInputError, match="square_m"):
        calibrate_stereo(imgs_l, imgs_r, BOARD, 0.0)
    blank = [np.full((H, W), 128, np.uint8)] * 3
    with pytest.raises(InvalidInputError, match="usable pairs"):
        calibrate_stereo(blank, blank, BOARD, SQUARE_M)
    with pytest.raises(InvalidInputError, match=r"images_left\[1\]"):
        calibrate_stereo([imgs_l[0], imgs_l[1][:100]], imgs_r[:2], BOARD, SQUARE_M)


def test_calibrate_command_writes_a_calibration_file(tmp_path, capsys):
    from posearena.calibration import load_calibration
    from posearena_gateway.cli import main

    _, _, imgs_l, imgs_r = _pairs(8, seed=3)
    for side, imgs in (("l", imgs_l), ("r", imgs_r)):
        (tmp_path / side).mkdir()
        for i, img in enumerate(imgs):
            cv2.imwrite(str(tmp_path / side / f"{i:03d}.png"), img)
    out = tmp_path / "rig.toml"
    argv = ["calibrate", "--left", str(tmp_path / "l"), "--right", str(tmp_path / "r"),
            "--board", f"{BOARD[0]}x{BOARD[1]}", "--square", str(SQUARE_M), "--output", str(out)]
    assert main(argv) == 0
    cams = load_calibration(out)
    assert set(cams) == {"left", "right"}
    baseline = np.linalg.norm(cams["right"].center - cams["left"].center)
    assert baseline == pytest.approx(np.linalg.norm(T_RIGHT), abs=2e-3)
    assert "RMS" in capsys.readouterr().out
    assert main([*argv[:5], "--board", "9by6", *argv[7:]]) == 2  # bad --board: clear error
