"""Nonlinear refinement: vectorised Gauss-Newton on the weighted reprojection error.

Minimises Σ_c w_c² ‖diag(fx_c, fy_c)·(π(R_c X + t_c) − xn_c)‖² for every point at once, where
π(x, y, z) = (x/z, y/z) and xn_c are undistorted normalised observations (so the residuals
are in undistorted px). Each iteration builds the 3×3 normal equations of the points still
moving and solves them in closed form; a point leaves the iteration once its step is
rejected (it would be rejected again) or shorter than 1 nm.
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.dlt import solve_normal3

_STEP_TOL_M = 1e-9


class _Residuals:
    """Projections and residuals of points P (3, n) in every view (arrays (C, n))."""

    def __init__(self, P: np.ndarray, R: np.ndarray, t: np.ndarray, obs: np.ndarray,
                 wx: np.ndarray, wy: np.ndarray, used: np.ndarray) -> None:
        pc = R @ P + t[:, :, None]  # (C, 3, n)
        z = pc[:, 2]
        self.front = ((z > 0) | ~used).all(axis=0)
        self.inv_z = 1.0 / np.where(z > 0, z, 1.0)
        self.px = pc[:, 0] * self.inv_z
        self.py = pc[:, 1] * self.inv_z
        self.rx = self.px - obs[0]
        self.ry = self.py - obs[1]
        self.cost = (wx * self.rx * self.rx + wy * self.ry * self.ry).sum(axis=0)

    def take(self, other: _Residuals, mask: np.ndarray) -> None:
        """Adopt `other`'s values where mask (n,) is True."""
        for name in ("inv_z", "px", "py", "rx", "ry"):
            np.copyto(getattr(self, name), getattr(other, name), where=mask[None])
        self.cost = np.where(mask, other.cost, self.cost)

    def subset(self, keep: np.ndarray) -> None:
        """Keep the points `keep` (index array) only."""
        for name in ("inv_z", "px", "py", "rx", "ry"):
            setattr(self, name, getattr(self, name)[:, keep])
        self.cost = self.cost[keep]


def _normal_equations(ax: np.ndarray, ay: np.ndarray, jx: np.ndarray, jy: np.ndarray,
                      rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """(9, n) packed H00 H01 H02 g0 H11 H12 g1 H22 g2 of H = Σ_c a jᵀ, g = Σ_c a r, from
    weighted Jacobian rows a (C, 3, n), rows j (C, 3, n) and residuals r (C, n) in x and y."""

    def h(i: int, j: int) -> np.ndarray:
        return (ax[:, i] * jx[:, j] + ay[:, i] * jy[:, j]).sum(axis=0)

    def g(i: int) -> np.ndarray:
        return (ax[:, i] * rx + ay[:, i] * ry).sum(axis=0)

    return np.stack([h(0, 0), h(0, 1), h(0, 2), g(0), h(1, 1), h(1, 2), g(1), h(2, 2), g(2)])


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
        iterations: maximum Gauss-Newton iterations per point (a point stops early when its
            step is under 1 nm or does not lower its cost).

    Returns:
        (N, 3) refined points, m; a point keeps its previous value where a step would put it
        behind a used camera or does not lower its cost.
    """
    if iterations < 0:
        raise InvalidInputError("iterations", iterations, "an integer >= 0")
    X = np.array(X, dtype=np.float64)
    idx = np.flatnonzero(np.isfinite(X).all(axis=1))
    if idx.size == 0 or iterations == 0:
        return X
    R = extrinsics[:, :, :3]
    t = extrinsics[:, :, 3]
    R0, R1, R2 = (R[:, k, :, None] for k in range(3))  # (C, 3, 1) rows of every camera
    obs = np.moveaxis(xn[:, idx], -1, 0)  # (2, C, n)
    w = weights[:, idx]
    used = (w > 0) & np.isfinite(obs).all(axis=0)
    w2 = np.where(used, w, 0.0) ** 2
    obs = np.where(used[None], obs, 0.0)
    wx = w2 * fxy[:, 0:1] ** 2
    wy = w2 * fxy[:, 1:2] ** 2
    P = X[idx].T.copy()  # (3, n) points still moving
    res = _Residuals(P, R, t, obs, wx, wy, used)
    for _ in range(iterations):
        # d(px)/dX = inv_z (R0 - px R2), d(py)/dX = inv_z (R1 - py R2): (C, 3, n)
        jx = res.inv_z[:, None] * (R0 - res.px[:, None] * R2)
        jy = res.inv_z[:, None] * (R1 - res.py[:, None] * R2)
        packed = _normal_equations(wx[:, None] * jx, wy[:, None] * jy, jx, jy, res.rx, res.ry)
        step, solvable = solve_normal3(packed)  # solves H step = -g; step is (3, n)
        step = np.where(solvable[None], step, 0.0)
        P_new = P + step
        new = _Residuals(P_new, R, t, obs, wx, wy, used)
        accept = solvable & new.front & (new.cost <= res.cost)
        np.copyto(P, P_new, where=accept[None])
        res.take(new, accept)
        moving = accept & (np.abs(step).max(axis=0) > _STEP_TOL_M)
        if not moving.all():
            X[idx] = P.T
            keep = np.flatnonzero(moving)
            if keep.size == 0:
                return X
            idx, P = idx[keep], P[:, keep]
            obs, w2, wx, wy, used = obs[:, :, keep], w2[:, keep], wx[:, keep], wy[:, keep], \
                used[:, keep]
            res.subset(keep)
    X[idx] = P.T
    return X
