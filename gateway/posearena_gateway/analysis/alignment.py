"""Spatial alignment (Kabsch, Umeyama) of 3D point sets and whole sequences.

All transforms map a source set X onto a target set Y as ``Y ≈ s · R @ X + t`` (row-wise:
``Y ≈ s · X @ R.T + t``), with R a proper rotation (det R = +1, reflections excluded),
s > 0 a uniform scale and t a translation in the units of the input (metres by convention).
Rows with a NaN in X or Y are ignored when fitting. Time alignment (resampling, time offsets)
is implemented in `timing` and re-exported here (`resample`, `estimate_time_offset`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array, same_shape
from .timing import (
    AlignedPair,
    TimeOffset,
    align_sequences,
    estimate_time_offset,
    estimate_time_offset_multi,
    find_time_offset,
    resample,
    sample_at,
)

__all__ = [
    "AlignedPair",
    "Similarity",
    "TimeOffset",
    "align_per_frame",
    "align_sequence",
    "align_sequences",
    "apply_transform",
    "estimate_time_offset",
    "estimate_time_offset_multi",
    "find_time_offset",
    "kabsch",
    "resample",
    "sample_at",
    "umeyama",
]

AlignMode = Literal["rigid", "similarity", "translation"]

#: Minimal number of valid (non-NaN) point pairs for a rotation fit.
MIN_POINTS = 3


@dataclass(frozen=True)
class Similarity:
    """A similarity transform ``y = s · R @ x + t``.

    Attributes:
        s: uniform scale (1.0 for a rigid transform).
        R: (3, 3) rotation matrix, det = +1.
        t: (3,) translation, units of the target.
    """

    s: float
    R: np.ndarray
    t: np.ndarray

    def apply(self, x: ArrayLike) -> np.ndarray:
        """Transform points `x` (..., 3) -> (..., 3); NaN rows stay NaN."""
        return apply_transform(x, self.R, self.t, self.s)


def apply_transform(x: ArrayLike, R: ArrayLike, t: ArrayLike, s: float = 1.0) -> np.ndarray:
    """Apply ``s · R @ x + t`` to every point.

    Args:
        x: (..., 3) points.
        R: (3, 3) rotation.
        t: (3,) translation.
        s: scale.

    Returns:
        (..., 3) transformed points (NaN where `x` is NaN).
    """
    pts = as_array(x, "x", last_dim=3)
    rot = as_array(R, "R", ndim=2)
    if rot.shape != (3, 3):
        raise InvalidInputError("R", f"shape {rot.shape}", "shape (3, 3)")
    trans = as_array(t, "t", ndim=1, last_dim=3)
    return float(s) * pts @ rot.T + trans


def _fit(X: np.ndarray, Y: np.ndarray, scale: bool) -> Similarity | None:
    """Least-squares similarity (or rigid) fit on the valid rows; None if < MIN_POINTS rows.

    Umeyama (1991): with centred sets and covariance C = Yc^T Xc / n = U D V^T,
    R = U S V^T with S = diag(1, 1, sign(det U · det V)), s = tr(D S) / var(X),
    t = mean(Y) - s R mean(X).
    """
    ok = np.isfinite(X).all(axis=1) & np.isfinite(Y).all(axis=1)
    n = int(ok.sum())
    if n < MIN_POINTS:
        return None
    x, y = X[ok], Y[ok]
    mx, my = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - mx, y - my
    cov = yc.T @ xc / n
    U, D, Vt = np.linalg.svd(cov)
    S = np.ones(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        S[2] = -1.0
    R = (U * S) @ Vt
    s = 1.0
    if scale:
        var_x = float((xc**2).sum() / n)
        if var_x <= 0:
            return None
        s = float((D * S).sum() / var_x)
    t = my - s * R @ mx
    return Similarity(s, R, t)


def _pair(X: ArrayLike, Y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = as_array(X, "X", ndim=2, last_dim=3)
    y = as_array(Y, "Y", ndim=2, last_dim=3)
    same_shape(x, y, "X", "Y")
    return x, y


def _fit_or_raise(x: np.ndarray, y: np.ndarray, scale: bool) -> Similarity:
    fit = _fit(x, y, scale)
    if fit is None:
        n = int((np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)).sum())
        raise InvalidInputError(
            "X", f"{n} valid point pairs", f">= {MIN_POINTS} non-NaN, non-coincident pairs"
        )
    return fit


def kabsch(X: ArrayLike, Y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Rigid transform minimising sum ||R x_i + t - y_i||² (Kabsch, reflection-safe).

    Args:
        X: (N, 3) source points (e.g. metres); rows with NaN are ignored.
        Y: (N, 3) target points, same units; rows with NaN are ignored.

    Returns:
        (R, t): R (3, 3) proper rotation, t (3,) translation, with ``Y ≈ X @ R.T + t``.

    Raises:
        InvalidInputError: shapes differ / not (N, 3), or fewer than 3 valid pairs.
    """
    x, y = _pair(X, Y)
    fit = _fit_or_raise(x, y, scale=False)
    return fit.R, fit.t


