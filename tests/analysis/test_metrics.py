"""Pose error metrics on small hand-computed arrays (metres in, millimetres out)."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.metrics import (
    joint_errors,
    mpjpe,
    mpjve,
    n_mpjpe,
    p_mpjpe,
    pck,
    per_joint_errors,
)


def _case() -> tuple[np.ndarray, np.ndarray]:
    """3 frames x 2 joints; errors 5 and 10 mm, then (NaN, 1 mm), then an all-NaN frame."""
    ref = np.zeros((3, 2, 3))
    pred = np.zeros((3, 2, 3))
    pred[0, 0] = [0.003, 0.004, 0.0]  # 5 mm
    pred[0, 1] = [0.0, 0.0, 0.010]  # 10 mm
    pred[1, 0] = np.nan
    pred[1, 1] = [0.001, 0.0, 0.0]  # 1 mm
    ref[2] = np.nan
    return pred, ref


def test_mpjpe_hand_values_and_counts() -> None:
    pred, ref = _case()
    res = mpjpe(pred, ref)
    assert res.value == pytest.approx(16 / 3)  # (5 + 10 + 1) / 3 valid samples
    np.testing.assert_allclose(res.per_frame, [7.5, 1.0, np.nan])
    assert (res.n_frames, res.n_samples) == (2, 3)
    err, counts = per_joint_errors(pred, ref)
    np.testing.assert_allclose(err, [5.0, 5.5])
    np.testing.assert_array_equal(counts, [1, 2])
    all_nan = mpjpe(np.full((2, 2, 3), np.nan), ref[:2])
    assert np.isnan(all_nan.value) and all_nan.n_frames == 0


def test_pck_threshold_inclusive() -> None:
    pred, ref = _case()
    pred[1, 1] = [0.2, 0.0, 0.0]  # 200 mm
    assert pck(pred, ref).value == pytest.approx(2 / 3)  # 5, 10 <= 150 < 200
    assert pck(pred, ref, threshold_mm=10).value == pytest.approx(2 / 3)
    assert pck(pred, ref, threshold_mm=9.9).value == pytest.approx(1 / 3)
    np.testing.assert_allclose(pck(pred, ref, 9.9).per_frame, [0.5, 0.0, np.nan])
    with pytest.raises(InvalidInputError, match="threshold_mm="):
        pck(pred, ref, threshold_mm=-1)


def test_p_mpjpe_hand_computed_saddle() -> None:
    """Square of half-side a in z=0; pred lifts alternate corners by +-h.

    By symmetry R = I, and the optimal scale is s = a^2 / (a^2 + h^2); each corner's error is
    sqrt(((s - 1) a)^2 + (s h)^2). With a = 0.1, h = 0.05: s = 0.8, error = 44.72 mm."""
    a, h = 0.1, 0.05
    ref = np.array([[[a, 0, 0], [0, a, 0], [-a, 0, 0], [0, -a, 0]]])
    pred = ref + np.array([0, 0, 1.0]) * np.array([h, -h, h, -h])[:, None]
    expected = np.sqrt(((0.8 - 1) * a) ** 2 + (0.8 * h) ** 2) * 1000
    assert p_mpjpe(pred, ref).value == pytest.approx(expected, abs=1e-9)
    assert expected == pytest.approx(44.7214, abs=1e-4)
    assert mpjpe(pred, ref).value == pytest.approx(50.0)


def test_p_mpjpe_removes_similarity_and_skips_small_frames() -> None:
    rng = np.random.default_rng(6)
    ref = rng.normal(size=(4, 17, 3)) * 0.3
    Rz = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    pred = 1.3 * ref @ Rz.T + [1.0, 2.0, 3.0]
    pred[3, 2:] = np.nan  # only 2 valid joints: frame skipped
    res = p_mpjpe(pred, ref)
    assert res.value < 1e-9 and res.n_frames == 3
    assert mpjpe(pred, ref).value > 100


def test_n_mpjpe_scale_only() -> None:
    ref = np.array([[[1.0, 0, 0]]])
    pred = np.array([[[1.0, 1.0, 0]]])  # s = (p.r)/(p.p) = 1/2 -> (0.5, 0.5, 0)
    assert n_mpjpe(pred, ref).value == pytest.approx(np.sqrt(0.5) * 1000)
    ref2 = np.array([[[0.1, 0, 0], [0, 0.2, 0]]])
    assert n_mpjpe(2 * ref2, ref2).value == pytest.approx(0.0, abs=1e-12)
    assert mpjpe(2 * ref2, ref2).value == pytest.approx(150.0)  # (100 + 200) / 2


def test_mpjve_mm_per_second() -> None:
    ref = np.zeros((3, 1, 3))
    pred = np.zeros((3, 1, 3))
    pred[:, 0, 0] = [0.0, 0.001, 0.002]  # moves 1 mm per frame
    res = mpjve(pred, ref, fps=50)
    assert res.value == pytest.approx(50.0)  # 1 mm/frame at 50 fps
    assert res.per_frame.shape == (2,)
    pred[1] = np.nan  # both intervals touch frame 1
    assert mpjve(pred, ref, fps=50).n_frames == 0
    with pytest.raises(InvalidInputError, match="fps="):
        mpjve(pred, ref, fps=0)


def test_bad_input_raises() -> None:
    with pytest.raises(InvalidInputError, match="pred="):
        mpjpe(np.zeros((2, 3, 3)), np.zeros((2, 4, 3)))
    with pytest.raises(InvalidInputError, match="ref="):
        mpjpe(np.zeros((2, 3, 3)), np.zeros((2, 3, 2)))
    with pytest.raises(InvalidInputError, match="align="):
        joint_errors(np.zeros((1, 3, 3)), np.zeros((1, 3, 3)), align="rigid")  # type: ignore[arg-type]
