"""Spatial alignment: Kabsch / Umeyama recover known transforms, sequence and per-frame use."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.alignment import (
    align_per_frame,
    align_sequence,
    apply_transform,
    kabsch,
    umeyama,
)


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def test_kabsch_hand_computed_quarter_turn() -> None:
    X = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    Rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)  # +90 deg about z
    Y = X @ Rz.T + [1.0, 2.0, 3.0]
    R, t = kabsch(X, Y)
    np.testing.assert_allclose(R, Rz, atol=1e-12)
    np.testing.assert_allclose(t, [1.0, 2.0, 3.0], atol=1e-12)


def test_umeyama_recovers_similarity_with_nan_rows() -> None:
    rng = np.random.default_rng(0)
    R0, t0, s0 = _rotation(rng), np.array([0.3, -1.2, 2.5]), 1.7
    X = rng.normal(size=(30, 3))
    Y = s0 * X @ R0.T + t0
    X[3] = np.nan  # NaN rows in either set are ignored
    Y[7, 1] = np.nan
    s, R, t = umeyama(X, Y)
    assert abs(s - s0) < 1e-9
    np.testing.assert_allclose(R, R0, atol=1e-9)
    np.testing.assert_allclose(t, t0, atol=1e-9)
    R2, t2 = kabsch(X, (Y - t0) / s0 + t0)  # pure rigid version of the same data
    np.testing.assert_allclose(R2, R0, atol=1e-9)
    np.testing.assert_allclose(t2, t0, atol=1e-9)


def test_umeyama_excludes_reflections() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    Y = X * [1.0, 1.0, -1.0]  # a mirror image: the best proper rotation is not the mirror
    s, R, _ = umeyama(X, Y)
    assert np.linalg.det(R) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert not np.allclose(s * X @ R.T, Y, atol=1e-3)


def test_too_few_points_and_bad_shapes_raise() -> None:
    X = np.array([[0, 0, 0], [1, 0, 0], [np.nan, 0, 0]], float)
    with pytest.raises(InvalidInputError, match=r"X=.*2 valid point pairs"):
        kabsch(X, X)
    with pytest.raises(InvalidInputError, match="Y="):
        umeyama(np.zeros((4, 3)), np.zeros((5, 3)))
    with pytest.raises(InvalidInputError, match="X="):
        umeyama(np.zeros((4, 2)), np.zeros((4, 2)))


def test_align_sequence_one_transform_for_all_frames() -> None:
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(40, 17, 3))
    R0, t0, s0 = _rotation(rng), np.array([0.1, 0.2, -0.3]), 0.8
    pred = (ref - t0) @ R0 / s0  # so that s0 R0 pred + t0 = ref
    pred[5, 3] = np.nan
    aligned, fit = align_sequence(pred, ref, mode="similarity")
    assert abs(fit.s - s0) < 1e-9
    np.testing.assert_allclose(fit.R, R0, atol=1e-9)
    assert np.isnan(aligned[5, 3]).all()
    ok = np.isfinite(aligned)
    np.testing.assert_allclose(aligned[ok], ref[ok], atol=1e-9)
    rigid, fit_r = align_sequence(pred, ref, mode="rigid")
    assert fit_r.s == 1.0 and np.nanmax(np.abs(rigid - ref)) > 0.01  # scale left out
    shifted, fit_t = align_sequence(ref - [1.0, 2.0, 3.0], ref, mode="translation")
    np.testing.assert_allclose(fit_t.t, [1.0, 2.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(shifted, ref, atol=1e-12)
    with pytest.raises(InvalidInputError, match="mode="):
        align_sequence(pred, ref, mode="affine")  # type: ignore[arg-type]


def test_align_per_frame_recovers_different_transform_per_frame() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(6, 5, 3))
    pred = np.stack([apply_transform(f, _rotation(rng), rng.normal(size=3), 0.5 + i) for i, f in
                     enumerate(ref)])  # fmt: skip
    pred[2, :3] = np.nan  # only 2 valid joints left in frame 2 -> cannot be aligned
    out = align_per_frame(pred, ref)
    assert np.isnan(out[2]).all()
    keep = [0, 1, 3, 4, 5]
    np.testing.assert_allclose(out[keep], ref[keep], atol=1e-9)
    _, fit = align_sequence(pred, ref)  # a single transform cannot fit all frames
    assert np.nanmax(np.abs(fit.apply(pred) - ref)) > 0.1
