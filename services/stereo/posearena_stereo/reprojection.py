"""Reprojection errors in undistorted pixel coordinates, vectorised over views and points."""

from __future__ import annotations

import numpy as np


def view_errors(
    X: np.ndarray, xn: np.ndarray, extrinsics: np.ndarray, fxy: np.ndarray, used: np.ndarray
) -> np.ndarray:
    """Per-view reprojection error.

    The error is measured between the undistorted observation and the pinhole projection,
    scaled to px by (fx, fy); it differs from the error in distorted pixels only by the local
    scale of the distortion (second order for the small distortions of real lenses).

    Args:
        X: (N, 3) world points, m (NaN allowed).
        xn: (C, N, 2) undistorted normalised observations.
        extrinsics: (C, 3, 4) [R | t] world -> camera.
        fxy: (C, 2) focal lengths (fx, fy) in px.
        used: (C, N) bool, views that count.

    Returns:
        (C, N) px; NaN where the view is not used, the point is NaN or behind the camera.
    """
    R = extrinsics[:, :, :3]
    t = extrinsics[:, :, 3]
    Xt = X.T  # (3, N)
    pc = R @ Xt + t[:, :, None]  # (C, 3, N)
    z = pc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_z = np.where(z > 0, 1.0 / z, np.nan)
        dx = (pc[:, 0] * inv_z - xn[..., 0]) * fxy[:, 0:1]
        dy = (pc[:, 1] * inv_z - xn[..., 1]) * fxy[:, 1:2]
    err = np.sqrt(dx * dx + dy * dy)
    return np.where(used, err, np.nan)


def mean_error(errors: np.ndarray, used: np.ndarray) -> np.ndarray:
    """(N,) mean over the used views of (C, N) errors, px; NaN where none is used."""
    n = used.sum(axis=0)
    total = np.where(used, np.nan_to_num(errors, nan=np.inf), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)
