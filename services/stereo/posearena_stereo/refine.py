"""Nonlinear refinement: vectorised Gauss-Newton on the weighted reprojection error.

Minimises Σ_c w_c² ‖diag(fx_c, fy_c)·(π(R_c X + t_c) − xn_c)‖² for every point at once, where
π(x, y, z) = (x/z, y/z) and xn_c are undistorted normalised observations (so the residuals
are in undistorted px). Each iteration builds the 3×3 normal equations of all points and
solves them in closed form.
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.dlt import solve_normal3

_STEP_TOL_M = 1e-9


def refine_points(
    X: np.ndarray,
    xn: np.ndarray,
    extrinsics: np.ndarray,
    fxy: np.ndarray,
    weights: np.ndarray,
    iterations: int = 10,
) -> np.ndarray:
    """Refine triangulated points by Gauss-Newton.

    Args:
        X: (N, 3) initial world points, m (NaN = skip).
        xn: (C, N, 2) undistorted normalised observations.
        extrinsics: (C, 3, 4) [R | t] world -> camera, m.
        fxy: (C, 2) focal lengths in px.
        weights: (C, N) >= 0 (0 = view not used).
        iterations: maximum Gauss-Newton iterations (stops early when every step < 1 nm).

    Returns:
        (N, 3) refined points, m; a point keeps its initial value where a step would put it
        behind a used camera or does not lower its cost.
    """
    if iterations < 0:
        raise InvalidInputError("iterations", iterations, "an integer >= 0")
    X = np.array(X, dtype=np.float64)
    R = extrinsics[:, :, :3]
    t = extrinsics[:, :, 3]
    used = (weights > 0) & np.isfinite(xn).all(-1)
    w2 = np.where(used, weights, 0.0) ** 2
    obs = np.where(used[..., None], xn, 0.0)
    fx2 = fxy[:, 0:1] ** 2
    fy2 = fxy[:, 1:2] ** 2
    active = np.isfinite(X).all(axis=1)

    def residuals(P: np.ndarray) -> tuple[np.ndarray, ...]:
        pc = R @ np.nan_to_num(P).T + t[:, :, None]  # (C, 3, N)
        z = pc[:, 2]
        front = (z > 0) | ~used
        inv_z = 1.0 / np.where(z > 0, z, 1.0)
        px, py = pc[:, 0] * inv_z, pc[:, 1] * inv_z
        rx, ry = px - obs[..., 0], py - obs[..., 1]
        cost = (w2 * (fx2 * rx * rx + fy2 * ry * ry)).sum(axis=0)
        return cost, front.all(axis=0), px, py, rx, ry, inv_z

    cost, _, px, py, rx, ry, inv_z = residuals(X)
    for _ in range(iterations):
        # d(px)/dX = inv_z (R0 - px R2), d(py)/dX = inv_z (R1 - py R2); rows (C, N, 3)
        jx = inv_z[..., None] * (R[:, None, 0, :] - px[..., None] * R[:, None, 2, :])
        jy = inv_z[..., None] * (R[:, None, 1, :] - py[..., None] * R[:, None, 2, :])
        ax = (w2 * fx2)[..., None] * jx
        ay = (w2 * fy2)[..., None] * jy
        H = np.einsum("cni,cnj->nij", ax, jx) + np.einsum("cni,cnj->nij", ay, jy)
        g = np.einsum("cni,cn->ni", ax, rx) + np.einsum("cni,cn->ni", ay, ry)
        packed = np.stack([H[:, 0, 0], H[:, 0, 1], H[:, 0, 2], g[:, 0], H[:, 1, 1],
                           H[:, 1, 2], g[:, 1], H[:, 2, 2], g[:, 2]])
        step, solvable = solve_normal3(packed)  # solves H step = -g; step is (3, N)
        step = step.T
        step = np.where((solvable & active)[:, None], step, 0.0)
        X_new = X + step
        new = residuals(X_new)
        accept = active & new[1] & (new[0] <= cost)
        X = np.where(accept[:, None], X_new, X)
        cost = np.where(accept, new[0], cost)
        _, _, px, py, rx, ry, inv_z = residuals(X)
        if not np.any(accept & (np.abs(step).max(axis=1) > _STEP_TOL_M)):
            break
    return X
