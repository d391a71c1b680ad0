"""Robust multi-view triangulation: drop outlier views, undo left/right label swaps.

Both work on flattened points (N = frames × joints) with undistorted normalised observations
xn (C, N, 2), weights w (C, N) (0 = view not used) and camera extrinsics (C, 3, 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.dlt import triangulate_planar
from posearena_stereo.reprojection import error_summary, planar_errors


class ViewSet:
    """Static inputs shared by the robust steps.

    Args:
        xn: (C, N, 2) undistorted normalised observations (NaN = not seen).
        extrinsics: (C, 3, 4) [R | t] world -> camera, m.
        fxy: (C, 2) focal lengths (fx, fy), px.
        passes: DLT passes (see :func:`posearena_stereo.dlt.triangulate_dlt`).
    """

    def __init__(self, xn: np.ndarray, extrinsics: np.ndarray, fxy: np.ndarray,
                 passes: int = 2) -> None:
        self.xn = xn
        self.extrinsics = extrinsics
        self.fxy = fxy
        self.focal = fxy.mean(axis=1)
        self.passes = passes

    def solve(self, w: np.ndarray, idx: np.ndarray | slice = slice(None),
              min_views: int = 2, xn: np.ndarray | None = None,
              reduce: str = "mean") -> tuple[np.ndarray, np.ndarray]:
        """Triangulate points ``idx`` with weights w (C, n).

        Returns X (n, 3) m and the mean (``reduce="mean"``) or largest (``"max"``) per-view
        reprojection error (n,) px.
        """
        obs = self.xn[:, idx] if xn is None else xn
        u, v = obs[..., 0], obs[..., 1]
        Xt, _ = triangulate_planar(u, v, w, self.extrinsics, self.focal, self.passes,
                                   min_views)
        used = w > 0
        mean, worst = error_summary(planar_errors(Xt, u, v, self.extrinsics, self.fxy, used),
                                    used)
        return Xt.T, worst if reduce == "max" else mean


def drop_worst_views(
    views: ViewSet, w: np.ndarray, X: np.ndarray, err: np.ndarray,
    max_error_px: float, min_views: int = 2, criterion: str = "mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """While a point's reprojection error exceeds ``max_error_px`` and it has more than
    ``min_views`` views, remove the view whose removal gives the lowest error.

    The error compared with the threshold is the mean over the views (``criterion="mean"``,
    as Pose2Sim) or that of the worst view (``"max"``: no kept view may be off by more).

    Args:
        views: the observations and cameras.
        w: (C, N) weights (0 = not used).
        X: (N, 3) current points, m; err: (N,) their error by ``criterion``, px.
        max_error_px: threshold, px (> 0).
        min_views: never go below this many views (>= 2).
        criterion: "mean" or "max".

    Returns:
        w (C, N) with dropped views zeroed, X (N, 3), err (N,) (the inputs themselves where
        nothing is dropped, else copies), dropped (N,) bool.
    """
    if criterion not in ("mean", "max"):
        raise InvalidInputError("criterion", criterion, '"mean" or "max"')
    if not max_error_px > 0:
        raise InvalidInputError("max_reprojection_error_px", max_error_px, "a value > 0")
    dropped = np.zeros(w.shape[1], bool)
    C = w.shape[0]
    copied = False
    for _ in range(C - min_views):
        over = ~(err <= max_error_px)
        if not over.any():
            break
        nviews = (w > 0).sum(axis=0)
        bad = over & np.isfinite(X[:, 0]) & (nviews > min_views)
        idx = np.flatnonzero(bad)
        if idx.size == 0:
            break
        if not copied:  # the inputs stay as they are
            w, X, err, copied = w.copy(), X.copy(), err.copy(), True
        best_err = np.full(idx.size, np.inf)
        best_view = np.full(idx.size, -1)
        best_X = X[idx]
        for c in range(C):
            trial = w[:, idx].copy()
            trial[c] = 0.0
            Xc, ec = views.solve(trial, idx, min_views, reduce=criterion)
            better = (w[c, idx] > 0) & np.isfinite(ec) & (ec < best_err)
            best_err = np.where(better, ec, best_err)
            best_view = np.where(better, c, best_view)
            best_X = np.where(better[:, None], Xc, best_X)
        ok = best_view >= 0
        sel = idx[ok]
        w[best_view[ok], sel] = 0.0
        X[sel] = best_X[ok]
        err[sel] = best_err[ok]
        dropped[sel] = True
    return w, X, err, dropped


def swap_left_right(
    views: ViewSet, w: np.ndarray, n_joints: int,
    left: Sequence[int], right: Sequence[int], min_gain: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo left/right confusions of a 2D detector, view by view (as Pose2Sim does).

    For every left/right joint pair and every view, the view's two observations are exchanged
    when that lowers the summed mean reprojection error of the pair by more than the fraction
    ``min_gain``; views are tried one after the other, keeping earlier decisions.

    Args:
        views: observations (N = T × J points, joint-major within a frame).
        w: (C, N) weights.
        n_joints: J.
        left, right: joint indices, left[i] mirrors right[i].
        min_gain: relative error decrease needed to accept a swap.

    Returns:
        xn (C, N, 2) and w (C, N) with swaps applied, swapped (C, T, J) bool.
    """
    left = np.asarray(left, dtype=int)
    right = np.asarray(right, dtype=int)
    if left.shape != right.shape or left.ndim != 1:
        raise InvalidInputError("left_right", (left.tolist(), right.tolist()),
                                "two index lists of equal length")
    if left.size and (min(left.min(), right.min()) < 0 or max(left.max(), right.max())
                      >= n_joints):
        raise InvalidInputError("left_right", (left.tolist(), right.tolist()),
                                f"joint indices in [0, {n_joints})")
    C, N = w.shape
    T = N // n_joints
    xn = views.xn.reshape(C, T, n_joints, 2).copy()
    ww = w.reshape(C, T, n_joints).copy()
    swapped = np.zeros((C, T, n_joints), bool)
    if left.size == 0:
        return xn.reshape(C, N, 2), ww.reshape(C, N), swapped

    def pair_error(obs: np.ndarray, wts: np.ndarray) -> np.ndarray:
        # obs (C, T, 2P, 2), left joints then right joints -> error (T, 2P) px
        _, err = views.solve(wts.reshape(C, -1), xn=obs.reshape(C, -1, 2))
        return np.nan_to_num(err.reshape(obs.shape[1], obs.shape[2]), nan=np.inf)

    def gather(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a[:, :, left], a[:, :, right]], axis=2)

    P = left.size
    obs, wts = gather(xn), gather(ww)
    current = pair_error(obs, wts)
    current = current[:, :P] + current[:, P:]
    for c in range(C):
        t_obs, t_w = obs.copy(), wts.copy()
        t_obs[c] = np.concatenate([obs[c, :, P:], obs[c, :, :P]], axis=1)
        t_w[c] = np.concatenate([wts[c, :, P:], wts[c, :, :P]], axis=1)
        trial = pair_error(t_obs, t_w)
        trial = trial[:, :P] + trial[:, P:]
        accept = (trial < (1.0 - min_gain) * current) & (wts[c, :, :P] + wts[c, :, P:] > 0)
        acc2 = np.concatenate([accept, accept], axis=1)
        obs = np.where(acc2[None, ..., None] & (np.arange(C) == c)[:, None, None, None],
                       t_obs, obs)
        wts = np.where(acc2[None] & (np.arange(C) == c)[:, None, None], t_w, wts)
        current = np.where(accept, trial, current)
        swapped[c][:, left] |= accept
        swapped[c][:, right] |= accept
    xn[:, :, left], xn[:, :, right] = obs[:, :, :P], obs[:, :, P:]
    ww[:, :, left], ww[:, :, right] = wts[:, :, :P], wts[:, :, P:]
    return xn.reshape(C, N, 2), ww.reshape(C, N), swapped


def apply_swaps(keypoints: np.ndarray, swapped: np.ndarray,
                left: Sequence[int], right: Sequence[int]) -> np.ndarray:
    """Exchange left/right observations where :func:`swap_left_right` decided so.

    Args:
        keypoints: (C, T, J, D) per-view observations (px, or confidences with D = 1).
        swapped: (C, T, J) bool from a TriangulationResult.
        left, right: the mirrored joint indices used for the swaps.

    Returns:
        (C, T, J, D) copy with left[i] and right[i] exchanged where swapped.
    """
    out = np.array(keypoints, copy=True)
    for lj, rj in zip(left, right, strict=True):
        m = swapped[:, :, lj]
        a, b = out[:, :, lj].copy(), out[:, :, rj].copy()
        out[:, :, lj][m] = b[m]
        out[:, :, rj][m] = a[m]
    return out
