"""posearena.calibration.virtual: the virtual camera aimed at the subject, roll levelled."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.calibration import (
    Camera,
    look_at_rotation,
    rodrigues_to_matrix,
    to_camera_frame,
    virtual_view,
)
from posearena.errors import InvalidInputError


def _tilted_camera() -> Camera:
    """A portrait phone rolled ~20 deg and pitched down, principal point off-centre."""
    # look along world +Y, y down = world -Z, then pitch down and roll
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    R = rodrigues_to_matrix([0.0, 0.0, np.deg2rad(20)]) @ rodrigues_to_matrix(
        [np.deg2rad(-18), 0.0, 0.0]) @ base
    C = np.array([0.3, -3.0, 2.0])  # camera centre, world (Z up), m
    return Camera("phone", 1088, 1920, [[1680.0, 0, 520.0], [0, 1676.0, 990.0], [0, 0, 1]],
                  [-0.05, 0.02, 0.001, -0.001, 0.0], R, -R @ C)


def _body(n: int = 40, seed: int = 0) -> np.ndarray:
    """(n, 17, 3) world points around a standing person's extent near the origin, m."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform([-0.3, -0.2, 0.0], [0.3, 0.2, 1.8], (n, 17, 3))
    return pts + np.array([0.5, 0.4, 0.0])


def test_keypoints_are_exactly_what_the_virtual_pinhole_sees():
    cam, X = _tilted_camera(), _body()
    view = virtual_view(cam, cam.project(X))
    R_v = view.rotation
    np.testing.assert_allclose(R_v @ R_v.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R_v) == pytest.approx(1.0)
    # the virtual camera: same centre, rotated by R_v, focal (fx+fy)/2, centred, no distortion
    f = cam.focal_px
    virt = Camera("v", cam.width, cam.height,
                  [[f, 0, (cam.width - 1) / 2], [0, f, (cam.height - 1) / 2], [0, 0, 1]],
                  np.zeros(5), R_v @ cam.R, R_v @ cam.t)
    np.testing.assert_allclose(view.keypoints, virt.project(X), atol=1e-6)


def test_aimed_at_the_person_with_the_world_vertical_upright():
    cam, X = _tilted_camera(), _body()
    view = virtual_view(cam, cam.project(X))
    up = cam.R @ np.array([0.0, 0.0, 1.0])
    np.testing.assert_allclose(view.up_camera, up, atol=1e-12)
    assert abs(view.rotation[0] @ up) < 1e-12  # virtual x axis horizontal: no roll
    assert view.rotation[1] @ up < 0  # virtual y points down
    # the person's mean viewing ray lands on the image centre
    centre = np.array([(cam.width - 1) / 2, (cam.height - 1) / 2])
    rays = cam.to_camera(X)
    mean_dir = (rays / rays[..., 2:]).reshape(-1, 3).mean(axis=0)
    v = view.rotation @ mean_dir
    np.testing.assert_allclose(cam.focal_px * v[:2] / v[2] + centre, centre, atol=1e-6)
    # in the real image the person was off-centre and tilted
    assert np.abs(np.nanmean(cam.project(X).reshape(-1, 2), axis=0) - centre).max() > 50


def test_without_world_up_the_roll_is_kept():
    cam, X = _tilted_camera(), _body()
    view = virtual_view(cam, cam.project(X), world_up=None)
    assert not view.roll_levelled
    np.testing.assert_allclose(view.up_camera, [0.0, -1.0, 0.0])
    assert abs(view.rotation[0] @ np.array([0.0, 1.0, 0.0])) < 1e-12


def test_rotation_back_and_nan_kept():
    cam, X = _tilted_camera(), _body(5)
    kp = cam.project(X)
    kp[2, 4] = np.nan
    view = virtual_view(cam, kp)
    assert np.isnan(view.keypoints[2, 4]).all() and np.isfinite(view.keypoints[0]).all()
    Xc = cam.to_camera(X)
    np.testing.assert_allclose(to_camera_frame(Xc @ view.rotation.T, view.rotation), Xc,
                               atol=1e-12)


def test_bad_inputs():
    cam = _tilted_camera()
    with pytest.raises(InvalidInputError, match="keypoints"):
        virtual_view(cam, np.full((3, 17, 2), np.nan))
    with pytest.raises(InvalidInputError, match=r"\(T, J, 2\)"):
        virtual_view(cam, np.zeros((3, 17, 3)))
    with pytest.raises(InvalidInputError, match="up direction"):
        look_at_rotation(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0]))
