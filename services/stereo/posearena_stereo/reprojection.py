"""Reprojection errors in undistorted pixel coordinates, vectorised over views and points."""

from __future__ import annotations

import numpy as np

from posearena_stereo.products import thin_matmul


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
    return planar_errors(X.T, xn[..., 0], xn[..., 1], extrinsics, fxy, used)


def planar_errors(
    Xt: np.ndarray, u: np.ndarray, v: np.ndarray, extrinsics: np.ndarray, fxy: np.ndarray,
    used: np.ndarray
) -> np.ndarray:
    """:func:`view_errors` of points Xt (3, N) m and observations u, v (C, N) (the planes of
    xn); (C, N) px."""
    C, N = u.shape
    pc = thin_matmul(extrinsics[:, :, :3].reshape(3 * C, 3), Xt)
    pc += extrinsics[:, :, 3].reshape(3 * C, 1)
    pc = pc.reshape(C, 3, N)
    z = pc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_z = np.where(z > 0, 1.0 / z, np.nan)
        dx = pc[:, 0] * inv_z
        dx -= u
        dx *= fxy[:, 0:1]
        dy = pc[:, 1] * inv_z
        dy -= v
        dy *= fxy[:, 1:2]
    dx *= dx
    dy *= dy
    dx += dy
    np.sqrt(dx, out=dx)
    return np.where(used, dx, np.nan)


def mean_error(errors: np.ndarray, used: np.ndarray) -> np.ndarray:
    """(N,) mean over the used views of (C, N) errors, px; NaN where none is used (inf where
    a used view's error is NaN)."""
    return error_summary(errors, used)[0]


def error_summary(errors: np.ndarray, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and largest of (C, N) errors over the used views, (N,) px each: NaN where no view
    is used, inf where a used view's error is NaN (a point not triangulated or behind)."""
    n = used.sum(axis=0)
    e = np.where(used, errors, 0.0)  # NaN stays where a used view has no error
    total = e.sum(axis=0)
    worst = e.max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / np.maximum(n, 1)
    lost = np.isnan(total)
    if lost.any():
        mean[lost] = np.inf
        worst[lost] = np.inf
    none = n == 0
    if none.any():
        mean[none] = np.nan
        worst[none] = np.nan
    return mean, worst
