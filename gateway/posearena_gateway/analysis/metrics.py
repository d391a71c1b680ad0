"""3D pose error metrics: MPJPE, P-MPJPE, N-MPJPE, MPJVE, PCK and per-joint errors.

Inputs are frame-aligned (T, J, 3) arrays in metres (prediction and reference in the same
frame and joint order); errors are returned in millimetres. NaN joints are skipped: a joint
sample counts only where both prediction and reference are finite, and a frame counts if it
has at least one such joint (three for the Procrustes alignment of P-MPJPE). Sequence
values are means over all counted joint samples (each joint sample weighs the same), as in
VideoPose3D's `mpjpe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array, non_negative, positive, same_shape
from .alignment import align_per_frame

Align = Literal["none", "procrustes", "scale"]

#: metres -> millimetres
MM_PER_M = 1000.0


@dataclass(frozen=True)
class MetricResult:
    """A sequence metric with its per-frame values and how much data it used.

    Attributes:
        value: the metric over the sequence (mm, mm/s, or a fraction in [0, 1] for PCK);
            NaN if no frame could be used.
        per_frame: (T,) value per frame ((T-1,) for MPJVE), NaN for unused frames.
        n_frames: number of frames that contributed.
        n_samples: number of joint samples (frame, joint pairs) that contributed.
        samples: (T, J) the samples averaged (mm, mm/s or 0/1 hits; NaN = unused), e.g. for
            `uncertainty.error_ci`.
    """

    value: float
    per_frame: np.ndarray
    n_frames: int
    n_samples: int
    samples: np.ndarray


def _pair(pred: ArrayLike, ref: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = as_array(pred, "pred", ndim=3, last_dim=3)
    r = as_array(ref, "ref", ndim=3, last_dim=3)
    same_shape(r, p, "ref", "pred")
    return p, r


def _scale_per_frame(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Scale each frame of p by the least-squares factor onto r (no centring, as n_mpjpe)."""
    ok = (np.isfinite(p).all(-1) & np.isfinite(r).all(-1))[..., None]
    pz, rz = np.where(ok, p, 0.0), np.where(ok, r, 0.0)
    num = (pz * rz).sum(axis=(1, 2))
    den = (pz * pz).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(den > 0, num / den, np.nan)
    return p * s[:, None, None]


def joint_errors(pred: ArrayLike, ref: ArrayLike, align: Align = "none") -> np.ndarray:
    """Euclidean error of every joint in every frame, in mm.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres.
        align: "none"; "procrustes" (per-frame similarity alignment of pred onto ref, as
            P-MPJPE); "scale" (per-frame least-squares scale only, as N-MPJPE).

    Returns:
        (T, J) errors in mm; NaN where pred or ref is NaN (or the frame cannot be aligned).
    """
    p, r = _pair(pred, ref)
    if align == "procrustes":
        p = align_per_frame(p, r, scale=True)
    elif align == "scale":
        p = _scale_per_frame(p, r)
    elif align != "none":
        raise InvalidInputError("align", align, "one of 'none', 'procrustes', 'scale'")
    return np.linalg.norm(p - r, axis=-1) * MM_PER_M


def _summarise(err: np.ndarray) -> MetricResult:
    """Mean over valid samples of a (T, J) error array."""
    ok = np.isfinite(err)
    n_frame = ok.sum(axis=1)
    total = np.where(ok, err, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_frame = np.where(n_frame > 0, total / np.maximum(n_frame, 1), np.nan)
    n = int(ok.sum())
    value = float(total.sum() / n) if n else float("nan")
    return MetricResult(value, per_frame, int((n_frame > 0).sum()), n, err)


def mpjpe(pred: ArrayLike, ref: ArrayLike) -> MetricResult:
    """Mean per-joint position error (mm), no alignment.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres (same frame and joint order).
    """
    return _summarise(joint_errors(pred, ref, "none"))


def p_mpjpe(pred: ArrayLike, ref: ArrayLike) -> MetricResult:
    """MPJPE (mm) after per-frame Procrustes alignment with scale (VideoPose3D's p_mpjpe).

    Frames with fewer than 3 valid joint pairs are skipped.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres.
    """
    return _summarise(joint_errors(pred, ref, "procrustes"))


def n_mpjpe(pred: ArrayLike, ref: ArrayLike) -> MetricResult:
    """MPJPE (mm) after a per-frame least-squares scale of pred (VideoPose3D's n_mpjpe).

    The scale s = Σ p·r / Σ p·p is fitted without centring, so pass root-relative poses
    (e.g. pelvis subtracted) as VideoPose3D does.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres.
    """
    return _summarise(joint_errors(pred, ref, "scale"))


def mpjve(pred: ArrayLike, ref: ArrayLike, fps: float) -> MetricResult:
    """Mean per-joint velocity error in mm/s.

    Velocities are finite differences between consecutive frames times `fps`; the error is
    the Euclidean norm of the velocity difference, averaged over valid samples. (Dividing
    by `fps` gives VideoPose3D's per-frame `mean_velocity_error`.)

    Args:
        pred: (T, J, 3) predicted joints, metres, T >= 2.
        ref: (T, J, 3) reference joints, metres.
        fps: frame rate, Hz.

    Returns:
        `MetricResult` whose per_frame has shape (T-1,) (interval t -> t+1).
    """
    p, r = _pair(pred, ref)
    rate = positive(fps, "fps")
    if p.shape[0] < 2:
        raise InvalidInputError("pred", f"shape {p.shape}", "at least 2 frames for velocities")
    dv = (np.diff(p, axis=0) - np.diff(r, axis=0)) * rate
    return _summarise(np.linalg.norm(dv, axis=-1) * MM_PER_M)


def pck(
    pred: ArrayLike, ref: ArrayLike, threshold_mm: float = 150.0, align: Align = "none"
) -> MetricResult:
    """Percentage of correct keypoints as a fraction in [0, 1] (3D PCK).

    A joint sample is correct when its error is <= `threshold_mm`.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres.
        threshold_mm: distance threshold in mm (default 150 mm).
        align: alignment before measuring, see `joint_errors`.

    Returns:
        `MetricResult` with value and per_frame as fractions of valid joints.
    """
    thr = non_negative(threshold_mm, "threshold_mm")
    err = joint_errors(pred, ref, align)
    hit = np.where(np.isfinite(err), (err <= thr).astype(float), np.nan)
    return _summarise(hit)


def per_joint_errors(
    pred: ArrayLike, ref: ArrayLike, align: Align = "none"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean error of each joint over the sequence.

    Args:
        pred: (T, J, 3) predicted joints, metres.
        ref: (T, J, 3) reference joints, metres.
        align: alignment before measuring, see `joint_errors`.

    Returns:
        (errors, counts): errors (J,) mean error in mm (NaN for a joint never valid),
        counts (J,) number of frames used per joint.
    """
    err = joint_errors(pred, ref, align)
    ok = np.isfinite(err)
    counts = ok.sum(axis=0)
    total = np.where(ok, err, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, total / np.maximum(counts, 1), np.nan)
    return mean, counts
