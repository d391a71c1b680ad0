"""Bad input to triangulate_views raises InvalidInputError naming the field."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views


@pytest.fixture
def setup(rig):
    cams = rig.ring(3)
    return rig.observe(cams, rig.body_points(6, 4)), cams


def test_shape_and_camera_count(setup):
    obs, cams = setup
    with pytest.raises(InvalidInputError, match="keypoints"):
        triangulate_views(obs[..., :1], cams)
    with pytest.raises(InvalidInputError, match="cameras"):
        triangulate_views(obs, cams[:2])
    with pytest.raises(InvalidInputError, match="confidence"):
        triangulate_views(obs, cams, np.ones((3, 5, 4)))
    with pytest.raises(InvalidInputError, match=r"cameras\[1\]"):
        triangulate_views(obs, [cams[0], "cam2", cams[2]])
    with pytest.raises(InvalidInputError, match="at least 2 views"):
        triangulate_views(obs[:1], cams[:1])


def test_all_nan_view_and_options(setup):
    obs, cams = setup
    bad = obs.copy()
    bad[1] = np.nan
    with pytest.raises(InvalidInputError, match=r"keypoints\[1\].*cam2"):
        triangulate_views(bad, cams)
    with pytest.raises(InvalidInputError, match="min_views"):
        triangulate_views(obs, cams, options=TriangulationOptions(min_views=4))
    with pytest.raises(InvalidInputError, match="max_reprojection_error_px"):
        triangulate_views(obs, cams, options=TriangulationOptions(max_reprojection_error_px=0))
    with pytest.raises(InvalidInputError, match="left_right"):
        triangulate_views(obs, cams, options=TriangulationOptions(try_swap_left_right=True))
    with pytest.raises(InvalidInputError, match="left_right"):
        triangulate_views(obs, cams, options=TriangulationOptions(
            try_swap_left_right=True, left_right=([0], [9])))
    with pytest.raises(InvalidInputError, match="fps"):
        triangulate_views(obs, cams, options=TriangulationOptions(filter_cutoff_hz=5.0))


def test_low_confidence_is_not_used(setup):
    obs, cams = setup
    conf = np.ones(obs.shape[:3])
    conf[0, 2] = 0.2
    conf[1, 2] = 0.3
    res = triangulate_views(obs, cams, conf, TriangulationOptions(min_confidence=0.5))
    assert np.isnan(res.points_3d[2]).all() and np.isfinite(res.points_3d[[0, 1, 3]]).all()
