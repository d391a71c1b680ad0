"""Camera model: projection, distortion, undistortion, validation, proto conversion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posearena.calibration import (
    Camera,
    camera_from_proto,
    camera_to_proto,
    matrix_to_rodrigues,
    normalize_views,
    rodrigues_to_matrix,
)
from posearena.errors import InvalidInputError
from posearena.v1 import pose_pb2


def _camera(dist=(-0.25, 0.08, 0.001, -0.0015, 0.01)) -> Camera:
    R = rodrigues_to_matrix([0.1, -0.4, 0.05])
    return Camera("c1", 1280, 720, [[900.0, 0.0, 650.0], [0.0, 905.0, 350.0], [0, 0, 1]],
                  dist, R, [0.2, -0.1, 3.0])


def _points_in_view(cam: Camera, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pc = np.column_stack([rng.uniform(-0.5, 0.5, n), rng.uniform(-0.3, 0.3, n),
                          np.ones(n)]) * rng.uniform(1.5, 5.0, (n, 1))
    return (pc - cam.t) @ cam.R  # camera -> world


def test_project_matches_opencv_projectpoints():
    cam = _camera()
    X = _points_in_view(cam, 200)
    ours = cam.project(X)
    ref, _ = cv2.projectPoints(X, cv2.Rodrigues(cam.R)[0], cam.t, cam.K, cam.dist)
    assert np.abs(ours - ref.reshape(-1, 2)).max() < 1e-8


def test_projection_matrix_and_centre():
    cam = _camera(dist=())
    X = _points_in_view(cam, 50, seed=1)
    h = np.column_stack([X, np.ones(len(X))]) @ cam.projection_matrix.T
    assert np.abs(h[:, :2] / h[:, 2:] - cam.project(X)).max() < 1e-9
    assert np.allclose(cam.R @ cam.center + cam.t, 0.0, atol=1e-12)
    assert np.isnan(cam.project(cam.center + cam.R[2] * -1.0)).all()  # behind the camera


def test_undistort_inverts_distortion():
    cam = _camera()
    X = _points_in_view(cam, 500, seed=2)
    distorted = cam.project(X)
    ideal = cam.project(X, distort=False)
    assert np.abs(distorted - ideal).max() > 5.0  # the distortion is not negligible here
    assert np.abs(cam.undistort_points(distorted) - ideal).max() < 1e-6
    ref = cv2.undistortPoints(distorted.reshape(-1, 1, 2), cam.K, cam.dist, P=cam.K)
    assert np.abs(cam.undistort_points(distorted) - ref.reshape(-1, 2)).max() < 0.05
    with_nan = distorted.copy()
    with_nan[3] = np.nan
    out = cam.undistort_points(with_nan)
    assert np.isnan(out[3]).all() and np.isfinite(np.delete(out, 3, axis=0)).all()


def test_normalize_views_equals_each_camera_alone():
    """Several views undistorted at once (different lenses: strong, tangential-free, none, 4
    coefficients; NaN pixels) give each camera's own normalize_points."""
    cams = [_camera(), _camera(dist=(-0.1, 0.02, 0.0, 0.0, 0.0)), _camera(dist=()),
            _camera(dist=(0.05, -0.01, 0.002, 0.001))]
    px = np.stack([c.project(_points_in_view(c, 300, seed=i)) for i, c in enumerate(cams)])
    px[1, 7] = np.nan
    x, y = normalize_views(cams, px)
    for c, cam in enumerate(cams):
        alone = cam.normalize_points(px[c])
        assert np.allclose(x[c], alone[:, 0], rtol=0, atol=1e-12, equal_nan=True)
        assert np.allclose(y[c], alone[:, 1], rtol=0, atol=1e-12, equal_nan=True)
        ref = cv2.undistortPoints(px[c].reshape(-1, 1, 2), cam.K, cam.dist).reshape(-1, 2)
        ok = np.isfinite(ref).all(axis=1)
        assert np.abs(np.stack([x[c], y[c]], -1)[ok] - ref[ok]).max() < 1e-4
    assert np.isnan(x[1, 7]) and np.isnan(y[1, 7])
    assert np.isfinite(np.delete(x, 7, axis=1)).all()


def test_rodrigues_matches_opencv():
    rng = np.random.default_rng(3)
    for rvec in [*rng.normal(0, 1.2, (20, 3)), np.array([np.pi, 0, 0]),
                 np.array([0, 0, np.pi - 1e-7]), np.zeros(3)]:
        R = rodrigues_to_matrix(rvec)
        assert np.allclose(R, cv2.Rodrigues(rvec)[0], atol=1e-10)
        assert np.allclose(rodrigues_to_matrix(matrix_to_rodrigues(R)), R, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"K": [[0, 0, 1], [0, 1, 1], [0, 0, 1]]}, "K"),
        ({"K": np.eye(2)}, "K"),
        ({"R": np.diag([1.0, 1.0, -1.0])}, "R"),
        ({"R": np.full((3, 3), 0.5)}, "R"),
        ({"t": [0.0, np.nan, 1.0]}, "t"),
        ({"dist": [0.1, 0.2, 0.3]}, "dist"),
        ({"width": -3}, "width"),
    ],
)
def test_invalid_camera_raises(kwargs, field):
    base = {"name": "bad", "width": 10, "height": 10, "K": np.diag([100.0, 100.0, 1.0])}
    base.update(kwargs)
    with pytest.raises(InvalidInputError) as info:
        Camera(**base)
    assert field in info.value.field


def test_proto_round_trip_and_validation():
    cam = _camera()
    back = camera_from_proto(camera_to_proto(cam))
    assert back.name == cam.name and (back.width, back.height) == (1280, 720)
    for attr in ("K", "dist", "R", "t"):
        assert np.array_equal(getattr(back, attr), getattr(cam, attr))
    msg = camera_to_proto(cam)
    del msg.rotation[-1]
    with pytest.raises(InvalidInputError, match=r"cameras\[2\]\.rotation"):
        camera_from_proto(msg, "cameras[2]")
    singular = pose_pb2.Camera(name="s", width=1, height=1, matrix=[0.0] * 9,
                               rotation=np.eye(3).ravel().tolist(), translation=[0, 0, 0])
    with pytest.raises(InvalidInputError, match=r"cameras\[0\]\.K"):
        camera_from_proto(singular, "cameras[0]")
