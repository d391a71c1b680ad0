"""Confidence-weighted linear (DLT) triangulation, vectorised over all points at once.

For view c with extrinsics P = [R | t] (3, 4) and an undistorted normalised observation
(u, v), the DLT rows are a = u·P₃ − P₁ and b = v·P₃ − P₂. The normal matrix of one point,
M = Σ_c w_c² (a aᵀ + b bᵀ), expands into

    M = Σ_c w_c² [ (u² + v²) P₃P₃ᵀ − u (P₃P₁ᵀ + P₁P₃ᵀ) − v (P₃P₂ᵀ + P₂P₃ᵀ) + P₁P₁ᵀ + P₂P₂ᵀ ],

a fixed set of four 4×4 matrices per view times four per-point coefficients, so M for all
points is one thin matrix product (9, 4C) @ (4C, N) (the 9 entries the solve needs). X then
solves the 3×3 system M[:3, :3] X = −M[:3, 3] (the point with homogeneous coordinate 1) by the
closed-form inverse.

The algebraic residual of a view is its depth times its normalised reprojection error, so a
second pass with weights w_c · f_c / depth_c minimises (to first order) the confidence-
weighted reprojection error in pixels (Hartley & Sturm's iterative linear method).
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.products import thin_matmul

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


def solve_normal3(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve M[:3,:3] X = -M[:3,3] given the (9, N) needed entries of symmetric 4×4 M.

    Returns X as (3, N) (NaN where singular) and ok (N,) bool.
    """
    a, b, c, d, e, f, g, h, i = M
    # cofactors of the symmetric 3×3 [[a b c] [b e f] [c f h]]
    c00 = e * h - f * f
    c01 = c * f - b * h
    c02 = b * f - c * e
    c11 = a * h - c * c
    c12 = b * c - a * f
    c22 = a * e - b * b
    det = a * c00 + b * c01 + c * c02
    scale = np.abs(a + e + h)
    scale *= 1.0 / 3.0
    bound = scale * scale  # |trace / 3|³ (a product: numpy's power of 3 is far slower)
    bound *= scale
    bound *= _DET_RTOL
    ok = np.abs(det) > bound
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_det = np.where(ok, -1.0 / np.where(ok, det, 1.0), np.nan)
    X = np.empty((3, M.shape[1]))
    for row, (p, q, r) in enumerate(((c00, c01, c02), (c01, c11, c12), (c02, c12, c22))):
        x = X[row]
        np.multiply(p, d, out=x)
        x += q * g
        x += r * i
        x *= inv_det
    return X, ok


def weighted_system(extrinsics: np.ndarray) -> np.ndarray:
    """(9, 4C): the entries of :func:`view_blocks` that the 3×3 solve needs, as one matrix
    to multiply the stacked per-point coefficients (u² + v², u, v, 1) × w² of every view
    (coefficient-major: column k·C + c)."""
    blocks = view_blocks(extrinsics)  # (C, 4, 16)
    C = blocks.shape[0]
    return np.ascontiguousarray(blocks[:, :, _NEEDED].transpose(2, 1, 0).reshape(9, 4 * C))


def solve_weighted(u: np.ndarray, v: np.ndarray, uv2: np.ndarray, B: np.ndarray,
                   w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One weighted linear solve.

    Args:
        u, v: (C, N) undistorted normalised coordinates, finite (0 where w == 0).
        uv2: (C, N) u² + v².
        B: (9, 4C) from :func:`weighted_system`.
        w: (C, N) non-negative weights (0 = view not used).

    Returns:
        X (3, N) m (NaN where singular) and ok (N,) bool.
    """
    C, N = w.shape
    k = np.empty((4, C, N))
    w2 = k[3]
    np.multiply(w, w, out=w2)
    np.multiply(w2, uv2, out=k[0])
    np.multiply(w2, u, out=k[1])
    np.multiply(w2, v, out=k[2])
    return solve_normal3(thin_matmul(B, k.reshape(4 * C, N)))


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
    Xt, ok = triangulate_planar(xn[..., 0], xn[..., 1], w, extrinsics, focal_px, passes,
                                min_views)
    return Xt.T.copy(), ok


def triangulate_planar(
    u: np.ndarray,
    v: np.ndarray,
    weights: np.ndarray,
    extrinsics: np.ndarray,
    focal_px: np.ndarray | None = None,
    passes: int = 2,
    min_views: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`triangulate_dlt` on the coordinates u, v (C, N) of xn (NaN = not seen);
    returns X as (3, N) m (NaN where not triangulated) and ok (N,) bool."""
    C = weights.shape[0]
    w = weights
    seen = np.isfinite(u + v + w) & (w > 0)
    all_seen = bool(seen.all())
    if all_seen:
        u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
    else:
        w = np.where(seen, w, 0.0)
        u = np.where(seen, u, 0.0)
        v = np.where(seen, v, 0.0)
    if focal_px is not None:
        w = w * np.asarray(focal_px, dtype=np.float64)[:, None]
    uv2 = u * u + v * v
    B = weighted_system(extrinsics)
    P3 = np.asarray(extrinsics, dtype=np.float64)[:, 2]
    Xt, ok = solve_weighted(u, v, uv2, B, w)
    for _ in range(max(passes, 1) - 1):
        z = thin_matmul(P3[:, :3], np.where(ok, Xt, 0.0)) + P3[:, 3:4]
        behind = z <= 0
        if not all_seen:
            behind &= seen
        keep = ~ok | behind.any(axis=0)  # keep the first weights where depths are unusable
        wz = np.where(keep, w, w / np.where(behind, 1.0, z))
        X2, ok2 = solve_weighted(u, v, uv2, B, wz)
        Xt = np.where(ok2, X2, Xt)
        ok |= ok2
    if min_views < C or not all_seen:
        ok &= seen.sum(axis=0) >= min_views
    if not ok.all():
        Xt[:, ~ok] = np.nan
    return Xt, ok
