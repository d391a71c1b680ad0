"""Temporal post-processing of 3D trajectories: gap filling and zero-phase low-pass.

scipy is imported where a gap is filled or a filter applied, not with this module: its
interpolate and signal packages took 0.3-0.5 s of the stereo service's start-up, which every
`posearena triangulate` waited for, while most sequences have no gap to fill. A service left
idle after its start imports them meanwhile (`import_scipy`, called by the server), so that a
comparison's first request, seconds later, does not wait for them either.
"""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError


def import_scipy() -> None:
    """Import the scipy parts this module uses (0.3-0.5 s; see the module text)."""
    import scipy.interpolate  # loaded here, used by the functions below
    import scipy.signal  # noqa: F401


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where the 1-D bool mask is True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def interpolate_gaps(points: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill interior NaN gaps of at most ``max_gap`` frames, joint by joint.

    A cubic spline through all valid frames of the joint fills each gap (linear when the
    joint has fewer than 4 valid frames); gaps at the start or end and longer gaps stay NaN.

    Args:
        points: (T, J, D) trajectories (m or px), NaN where missing.
        max_gap: longest gap to fill, frames (0 = none).

    Returns:
        filled (T, J, D): a float64 copy, or ``points`` itself (as float64) when no gap is
        filled; interpolated (T, J) bool.
    """
    if max_gap < 0:
        raise InvalidInputError("max_gap_frames", max_gap, "an integer >= 0")
    P = np.asarray(points, dtype=np.float64)
    if P.ndim != 3 or P.shape[2] < 1:
        raise InvalidInputError("points", P.shape, "shape (T, J, D), D >= 1")
    T, J, _ = P.shape
    filled = np.zeros((T, J), bool)
    if max_gap == 0:
        return P, filled
    valid = np.isfinite(P[..., 0])  # coordinate by coordinate: 5x faster than .all(axis=2)
    for d in range(1, P.shape[2]):
        valid &= np.isfinite(P[..., d])
    todo = []  # (joint, frames to fill), found first: nothing is copied when none is
    for j in np.flatnonzero(~valid.all(axis=0)):  # joints missing somewhere
        ok = valid[:, j]
        if ok.sum() < 2:
            continue
        first, last = np.flatnonzero(ok)[[0, -1]]
        gaps = [(a, b) for a, b in _runs(~ok) if a > first and b <= last and b - a <= max_gap]
        if gaps:
            todo.append((j, np.concatenate([np.arange(a, b) for a, b in gaps])))
    if not todo:  # e.g. only gaps longer than max_gap: 16 MB not copied at 40,000 x 17
        return P, filled
    from scipy.interpolate import CubicSpline  # here, not at the top: module text

    P = P.copy()
    frames = np.arange(T)
    for j, idx in todo:
        ok = valid[:, j]
        if ok.sum() >= 4:
            P[idx, j] = CubicSpline(frames[ok], P[ok, j], axis=0)(idx)
        else:
            for d in range(P.shape[2]):
                P[idx, j, d] = np.interp(idx, frames[ok], P[ok, j, d])
        filled[idx, j] = True
    return P, filled


def butterworth_lowpass(points: np.ndarray, cutoff_hz: float, fps: float,
                        order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass (scipy.signal.filtfilt) of each finite segment.

    Every run of consecutive finite frames of a joint is filtered on its own; runs shorter
    than filtfilt's padding (3·(order + 1) frames) are left as they are, NaN stays NaN.

    Args:
        points: (T, J, D) trajectories (m or px).
        cutoff_hz: cutoff frequency, Hz, 0 < cutoff < fps / 2.
        fps: frame rate, Hz.
        order: filter order.

    Returns:
        (T, J, D) filtered copy.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise InvalidInputError("fps", fps, "a frame rate > 0 (needed by the low-pass filter)")
    if not (0 < cutoff_hz < fps / 2):
        raise InvalidInputError("filter_cutoff_hz", cutoff_hz, f"0 < cutoff < fps/2 = {fps / 2}")
    P = np.array(points, dtype=np.float64)
    if P.ndim != 3:
        raise InvalidInputError("points", P.shape, "shape (T, J, D)")
    from scipy.signal import butter, filtfilt  # here, not at the top: module text

    b, a = butter(order, cutoff_hz / (fps / 2.0), btype="low")
    padlen = 3 * max(len(a), len(b))
    valid = np.isfinite(P).all(axis=2)
    for j in range(P.shape[1]):
        for start, stop in _runs(valid[:, j]):
            if stop - start > padlen:
                P[start:stop, j] = filtfilt(b, a, P[start:stop, j], axis=0, padlen=padlen)
    return P
