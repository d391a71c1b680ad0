"""Confidence-weighted linear (DLT) triangulation, vectorised over all points at once.

For view c with extrinsics P = [R | t] (3, 4) and an undistorted normalised observation
(u, v), the DLT rows are a = u·P₃ − P₁ and b = v·P₃ − P₂. The normal matrix of one point,
M = Σ_c w_c² (a aᵀ + b bᵀ), expands into

    M = Σ_c w_c² [ (u² + v²) P₃P₃ᵀ − u (P₃P₁ᵀ + P₁P₃ᵀ) − v (P₃P₂ᵀ + P₂P₃ᵀ) + P₁P₁ᵀ + P₂P₂ᵀ ],

a fixed set of four 4×4 matrices per view times four per-point coefficients, so M for every
point is ONE matrix product (16, 4C) @ (4C, N). X then solves the 3×3 system
M[:3, :3] X = −M[:3, 3] (the point with homogeneous coordinate 1) by the closed-form inverse.

The algebraic residual of a view is its depth times its normalised reprojection error, so a
second pass with weights w_c · f_c / depth_c minimises (to first order) the confidence-
weighted reprojection error in pixels (Hartley & Sturm's iterative linear method).
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError

# |det M33| below this fraction of (trace M33 / 3)³ counts as singular (degenerate geometry)
_DET_RTOL = 1e-10


def view_blocks(extrinsics: np.ndarray) -> np.ndarray:
    """Per-view 4×4 blocks of the normal matrix.

    Args:
        extrinsics: (C, 3, 4) [R | t] per view (world -> camera, m).

    Returns:
        (C, 4, 16): for each view the flattened P₃P₃ᵀ, −(P₃P₁ᵀ + P₁P₃ᵀ), −(P₃P₂ᵀ + P₂P₃ᵀ),
        P₁P₁ᵀ + P₂P₂ᵀ, in the order of the coefficients (u² + v², u, v, 1).
    """
    P = np.asarray(extrinsics, dtype=np.float64)
    if P.ndim != 3 or P.shape[1:] != (3, 4):
        raise InvalidInputError("extrinsics", P.shape, "shape (C, 3, 4)")
    p1, p2, p3 = P[:, 0], P[:, 1], P[:, 2]

    def outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a[:, :, None] * b[:, None, :]

    blocks = np.stack([
        outer(p3, p3),
        -(outer(p3, p1) + outer(p1, p3)),
        -(outer(p3, p2) + outer(p2, p3)),
        outer(p1, p1) + outer(p2, p2),
    ], axis=1)
    return blocks.reshape(P.shape[0], 4, 16)


# entries of the flattened symmetric 4×4 normal matrix that the 3×3 solve needs:
# M00 M01 M02 M03 M11 M12 M13 M22 M23
_NEEDED = np.array([0, 1, 2, 3, 5, 6, 7, 10, 11])


def _solve33(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve M[:3,:3] X = -M[:3,3] given the (9, N) needed entries of symmetric 4×4 M."""
    a, b, c, d, e, f, g, h, i = M
    # cofactors of the symmetric 3×3 [[a b c] [b e f] [c f h]]
    c00 = e * h - f * f
    c01 = c * f - b * h
    c02 = b * f - c * e
    c11 = a * h - c * c
    c12 = b * c - a * f
    c22 = a * e - b * b
    det = a * c00 + b * c01 + c * c02
    scale = (a + e + h) * (1.0 / 3.0)
    ok = np.abs(det) > _DET_RTOL * np.abs(scale) ** 3
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), np.nan)
    X = np.empty((M.shape[1], 3))
    X[:, 0] = (c00 * d + c01 * g + c02 * i) * -inv_det
    X[:, 1] = (c01 * d + c11 * g + c12 * i) * -inv_det
    X[:, 2] = (c02 * d + c12 * g + c22 * i) * -inv_det
    return X, ok


def solve_weighted(xn: np.ndarray, blocks: np.ndarray, w: np.ndarray) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """One weighted linear solve.

    Args:
        xn: (C, N, 2) undistorted normalised coordinates; entries with w == 0 must be finite.
        blocks: (C, 4, 16) from :func:`view_blocks`.
        w: (C, N) non-negative weights (0 = view not used).

    Returns:
        X (N, 3) m (NaN where singular) and ok (N,) bool.
    """
    C, N = w.shape
    w2 = w * w
    u, v = xn[..., 0], xn[..., 1]
    coef = np.empty((C, 4, N))
    coef[:, 0] = w2 * (u * u + v * v)
    coef[:, 1] = w2 * u
    coef[:, 2] = w2 * v
    coef[:, 3] = w2
    B = blocks[:, :, _NEEDED].reshape(C * 4, 9)
    M = B.T @ coef.reshape(C * 4, N)
    return _solve33(M)


def depths(X: np.ndarray, extrinsics: np.ndarray) -> np.ndarray:
    """(C, N) depth z (m) of points X (N, 3) in each camera of extrinsics (C, 3, 4)."""
    P3 = extrinsics[:, 2]
    return P3[:, :3] @ X.T + P3[:, 3:4]


def triangulate_dlt(
    xn: np.ndarray,
    extrinsics: np.ndarray,
    weights: np.ndarray,
    focal_px: np.ndarray | None = None,
    passes: int = 2,
    min_views: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted DLT of N points seen by C views, with depth re-weighting passes.

    Args:
        xn: (C, N, 2) undistorted normalised image coordinates (NaN = not seen).
        extrinsics: (C, 3, 4) [R | t] per view (world -> camera, m).
        weights: (C, N) confidences >= 0; 0 or NaN = not used.
        focal_px: (C,) focal lengths in px, so that weights act on pixel errors; None = 1.
        passes: 1 = plain weighted DLT; 2+ = re-weight by 1/depth and solve again.
        min_views: views with weight > 0 needed for a point.

    Returns:
        X (N, 3) world points in m, NaN where not triangulated; ok (N,) bool.
    """
    xn = np.asarray(xn, dtype=np.float64)
    C, N = xn.shape[:2]
    if xn.shape != (C, N, 2):
        raise InvalidInputError("xn", xn.shape, "shape (C, N, 2)")
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (C, N):
        raise InvalidInputError("weights", w.shape, f"shape ({C}, {N})")
    seen = np.isfinite(xn).all(axis=-1) & np.isfinite(w) & (w > 0)
    w = np.where(seen, w, 0.0)
    if focal_px is not None:
        w = w * np.asarray(focal_px, dtype=np.float64)[:, None]
    xn = np.where(seen[..., None], xn, 0.0)
    blocks = view_blocks(extrinsics)
    X, ok = solve_weighted(xn, blocks, w)
    for _ in range(max(passes, 1) - 1):
        z = depths(np.where(ok[:, None], X, 0.0), extrinsics)
        good = ok & ((z > 0) | ~seen).all(axis=0)
        wz = np.where(good[None, :], w / np.where(z > 0, z, 1.0), w)
        X2, ok2 = solve_weighted(xn, blocks, wz)
        X = np.where(ok2[:, None], X2, X)
        ok = ok | ok2
    ok &= seen.sum(axis=0) >= min_views
    X[~ok] = np.nan
    return X, ok
