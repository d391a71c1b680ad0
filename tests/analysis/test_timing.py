"""Resampling, time-offset estimation (synthetic and real angle signals) and cropping."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.alignment import (
    align_sequences,
    estimate_time_offset,
    estimate_time_offset_multi,
    find_time_offset,
    resample,
    sample_at,
)


def _multisine(t: np.ndarray) -> np.ndarray:
    return (np.sin(2 * np.pi * 0.31 * t) + 0.6 * np.sin(2 * np.pi * 0.73 * t + 1.0)
            + 0.3 * np.sin(2 * np.pi * 1.37 * t + 2.0))  # fmt: skip


def test_resample_hand_values_and_nan_gaps() -> None:
    np.testing.assert_allclose(resample([0.0, 1, 2, 3], 10, 20), [0, 0.5, 1, 1.5, 2, 2.5, 3])
    out = resample([0.0, np.nan, 2, 3], 10, 20)
    np.testing.assert_array_equal(out, [0, np.nan, np.nan, np.nan, 2, 2.5, 3])
    x = np.arange(101.0)[:, None, None] * np.ones((1, 2, 3))  # (T, J, 3) ramp at 100 Hz
    down = resample(x, 100, 30)
    assert down.shape == (31, 2, 3)
    np.testing.assert_allclose(down[:, 0, 0], np.arange(31) / 30 * 100, atol=1e-9)
    assert np.isnan(sample_at([1.0, 2.0], 10, [-0.01, 0.11])).all()  # outside the span
    with pytest.raises(InvalidInputError, match="fps_out="):
        resample([1.0, 2.0], 10, 0)


@pytest.mark.parametrize("lag", [0.437, -1.234, 0.0])
def test_offset_of_multisine_same_rate(lag: float) -> None:
    fps = 100.0
    rng = np.random.default_rng(4)
    a = _multisine(np.arange(2000) / fps)
    b = _multisine(np.arange(1700) / fps - lag) + rng.normal(0, 0.05, 1700)
    b[300:320] = np.nan  # a gap is ignored
    est = estimate_time_offset(a, b, fps, max_lag_s=3.0)
    assert abs(est - lag) < 0.25 / fps  # sub-frame precision
    res = find_time_offset(a, b, fps, 3.0)
    assert res.correlation > 0.95 and not res.at_boundary


def test_offset_with_different_rates() -> None:
    """b sampled at 30 Hz, a at 100 Hz: resample b to 100 Hz, then correlate."""
    lag = 0.8123
    a = _multisine(np.arange(1500) / 100.0)
    b30 = _multisine(np.arange(400) / 30.0 - lag)
    est = estimate_time_offset(a, resample(b30, 30, 100), 100, max_lag_s=2.0)
    assert abs(est - lag) < 1 / 100


def test_multi_signal_offset_and_ambiguity() -> None:
    """A pure sine is ambiguous by its period; a second signal resolves it."""
    fps, lag = 50.0, 0.9
    ta, tb = np.arange(1000) / fps, np.arange(900) / fps - lag
    period_1hz = np.stack([np.sin(2 * np.pi * ta), _multisine(ta)], axis=1)
    b = np.stack([np.sin(2 * np.pi * tb), _multisine(tb)], axis=1)
    est = estimate_time_offset_multi(period_1hz, b, fps, max_lag_s=1.5)
    assert abs(est - lag) < 1 / fps
    with pytest.raises(InvalidInputError, match="b="):
        estimate_time_offset_multi(period_1hz, b[:, :1], fps, 1.5)
    with pytest.raises(InvalidInputError, match="a="):
        estimate_time_offset(np.ones(100), np.ones(100), fps, 1.0)  # constant: undefined


def test_offset_of_real_abduction_angle(abduction_deg: np.ndarray) -> None:
    """The UI-PRMD Vicon abduction angle (100 Hz) against a 30 Hz copy starting 0.37 s later."""
    t30 = 0.37 + np.arange(0, 1.6, 1 / 30)
    b = sample_at(abduction_deg, 100.0, t30)  # b(t) = a(t + 0.37): lag = -0.37 s
    est = estimate_time_offset(abduction_deg, resample(b, 30, 100), 100, max_lag_s=1.0)
    assert abs(est + 0.37) < 1 / 100


def test_align_sequences_crops_to_overlap() -> None:
    a = np.arange(101) / 100.0  # a(t) = t, 0..1 s at 100 Hz
    for lag in (0.2, -0.3):
        b = np.arange(31) / 30.0 - lag  # b(t) = a(t - lag), 0..1 s at 30 Hz
        pair = align_sequences(a, 100, b, 30, lag)
        t0, t1 = max(0.0, -lag), min(1.0, 1.0 - lag)
        assert pair.t0_s == pytest.approx(t0)
        assert pair.a.shape == pair.b.shape == (round((t1 - t0) * 100) + 1,)
        np.testing.assert_allclose(pair.b, pair.a, atol=1e-12)
        np.testing.assert_allclose(pair.a, t0 + np.arange(pair.a.size) / 100, atol=1e-12)
    joints = np.zeros((50, 4, 3))
    with pytest.raises(InvalidInputError, match="lag_s="):
        align_sequences(joints, 50, joints, 50, lag_s=5.0)
    with pytest.raises(InvalidInputError, match="b="):
        align_sequences(joints, 50, joints[:, :2], 50, lag_s=0.0)