def umeyama(X: ArrayLike, Y: ArrayLike, scale: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity transform minimising sum ||s R x_i + t - y_i||² (Umeyama 1991).

    Args:
        X: (N, 3) source points; rows with NaN are ignored.
        Y: (N, 3) target points; rows with NaN are ignored.
        scale: estimate the scale s; if False, s = 1 (same as `kabsch`).

    Returns:
        (s, R, t): scale (> 0), (3, 3) proper rotation, (3,) translation.

    Raises:
        InvalidInputError: shapes differ / not (N, 3), fewer than 3 valid pairs, or all
            valid source points coincide.
    """
    x, y = _pair(X, Y)
    fit = _fit_or_raise(x, y, scale=scale)
    return fit.s, fit.R, fit.t


def _sequences(pred: ArrayLike, ref: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = as_array(pred, "pred", ndim=3, last_dim=3)
    r = as_array(ref, "ref", ndim=3, last_dim=3)
    same_shape(r, p, "ref", "pred")
    return p, r


def align_sequence(
    pred: ArrayLike, ref: ArrayLike, mode: AlignMode = "similarity"
) -> tuple[np.ndarray, Similarity]:
    """Align a whole sequence onto a reference with ONE transform for all frames.

    Args:
        pred: (T, J, 3) sequence to move (e.g. an estimator's output, metres).
        ref: (T, J, 3) reference sequence, frame-aligned with `pred`.
        mode: "similarity" (scale + rotation + translation), "rigid" (rotation +
            translation) or "translation" (mean offset only).

    Returns:
        (aligned, transform): aligned (T, J, 3) = transform applied to `pred` (NaN kept),
        and the fitted `Similarity`.

    Raises:
        InvalidInputError: bad shapes, unknown mode, or too few valid joint pairs.
    """
    p, r = _sequences(pred, ref)
    x, y = p.reshape(-1, 3), r.reshape(-1, 3)
    if mode == "translation":
        ok = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
        if not ok.any():
            raise InvalidInputError("pred", "no valid joint pairs", ">= 1 non-NaN pair")
        fit = Similarity(1.0, np.eye(3), (y[ok] - x[ok]).mean(axis=0))
    elif mode in ("rigid", "similarity"):
        fit = _fit_or_raise(x, y, scale=mode == "similarity")
    else:
        raise InvalidInputError("mode", mode, "one of 'rigid', 'similarity', 'translation'")
    return fit.apply(p), fit


def align_per_frame(pred: ArrayLike, ref: ArrayLike, scale: bool = True) -> np.ndarray:
    """Align each frame separately onto the reference (Procrustes, as for P-MPJPE).

    Args:
        pred: (T, J, 3) sequence to move.
        ref: (T, J, 3) reference, frame-aligned with `pred`.
        scale: fit a scale per frame (similarity) or not (rigid).

    Returns:
        (T, J, 3) aligned `pred`. A frame with fewer than 3 valid joint pairs (or all valid
        joints coinciding) is all NaN; NaN joints stay NaN.
    """
    p, r = _sequences(pred, ref)
    out = np.full_like(p, np.nan)
    for i in range(p.shape[0]):
        fit = _fit(p[i], r[i], scale)
        if fit is not None:
            out[i] = fit.apply(p[i])
    return out
