"""Worst-view dropping, left/right swap recovery and Gauss-Newton refinement."""

from __future__ import annotations

import numpy as np

from posearena_stereo.flags import LEFT_RIGHT_SWAPPED, VIEW_DROPPED
from posearena_stereo.refine import refine_points
from posearena_stereo.robust import apply_swaps
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views

LEFT, RIGHT = [1, 3], [2, 4]  # joint 0 has no mirror


def test_outlier_view_is_dropped(rig):
    cams = rig.ring(4)
    X = rig.body_points(30, 5)
    obs = rig.observe(cams, X, noise_px=0.5)
    obs[3, 10:20, 2] += [60.0, -45.0]  # camera 4 wrong on one joint for 10 frames
    plain = triangulate_views(obs, cams)
    opts = TriangulationOptions(max_reprojection_error_px=5.0)
    res = triangulate_views(obs, cams, options=opts)
    bad = np.zeros((30, 5), bool)
    bad[10:20, 2] = True
    assert np.linalg.norm(plain.points_3d[bad] - X[bad], axis=-1).min() > 0.01
    assert np.linalg.norm(res.points_3d[bad] - X[bad], axis=-1).max() < 0.01
    assert (res.views_used[bad] == 3).all() and (res.flags[bad] & VIEW_DROPPED).all()
    assert (res.views_used[~bad] == 4).all() and not (res.flags[~bad] & VIEW_DROPPED).any()
    assert np.nanmax(res.reprojection_error) < 5.0


def test_min_views_is_respected(rig):
    cams = rig.ring(3)
    X = rig.body_points(5, 3)
    obs = rig.observe(cams, X)
    obs[0] += 30.0
    obs[1] -= 30.0  # two of three views wrong: no way to get below the threshold
    res = triangulate_views(obs, cams, options=TriangulationOptions(
        max_reprojection_error_px=2.0, min_views=2, drop_criterion="max"))
    assert (res.views_used == 2).all() and np.isfinite(res.points_3d).all()
    assert (res.reprojection_error > 2.0).all()


def test_left_right_swap_is_undone(rig):
    cams = rig.ring(4)
    T, J = 40, 5
    X = rig.body_points(T, J, seed=4)
    obs = rig.observe(cams, X, noise_px=0.5)
    truth = obs.copy()
    swapped = np.zeros((4, T, J), bool)
    swapped[1, 5:25] = True  # camera 2 mislabels left/right in frames 5-24
    swapped[1, :, 0] = False
    obs = apply_swaps(obs, swapped, LEFT, RIGHT)
    assert not np.allclose(obs, truth)
    opts = TriangulationOptions(try_swap_left_right=True, left_right=(LEFT, RIGHT))
    res = triangulate_views(obs, cams, options=opts)
    assert np.array_equal(res.swapped, swapped)
    assert np.array_equal(res.flags & LEFT_RIGHT_SWAPPED > 0, swapped.any(axis=0))
    assert np.linalg.norm(res.points_3d - X, axis=-1).max() < 0.01
    assert np.allclose(apply_swaps(obs, res.swapped, LEFT, RIGHT), truth)
    no_swap = triangulate_views(obs, cams)
    assert np.linalg.norm(no_swap.points_3d - X, axis=-1).max() > 0.05


def test_refinement_lowers_reprojection_error(rig):
    cams = rig.ring(4, distorted=True)
    X = rig.body_points(100, 17, seed=7)
    obs = rig.observe(cams, X, noise_px=2.0, seed=8)
    plain = triangulate_views(obs, cams, options=TriangulationOptions(passes=1))
    refined = triangulate_views(obs, cams, options=TriangulationOptions(passes=1, refine=True))
    assert np.mean(refined.reprojection_error) < np.mean(plain.reprojection_error)
    # refinement is a no-op on exact data and keeps points it cannot improve
    exact = rig.observe(cams, X)
    xn = np.stack([c.normalize_points(exact[i].reshape(-1, 2)) for i, c in enumerate(cams)])
    extr = np.stack([c.extrinsic_matrix for c in cams])
    fxy = np.array([[c.K[0, 0], c.K[1, 1]] for c in cams])
    start = X.reshape(-1, 3) + 0.02
    start[5] = np.nan
    out = refine_points(start, xn, extr, fxy, np.ones(xn.shape[:2]))
    assert np.isnan(out[5]).all()
    assert np.abs(np.delete(out, 5, 0) - np.delete(X.reshape(-1, 3), 5, 0)).max() < 1e-7


def test_refinement_reaches_the_weighted_least_squares_optimum(rig):
    """Gauss-Newton from the DLT ends where scipy's least_squares does on the same weighted
    pixel residuals (unequal weights, noisy, distorted, one view unused for some points)."""
    from scipy.optimize import least_squares

    cams = rig.ring(4, distorted=True)
    X = rig.body_points(20, 17, seed=3)
    obs = rig.observe(cams, X, noise_px=3.0, seed=4)
    xn = np.stack([c.normalize_points(obs[i].reshape(-1, 2)) for i, c in enumerate(cams)])
    extr = np.stack([c.extrinsic_matrix for c in cams])
    fxy = np.array([[c.K[0, 0], c.K[1, 1]] for c in cams])
    w = np.random.default_rng(5).uniform(0.3, 1.0, xn.shape[:2])
    w[2, ::3] = 0.0
    start = X.reshape(-1, 3) + np.random.default_rng(6).normal(0.0, 0.01, (X[..., 0].size, 3))
    out = refine_points(start, xn, extr, fxy, w)

    def residuals(p: np.ndarray, n: int) -> np.ndarray:
        pc = extr[:, :, :3] @ p + extr[:, :, 3]
        r = (pc[:, :2] / pc[:, 2:3] - xn[:, n]) * fxy
        return (w[:, n, None] * r).ravel()

    for n in range(0, start.shape[0], 7):
        best = least_squares(residuals, start[n], args=(n,), xtol=1e-15, ftol=1e-15).x
        assert np.abs(out[n] - best).max() < 1e-7
    assert np.abs(out - X.reshape(-1, 3)).max() < 0.05  # 3 px noise at 4 m: cm
