"""Parallel (rectified) rig: formula, principal point, non-positive disparity, depth noise."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_stereo.flags import NON_POSITIVE_DISPARITY, NOT_ENOUGH_VIEWS
from posearena_stereo.parallel import triangulate_parallel

F_PX, T_M, CX, CY = 700.0, 0.12, 331.5, 243.25


def _project(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xl = np.stack([F_PX * X[..., 0] / X[..., 2] + CX, F_PX * X[..., 1] / X[..., 2] + CY], -1)
    xr = np.stack([F_PX * (X[..., 0] - T_M) / X[..., 2] + CX,
                   F_PX * X[..., 1] / X[..., 2] + CY], -1)
    return xl, xr


def test_exact_formula_with_principal_point():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(-1, 1, 500), rng.uniform(-0.5, 0.5, 500),
                         rng.uniform(0.5, 8.0, 500)])
    xl, xr = _project(X)
    pts, err, flags = triangulate_parallel(xl, xr, F_PX, T_M, CX, CY)
    assert np.abs(pts - X).max() < 1e-9
    assert np.abs(err).max() < 1e-9 and not flags.any()
    # a point on the optical axis of the left camera projects to the principal point
    axis_pt, _, _ = triangulate_parallel(np.array([[CX, CY]]), np.array([[CX - 21.0, CY]]),
                                         F_PX, T_M, CX, CY)
    assert np.allclose(axis_pt[0], [0.0, 0.0, F_PX * T_M / 21.0])


def test_non_positive_disparity_is_nan_never_inf():
    xl = np.array([[100.0, 50.0], [100.0, 50.0], [100.0, 50.0], [np.nan, 1.0]])
    xr = np.array([[100.0, 50.0], [130.0, 52.0], [90.0, 54.0], [80.0, 1.0]])
    pts, err, flags = triangulate_parallel(xl, xr, F_PX, T_M, CX, CY)
    assert not np.isinf(pts).any()
    assert np.isnan(pts[:2]).all() and (flags[:2] == NON_POSITIVE_DISPARITY).all()
    assert np.isfinite(pts[2]).all() and flags[2] == 0 and err[2] == pytest.approx(2.0)
    assert np.isnan(pts[3]).all() and flags[3] == NOT_ENOUGH_VIEWS
    low = triangulate_parallel(xl[2:3], xr[2:3], F_PX, T_M, CX, CY, np.array([0.2]),
                               np.array([0.9]), min_confidence=0.5)
    assert np.isnan(low[0]).all() and low[2][0] == NOT_ENOUGH_VIEWS


@pytest.mark.parametrize("Z", [1.5, 3.0, 6.0])
def test_depth_noise_grows_with_depth_squared(Z):
    rng = np.random.default_rng(int(Z * 10))
    n, sigma_px = 40000, 0.5
    X = np.tile([0.2, -0.1, Z], (n, 1))
    xl, xr = _project(X)
    xl = xl + rng.normal(0, sigma_px, xl.shape)
    xr = xr + rng.normal(0, sigma_px, xr.shape)
    pts, _, flags = triangulate_parallel(xl, xr, F_PX, T_M, CX, CY)
    assert not flags.any()
    sigma_d = sigma_px * np.sqrt(2.0)  # disparity = difference of two noisy x
    predicted = Z**2 * sigma_d / (F_PX * T_M)
    measured = np.std(pts[:, 2])
    assert measured == pytest.approx(predicted, rel=0.15)


def test_invalid_rig():
    a = np.zeros((3, 2))
    with pytest.raises(InvalidInputError, match="baseline_m"):
        triangulate_parallel(a, a, F_PX, 0.0, CX, CY)
    with pytest.raises(InvalidInputError, match="focal_px"):
        triangulate_parallel(a, a, -1.0, T_M, CX, CY)
    with pytest.raises(InvalidInputError, match="right"):
        triangulate_parallel(a, np.zeros((4, 2)), F_PX, T_M, CX, CY)
