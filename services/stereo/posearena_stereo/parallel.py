"""Rectified (parallel) stereo rig: depth from disparity.

Left camera at the origin (OpenCV axes), right camera at x = +T (the baseline, m), both with
focal length f (px) and principal point (cx, cy) px. For a left/right match (xl, yl), (xr, yr):

    d = xl − xr,  Z = f·T / d,  X = (xl − cx)·Z / f,  Y = (yl − cy)·Z / f.

d <= 0 (a point at infinity or behind the rig) gives NaN and the non-positive-disparity flag;
never an infinite value.
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.flags import NON_POSITIVE_DISPARITY, NOT_ENOUGH_VIEWS


def triangulate_parallel(
    left: np.ndarray,
    right: np.ndarray,
    focal_px: float,
    baseline_m: float,
    cx: float,
    cy: float,
    left_confidence: np.ndarray | None = None,
    right_confidence: np.ndarray | None = None,
    min_confidence: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangulate matched points of a rectified stereo pair.

    Args:
        left, right: (..., 2) px in the left and right images (NaN = missing).
        focal_px: focal length f, px (> 0).
        baseline_m: baseline T, m (> 0): the right camera centre is at (T, 0, 0).
        cx, cy: principal point, px.
        left_confidence, right_confidence: optional (...) in [0, 1]; points below
            ``min_confidence`` in either view are not triangulated.
        min_confidence: threshold for the confidences.

    Returns:
        points (..., 3) in m in the left camera frame (NaN where not triangulated),
        reprojection_error (...) px (mean over the two views; the vertical mismatch
        |yl − yr| / 2, since x is matched exactly), flags (...) uint8 (1 = missing input,
        2 = non-positive disparity).
    """
    for name, value in (("focal_px", focal_px), ("baseline_m", baseline_m)):
        if not np.isfinite(value) or value <= 0:
            raise InvalidInputError(name, value, "a finite value > 0")
    for name, value in (("cx", cx), ("cy", cy)):
        if not np.isfinite(value):
            raise InvalidInputError(name, value, "a finite value (px)")
    xl = np.asarray(left, dtype=np.float64)
    xr = np.asarray(right, dtype=np.float64)
    if xl.shape != xr.shape or xl.ndim < 1 or xl.shape[-1] != 2:
        raise InvalidInputError("right", xr.shape, f"the shape of left {xl.shape}, (..., 2)")
    present = np.isfinite(xl).all(-1) & np.isfinite(xr).all(-1)
    for name, conf in (("left_confidence", left_confidence),
                       ("right_confidence", right_confidence)):
        if conf is not None:
            c = np.asarray(conf, dtype=np.float64)
            if c.shape != xl.shape[:-1]:
                raise InvalidInputError(name, c.shape, f"shape {xl.shape[:-1]}")
            present &= np.isfinite(c) & (c >= min_confidence)
    d = xl[..., 0] - xr[..., 0]
    positive = present & (d > 0)
    flags = np.zeros(xl.shape[:-1], np.uint8)
    flags[~present] |= NOT_ENOUGH_VIEWS
    flags[present & ~positive] |= NON_POSITIVE_DISPARITY
    with np.errstate(divide="ignore", invalid="ignore"):
        Z = np.where(positive, focal_px * baseline_m / np.where(positive, d, 1.0), np.nan)
    points = np.stack([
        (xl[..., 0] - cx) * Z / focal_px,
        (xl[..., 1] - cy) * Z / focal_px,
        Z,
    ], axis=-1)
    error = np.where(positive, np.abs(xl[..., 1] - xr[..., 1]) / 2.0, np.nan)
    return points, error, flags
