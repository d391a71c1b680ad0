"""Repetition detection and range of motion from a 1-D joint-angle signal.

Method: NaN gaps are bridged by linear interpolation (edges held), the signal is smoothed
with a Gaussian of standard deviation `smooth_s`, and repetitions are the peaks found by
`scipy.signal.find_peaks` with a minimal prominence (degrees) and a minimal distance between
peaks (`min_period_s`). The valley between two peaks (or between a peak and the signal's
end) is the lowest smoothed sample there; a repetition starts at the last frame before its
peak still within `onset_fraction` of the rise above the preceding valley, and ends at the
first frame after the peak back within that fraction above the following valley.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from posearena.errors import InvalidInputError

from ._checks import as_array, non_negative, positive


@dataclass(frozen=True)
class Repetition:
    """One repetition of an exercise.

    Attributes:
        start: frame index where the movement leaves the rest position.
        peak: frame index of the extreme angle.
        end: frame index where the movement is back near rest.
        rom_deg: range of motion, |smoothed peak − lower of the two valleys|, degrees.
        peak_deg: smoothed angle at the peak, degrees.
        duration_s: (end − start) / fps, seconds.
    """

    start: int
    peak: int
    end: int
    rom_deg: float
    peak_deg: float
    duration_s: float


def fill_gaps(x: ArrayLike) -> np.ndarray:
    """Bridge NaN samples of a 1-D signal by linear interpolation (edges held constant).

    Args:
        x: (T,) signal with at least one finite sample.

    Returns:
        (T,) signal without NaN.
    """
    arr = as_array(x, "angle", ndim=1)
    ok = np.isfinite(arr)
    if not ok.any():
        raise InvalidInputError("angle", "all NaN", "at least one finite sample")
    idx = np.arange(arr.size)
    return np.interp(idx, idx[ok], arr[ok])


def _smooth(x: np.ndarray, fps: float, smooth_s: float) -> np.ndarray:
    """Gaussian smoothing with standard deviation `smooth_s` seconds (0 = none)."""
    return gaussian_filter1d(x, smooth_s * fps, mode="nearest") if smooth_s > 0 else x.copy()


def detect_repetitions(
    angle: ArrayLike,
    fps: float,
    min_prominence_deg: float = 20.0,
    min_period_s: float = 1.0,
    smooth_s: float = 0.1,
    direction: Literal["max", "min"] = "max",
    onset_fraction: float = 0.1,
) -> list[Repetition]:
    """Detect repetitions in a joint-angle signal.

    Args:
        angle: (T,) joint angle in degrees (NaN = missing), e.g. shoulder abduction.
        fps: sampling rate, Hz.
        min_prominence_deg: minimal prominence of a repetition's peak above its
            surroundings, degrees (rejects noise and small movements).
        min_period_s: minimal time between two peaks, seconds.
        smooth_s: standard deviation of the Gaussian smoothing, seconds (0 = none).
        direction: "max" if a repetition peaks at a maximum of the angle (abduction,
            flexion), "min" if at a minimum (e.g. an angle that decreases during the
            effort).
        onset_fraction: fraction in [0, 1) of the rise used to place start and end.

    Returns:
        Repetitions in time order (empty when none is found).

    Raises:
        InvalidInputError: not 1-D, fewer than 3 finite samples, or bad parameters.
    """
    raw = as_array(angle, "angle", ndim=1)
    if int(np.isfinite(raw).sum()) < 3:
        raise InvalidInputError("angle", f"{int(np.isfinite(raw).sum())} finite samples", ">= 3")
    rate = positive(fps, "fps")
    prom = positive(min_prominence_deg, "min_prominence_deg")
    period = non_negative(min_period_s, "min_period_s")
    sm = non_negative(smooth_s, "smooth_s")
    frac = non_negative(onset_fraction, "onset_fraction")
    if frac >= 1:
        raise InvalidInputError("onset_fraction", onset_fraction, "a fraction in [0, 1)")
    if direction not in ("max", "min"):
        raise InvalidInputError("direction", direction, "'max' or 'min'")
    sign = 1.0 if direction == "max" else -1.0
    sig = sign * _smooth(fill_gaps(raw), rate, sm)
    distance = max(1, round(period * rate))
    peaks, _ = find_peaks(sig, prominence=prom, distance=distance)
    reps: list[Repetition] = []
    bounds = [0, *peaks.tolist(), sig.size - 1]
    for i, p in enumerate(peaks.tolist()):
        lo, hi = bounds[i], bounds[i + 2]
        v0 = lo + int(np.argmin(sig[lo : p + 1]))
        v1 = p + int(np.argmin(sig[p : hi + 1]))
        top = sig[p]
        rise = np.flatnonzero(sig[v0 : p + 1] <= sig[v0] + frac * (top - sig[v0]))
        fall = np.flatnonzero(sig[p : v1 + 1] <= sig[v1] + frac * (top - sig[v1]))
        start = v0 + int(rise[-1]) if rise.size else v0
        end = p + int(fall[0]) if fall.size else v1
        reps.append(
            Repetition(
                start=start,
                peak=p,
                end=end,
                rom_deg=float(top - min(sig[v0], sig[v1])),
                peak_deg=float(sign * top),
                duration_s=(end - start) / rate,
            )
        )
    return reps
