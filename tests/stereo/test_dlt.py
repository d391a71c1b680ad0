"""Weighted DLT: exact recovery, distortion, weights, degenerate geometry, accuracy."""

from __future__ import annotations

import cv2
import numpy as np

from posearena_stereo.dlt import triangulate_dlt
from posearena_stereo.flags import NOT_ENOUGH_VIEWS
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views


def test_exact_recovery_noise_free(rig):
    X = rig.body_points(50, 17)
    for distorted in (False, True):
        cams = rig.ring(4, distorted=distorted)
        obs = rig.observe(cams, X)
        if distorted:  # the distortion moves points by px: it must be undone
            ideal = np.stack([c.project(X, distort=False) for c in cams])
            assert np.abs(obs - ideal).max() > 5
        for views in ([0, 1], [0, 2], [0, 1, 2, 3]):
            res = triangulate_views(obs[views], [cams[i] for i in views])
            assert np.abs(res.points_3d - X).max() < 1e-6
            assert np.nanmax(res.reprojection_error) < 1e-5
            assert (res.views_used == len(views)).all() and not res.flags.any()


def test_matches_opencv_triangulate_points_with_noise(rig):
    cams = rig.ring(2)
    X = rig.body_points(200, 17).reshape(-1, 3)
    obs = rig.observe(cams, X, noise_px=1.0)
    ours = triangulate_views(obs[:, None], cams).points_3d[0]
    h = cv2.triangulatePoints(cams[0].projection_matrix, cams[1].projection_matrix,
                              obs[0].T, obs[1].T)
    ref = (h[:3] / h[3]).T
    err_ours = np.linalg.norm(ours - X, axis=1).mean()
    err_cv = np.linalg.norm(ref - X, axis=1).mean()
    assert err_ours <= err_cv * 1.01
    assert np.linalg.norm(ours - ref, axis=1).max() < 0.01  # same solution up to noise


def test_depth_reweighting_improves_unequal_depths(rig):
    # one camera close, one far: plain algebraic DLT over-weights the far one
    cams = [rig.look_at("near", [1.2, 0, 1.0], [0, 0, 1.0]),
            rig.look_at("far", [0, 9.0, 1.0], [0, 0, 1]),
            rig.look_at("mid", [-3.0, -3.0, 1.5], [0, 0, 1.0])]
    X = rig.body_points(400, 17, seed=3) * [0.4, 0.4, 0.3] + [0, 0, 0.7]
    obs = rig.observe(cams, X, noise_px=1.0, seed=5)
    errs = {}
    for passes in (1, 2):
        res = triangulate_views(obs, cams, options=TriangulationOptions(passes=passes))
        errs[passes] = np.nanmean(res.reprojection_error)
    assert errs[2] < errs[1]


def test_zero_weight_view_is_ignored_and_weights_matter(rig):
    cams = rig.ring(3)
    X = rig.body_points(20, 5)
    obs = rig.observe(cams, X)
    obs[2] += 40.0  # a view off by 40 px
    conf = np.ones(obs.shape[:3])
    conf[2] = 0.0
    res = triangulate_views(obs, cams, conf)
    assert np.abs(res.points_3d - X).max() < 1e-6 and (res.views_used == 2).all()
    conf[2] = 0.1
    low = triangulate_views(obs, cams, conf).points_3d
    conf[2] = 1.0
    full = triangulate_views(obs, cams, conf).points_3d
    assert np.linalg.norm(low - X, axis=-1).mean() < 0.2 * np.linalg.norm(full - X, axis=-1).mean()


def test_missing_and_degenerate_points_are_nan_and_flagged(rig):
    cams = rig.ring(3)
    X = rig.body_points(4, 3)
    obs = rig.observe(cams, X)
    obs[0, 1, 2] = np.nan
    obs[1, 1, 2] = np.nan  # seen by one view only
    res = triangulate_views(obs, cams)
    assert np.isnan(res.points_3d[1, 2]).all() and res.flags[1, 2] & NOT_ENOUGH_VIEWS
    assert res.views_used[1, 2] == 0 and np.isnan(res.reprojection_error[1, 2])
    assert np.isfinite(res.points_3d[0]).all()
    # two views from the same centre: no baseline, the linear system is singular
    same = [cams[0], cams[0].with_name("twin")]
    X2, ok = triangulate_dlt(np.stack([same[0].normalize_points(obs[0, 0])] * 2),
                             np.stack([c.extrinsic_matrix for c in same]), np.ones((2, 3)))
    assert not ok.any() and np.isnan(X2).all()


def test_blocks_and_threads_give_identical_results(rig):
    cams = rig.ring(3, distorted=True)
    X = rig.body_points(1000, 17, seed=11)  # 17,000 points: several blocks of frames
    obs = rig.observe(cams, X, noise_px=1.0)
    one = triangulate_views(obs, cams, options=TriangulationOptions(threads=1))
    two = triangulate_views(obs, cams, options=TriangulationOptions(threads=2))
    assert np.array_equal(one.points_3d, two.points_3d)
    assert np.array_equal(one.reprojection_error, two.reprojection_error, equal_nan=True)
    assert np.linalg.norm(one.points_3d - X, axis=-1).mean() < 0.005


def test_thin_matmul_equals_the_product():
    from posearena_stereo.products import thin_matmul

    rng = np.random.default_rng(0)
    for m, k, n in ((9, 32, 20_001), (12, 3, 8192), (9, 16, 5), (3, 1, 70_000)):
        a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
        assert np.allclose(thin_matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
