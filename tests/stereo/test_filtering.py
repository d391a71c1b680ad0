"""Gap interpolation and zero-phase Butterworth low-pass (NaN-safe)."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers.fresh_python import fresh_python

from posearena.errors import InvalidInputError
from posearena_stereo.filtering import butterworth_lowpass, interpolate_gaps
from posearena_stereo.flags import INTERPOLATED, NOT_ENOUGH_VIEWS
from posearena_stereo.triangulate import TriangulationOptions, triangulate_views


def _traj(T: int = 200, fps: float = 100.0) -> np.ndarray:
    t = np.arange(T) / fps
    x = np.stack([np.sin(2 * np.pi * 1.0 * t), np.cos(2 * np.pi * 0.5 * t), 0.3 * t], -1)
    return np.stack([x, 2 * x], axis=1)  # (T, 2, 3)


def test_gaps_up_to_max_are_filled():
    P = _traj()
    holes = P.copy()
    holes[50:55, 0] = np.nan  # 5 frames
    holes[100:120, 0] = np.nan  # 20 frames
    holes[:3, 1] = np.nan  # leading gap: never extrapolated
    filled, mask = interpolate_gaps(holes, max_gap=10)
    assert mask[50:55, 0].all() and mask.sum() == 5
    assert np.abs(filled[50:55, 0] - P[50:55, 0]).max() < 1e-3  # cubic on a smooth curve
    assert np.isnan(filled[100:120, 0]).all() and np.isnan(filled[:3, 1]).all()
    same, none = interpolate_gaps(holes, 0)
    assert not none.any() and np.array_equal(np.isnan(same), np.isnan(holes))


def test_gap_filling_never_writes_into_its_input():
    P = _traj()
    holes = P.copy()
    holes[50:55, 0, 1] = np.nan  # one coordinate missing: the whole point is a gap
    holes[100:180, 1] = np.nan  # longer than max_gap: stays
    before = holes.copy()
    filled, mask = interpolate_gaps(holes, max_gap=10)
    assert np.array_equal(holes, before, equal_nan=True)
    assert mask[50:55, 0].all() and mask.sum() == 5 and np.isfinite(filled[50:55, 0]).all()
    long_only, none = interpolate_gaps(holes[60:], max_gap=10)  # nothing to fill
    assert not none.any() and np.array_equal(long_only, holes[60:], equal_nan=True)


def test_butterworth_removes_noise_keeps_signal_and_nan():
    rng = np.random.default_rng(0)
    P = _traj(400)
    noisy = P + rng.normal(0, 0.05, P.shape)
    noisy[150:160, 1] = np.nan
    out = butterworth_lowpass(noisy, cutoff_hz=5.0, fps=100.0)
    assert np.isnan(out[150:160, 1]).all() and np.isfinite(out[:150]).all()
    ok = np.isfinite(out)
    err_before = np.sqrt(np.mean((noisy[ok] - P[ok]) ** 2))
    err_after = np.sqrt(np.mean((out[ok] - P[ok]) ** 2))
    assert err_after < 0.4 * err_before
    # zero phase: a clean 1 Hz sine is not delayed
    clean = butterworth_lowpass(P, 5.0, 100.0)
    assert np.abs(clean[50:-50] - P[50:-50]).max() < 2e-3
    with pytest.raises(InvalidInputError, match="filter_cutoff_hz"):
        butterworth_lowpass(P, 60.0, 100.0)
    with pytest.raises(InvalidInputError, match="fps"):
        butterworth_lowpass(P, 5.0, 0.0)


def test_pipeline_flags_interpolated_points(rig):
    cams = rig.ring(3)
    X = rig.body_points(60, 4)
    obs = rig.observe(cams, X)
    obs[:2, 20:24, 1] = np.nan  # joint 1 seen by one view only for 4 frames
    res = triangulate_views(obs, cams, options=TriangulationOptions(
        max_gap_frames=5, filter_cutoff_hz=10.0, fps=60.0))
    assert (res.flags[20:24, 1] & INTERPOLATED).all()
    assert (res.flags[20:24, 1] & NOT_ENOUGH_VIEWS).all()
    assert (res.views_used[20:24, 1] == 0).all()
    assert np.isnan(res.reprojection_error[20:24, 1]).all()
    assert np.linalg.norm(res.points_3d[20:24, 1] - X[20:24, 1], axis=-1).max() < 0.01
    assert (res.flags[res.views_used > 0] == 0).all()


def test_service_starts_without_scipy_and_loads_it_where_a_gap_is_filled():
    """scipy.interpolate/signal cost the service 0.3-0.5 s of start-up (filtering's text)."""
    code = ("import sys, numpy as np\n"
            "from posearena_stereo.server import main\n"
            "import posearena_stereo.servicer\n"
            "print('scipy' in sys.modules)\n"
            "from posearena_stereo.filtering import interpolate_gaps\n"
            "P = np.zeros((20, 1, 3)); P[5:7] = np.nan\n"
            "interpolate_gaps(P, 0); interpolate_gaps(P[:4], 5)\n"
            "print('scipy' in sys.modules)\n"
            "interpolate_gaps(P, 5)\n"
            "print('scipy.interpolate' in sys.modules)\n")
    out = fresh_python(code).split()
    assert out == ["False", "False", "True"], out


@pytest.mark.parametrize(("requests", "loaded"), [(0, "True"), (1, "False")])
def test_an_idle_service_loads_scipy_one_asked_at_once_does_not(requests, loaded):
    code = ("import sys\n"
            "from posearena_stereo.server import warm_up_when_idle\n"
            "from posearena_stereo.servicer import StereoService\n"
            f"service = StereoService(); service.requests_started = {requests}\n"
            "warm_up_when_idle(service, 0.0).join()\n"
            "print('scipy.interpolate' in sys.modules and 'scipy.signal' in sys.modules)\n")
    assert fresh_python(code).split() == [loaded]
