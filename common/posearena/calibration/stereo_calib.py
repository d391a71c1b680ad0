"""Stereo calibration from checkerboard image pairs (OpenCV)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posearena.calibration.camera import Camera
from posearena.errors import InvalidInputError

MIN_PAIRS = 3


@dataclass
class StereoCalibration:
    """Result of :func:`calibrate_stereo`.

    Attributes:
        left: left camera, at the world origin (R = I, t = 0).
        right: right camera; its R, t map left-camera coordinates (m) to right-camera ones.
        rms_px: RMS reprojection error of the joint stereo fit, px.
        pairs_used: indices of the image pairs where both views found the board.
    """

    left: Camera
    right: Camera
    rms_px: float
    pairs_used: list[int]

    @property
    def baseline_m(self) -> float:
        """Distance between the two camera centres, m."""
        return float(np.linalg.norm(self.right.center - self.left.center))


def _gray(image: np.ndarray | str | Path, field: str) -> np.ndarray:
    import cv2

    if isinstance(image, (str, Path)):
        img = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise InvalidInputError(field, str(image), "a readable image file")
        return img
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if img.ndim != 2 or img.size == 0:
        raise InvalidInputError(field, img.shape, "an (H, W) or (H, W, 3) image")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def _find(gray: np.ndarray, board: tuple[int, int]) -> np.ndarray | None:
    import cv2

    flags = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE
    ok, corners = cv2.findChessboardCorners(gray, board, flags=flags)
    if not ok:
        return None
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-4)
    return cv2.cornerSubPix(gray, corners, (5, 5), (-1, -1), crit)


def board_points(board: tuple[int, int], square_m: float) -> np.ndarray:
    """(cols*rows, 3) inner-corner coordinates on the board plane z = 0, m, row by row."""
    cols, rows = board
    grid = np.mgrid[0:cols, 0:rows].T.reshape(-1, 2).astype(np.float64)
    return np.hstack([grid * square_m, np.zeros((cols * rows, 1))])


def calibrate_stereo(
    images_left: Sequence[np.ndarray | str | Path],
    images_right: Sequence[np.ndarray | str | Path],
    board: tuple[int, int],
    square_m: float,
    names: tuple[str, str] = ("left", "right"),
) -> StereoCalibration:
    """Calibrate a stereo pair from synchronised checkerboard images.

    Each camera is first calibrated alone (cv2.calibrateCamera, k1 k2 p1 p2 k3), then the pair
    jointly (cv2.stereoCalibrate, intrinsics refined).

    Args:
        images_left, images_right: N images each (arrays (H, W) / (H, W, 3) BGR uint8, or
            paths); pair i was taken at the same instant.
        board: inner corners (cols, rows) of the checkerboard.
        square_m: square side, m.
        names: camera names.

    Returns:
        StereoCalibration (left camera at the origin, right camera relative to it, RMS px).

    Raises:
        InvalidInputError: different counts or image sizes, bad board, fewer than 3 pairs
            where both views found the board.
    """
    import cv2

    if len(images_left) != len(images_right):
        raise InvalidInputError("images_right", len(images_right),
                                f"{len(images_left)} images (as many as images_left)")
    if len(board) != 2 or min(board) < 2:
        raise InvalidInputError("board", board, "(cols, rows) inner corners, each >= 2")
    if not np.isfinite(square_m) or square_m <= 0:
        raise InvalidInputError("square_m", square_m, "a positive size in m")
    obj = board_points(tuple(board), square_m).astype(np.float32)
    obj_pts, left_pts, right_pts, used = [], [], [], []
    sizes: dict[str, tuple[int, int]] = {}
    for i, (a, b) in enumerate(zip(images_left, images_right, strict=True)):
        ga, gb = _gray(a, f"images_left[{i}]"), _gray(b, f"images_right[{i}]")
        for side, g in (("left", ga), ("right", gb)):
            size = (g.shape[1], g.shape[0])
            if sizes.setdefault(side, size) != size:
                raise InvalidInputError(f"images_{side}[{i}]", size, f"size {sizes[side]}")
        ca, cb = _find(ga, tuple(board)), _find(gb, tuple(board))
        if ca is None or cb is None:
            continue
        obj_pts.append(obj)
        left_pts.append(ca)
        right_pts.append(cb)
        used.append(i)
    if len(used) < MIN_PAIRS:
        raise InvalidInputError("images", f"{len(used)} usable pairs",
                                f">= {MIN_PAIRS} pairs where both views find the {board} board")
    intr = {}
    for side, pts in (("left", left_pts), ("right", right_pts)):
        _, K, d, _, _ = cv2.calibrateCamera(obj_pts, pts, sizes[side], None, None)
        intr[side] = (K, d)
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 200, 1e-9)
    rms, K1, d1, K2, d2, R, T, _, _ = cv2.stereoCalibrate(
        obj_pts, left_pts, right_pts, intr["left"][0], intr["left"][1],
        intr["right"][0], intr["right"][1], sizes["left"],
        flags=cv2.CALIB_USE_INTRINSIC_GUESS, criteria=crit,
    )
    left = Camera(names[0], *sizes["left"], K1, d1.ravel()[:5], np.eye(3), np.zeros(3))
    right = Camera(names[1], *sizes["right"], K2, d2.ravel()[:5], R, T.ravel())
    return StereoCalibration(left, right, float(rms), used)
