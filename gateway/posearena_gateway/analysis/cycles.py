"""Repetitions as cycles: cut, time-normalised to 0–100 %, averaged, and their extremes.

A repetition (start and end frame, `analysis.repetitions`) of a reference angle signal is
cut from both the reference and the candidate at the same frames and resampled at
`points` equally spaced instants from start (0 %) to end (100 %) by linear interpolation
between the two neighbouring frames (NaN when either neighbour is NaN: no gap is filled).
Per cycle, peak = largest and trough = smallest sample of the raw (unsmoothed) signal within
[start, end], range = peak − trough; errors are candidate − reference.
Angles in degrees; frames on the reference's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array

#: Samples of a normalised cycle: 0, 1, ..., 100 %.
CYCLE_POINTS = 101


def time_normalise(x: ArrayLike, start: int, end: int, points: int = CYCLE_POINTS) -> np.ndarray:
    """Resample frames [start, end] of a signal at `points` instants from 0 to 100 %.

    Args:
        x: (T,) signal (e.g. degrees), NaN = missing.
        start, end: first and last frame of the cycle, 0 <= start < end < T.
        points: number of output samples (>= 2).

    Returns:
        (points,) resampled signal; NaN between two frames when either is NaN.

    Raises:
        InvalidInputError: bad frame range or points.
    """
    arr = as_array(x, "signal", ndim=1)
    if not (0 <= start < end < arr.size):
        raise InvalidInputError("start/end", (start, end), f"0 <= start < end < {arr.size}")
    if points < 2:
        raise InvalidInputError("points", points, ">= 2")
    t = np.linspace(float(start), float(end), points)
    i0 = np.minimum(np.floor(t).astype(int), end - 1)
    w = t - i0
    x0, x1 = arr[i0], arr[i0 + 1]
    with np.errstate(invalid="ignore"):
        mixed = x0 * (1.0 - w) + x1 * w
    # a sample on a frame is that frame's value, whatever its neighbour holds
    return np.where(w == 0.0, x0, np.where(w == 1.0, x1, mixed))


@dataclass(frozen=True)
class CycleExtremes:
    """Peak, trough and range of one cycle, reference and candidate (degrees; NaN = none).

    Attributes:
        start, end: frames of the cycle on the reference's clock.
        peak_ref, peak_cand, trough_ref, trough_cand, range_ref, range_cand: degrees.
    """

    start: int
    end: int
    peak_ref: float
    peak_cand: float
    trough_ref: float
    trough_cand: float
    range_ref: float
    range_cand: float

    @property
    def errors(self) -> tuple[float, float, float]:
        """(peak, trough, range) errors, candidate − reference, degrees."""
        return (self.peak_cand - self.peak_ref, self.trough_cand - self.trough_ref,
                self.range_cand - self.range_ref)


def _extremes(x: np.ndarray) -> tuple[float, float]:
    ok = x[np.isfinite(x)]
    return (float(ok.max()), float(ok.min())) if ok.size else (float("nan"), float("nan"))


@dataclass(frozen=True)
class CycleSet:
    """All cycles of one angle for one candidate.

    Attributes:
        ref, cand: (C, points) time-normalised reference and candidate cycles, degrees.
        extremes: C `CycleExtremes`, in time order.
    """

    ref: np.ndarray
    cand: np.ndarray
    extremes: list[CycleExtremes]

    @property
    def error(self) -> np.ndarray:
        """(C, points) candidate − reference, degrees."""
        return self.cand - self.ref


def cut_cycles(ref: ArrayLike, cand: ArrayLike, bounds: Sequence[tuple[int, int]],
               points: int = CYCLE_POINTS) -> CycleSet:
    """Cut both signals at the same frame bounds and time-normalise every cycle.

    Args:
        ref, cand: (T,) reference and candidate angle on the same clock, degrees.
        bounds: (start, end) frames of each cycle (from the reference's repetitions).
        points: samples per cycle.

    Returns:
        `CycleSet` with C = len(bounds) cycles.
    """
    r = as_array(ref, "ref", ndim=1)
    c = as_array(cand, "cand", ndim=1)
    if r.shape != c.shape:
        raise InvalidInputError("cand", c.shape, f"the reference's shape {r.shape}")
    rc = np.full((len(bounds), points), np.nan)
    cc = np.full((len(bounds), points), np.nan)
    ext = []
    for i, (s, e) in enumerate(bounds):
        rc[i] = time_normalise(r, s, e, points)
        cc[i] = time_normalise(c, s, e, points)
        pr, tr = _extremes(r[s:e + 1])
        pc, tc = _extremes(c[s:e + 1])
        ext.append(CycleExtremes(s, e, pr, pc, tr, tc, pr - tr, pc - tc))
    return CycleSet(rc, cc, ext)


def mean_sd(cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample SD (ddof 1) across cycles at every % of the cycle, NaN-aware.

    Args:
        cycles: (C, points) degrees.

    Returns:
        (points,) mean and (points,) SD; SD is NaN where fewer than 2 cycles have a value,
        the mean where none has.
    """
    x = np.asarray(cycles, dtype=np.float64)
    n = np.isfinite(x).sum(axis=0)
    total = np.where(np.isfinite(x), x, 0.0).sum(axis=0)
    mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    sq = np.where(np.isfinite(x), (x - mean) ** 2, 0.0).sum(axis=0)
    sd = np.where(n > 1, np.sqrt(sq / np.maximum(n - 1, 1)), np.nan)
    return mean, sd
