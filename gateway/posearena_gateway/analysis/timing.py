"""Temporal alignment: resampling, time-offset estimation and cropping to the overlap.

Time convention: frame i of a sequence at `fps` is at time i / fps seconds. A time offset
`lag_s` between two recordings a and b means ``b(t) ≈ a(t - lag_s)``: an event at time t0
in a appears at t0 + lag_s in b (b lags behind a by lag_s; negative when b is ahead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array, positive

_EPS = 1e-9


def sample_at(x: ArrayLike, fps: float, times_s: ArrayLike) -> np.ndarray:
    """Linear interpolation of a sampled sequence at arbitrary times (NaN-aware).

    Args:
        x: (T, ...) sequence, frame i at i / fps.
        fps: sampling rate of `x` in Hz.
        times_s: (K,) query times in seconds.

    Returns:
        (K, ...) values. NaN where the time is outside [0, (T-1)/fps] or where one of the two
        bracketing samples is NaN (no interpolation across gaps; an exact hit on a valid
        sample is returned as is).
    """
    arr = as_array(x, "x", min_len=1)
    rate = positive(fps, "fps")
    t = as_array(times_s, "times_s", ndim=1)
    idx = t * rate
    near = np.rint(idx)
    idx = np.where(np.abs(idx - near) < _EPS, near, idx)
    n = arr.shape[0]
    inside = np.isfinite(idx) & (idx >= 0) & (idx <= n - 1)
    safe = np.where(inside, idx, 0.0)
    i0 = np.floor(safe).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (safe - i0).reshape((-1,) + (1,) * (arr.ndim - 1))
    lo, hi = arr[i0], arr[i1]
    exact = frac == 0
    with np.errstate(invalid="ignore"):
        out = np.where(exact, lo, lo * (1 - frac) + hi * frac)
    out[~inside] = np.nan
    return out


def resample(x: ArrayLike, fps_in: float, fps_out: float) -> np.ndarray:
    """Resample a sequence to another rate by linear interpolation (NaN-aware).

    Args:
        x: (T, ...) sequence at `fps_in` Hz (frame i at i / fps_in).
        fps_in: input rate in Hz.
        fps_out: output rate in Hz.

    Returns:
        (T', ...) with T' = floor((T - 1) · fps_out / fps_in) + 1; output frame k is at
        k / fps_out seconds, within the input's time span. See `sample_at` for NaN rules.
    """
    arr = as_array(x, "x", min_len=1)
    f_in, f_out = positive(fps_in, "fps_in"), positive(fps_out, "fps_out")
    count = int(np.floor((arr.shape[0] - 1) * f_out / f_in + _EPS)) + 1
    return sample_at(arr, f_in, np.arange(count) / f_out)


def _as_signals(x: ArrayLike, field: str) -> np.ndarray:
    arr = as_array(x, field, ndim=(1, 2), min_len=2)
    return arr[:, None] if arr.ndim == 1 else arr


def cross_correlation(
    a: ArrayLike, b: ArrayLike, max_lag: int, min_overlap: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlation of 1-D signals over integer lags (NaN-aware).

    For each lag k in [-max_lag, max_lag] frames, the Pearson correlation between a[i]
    and b[i + k] over the samples where both are finite; with several signals (columns),
    the mean of the per-signal correlations that are defined.

    Args:
        a: (Ta,) or (Ta, K) signals (e.g. joint angles in degrees).
        b: (Tb,) or (Tb, K) signals, same K, same sampling rate as `a`.
        max_lag: largest lag tested, in frames (>= 0).
        min_overlap: minimal number of common valid samples for a defined correlation.

    Returns:
        (lags, corr): lags (L,) integer frames, corr (L,) in [-1, 1] or NaN where undefined
        (too little overlap, or a constant signal within the overlap).
    """
    sa, sb = _as_signals(a, "a"), _as_signals(b, "b")
    if sa.shape[1] != sb.shape[1]:
        raise InvalidInputError("b", f"{sb.shape[1]} signals", f"{sa.shape[1]} signals as in a")
    if int(max_lag) != max_lag or max_lag < 0:
        raise InvalidInputError("max_lag", max_lag, "an integer >= 0 (frames)")
    max_lag = int(max_lag)
    lags = np.arange(-max_lag, max_lag + 1)
    corr = np.full(lags.shape, np.nan)
    ta, tb = sa.shape[0], sb.shape[0]
    for j, k in enumerate(lags):
        i_lo, i_hi = max(0, -k), min(ta, tb - k)
        if i_hi - i_lo < min_overlap:
            continue
        xa, xb = sa[i_lo:i_hi], sb[i_lo + k : i_hi + k]
        ok = np.isfinite(xa) & np.isfinite(xb)
        n = ok.sum(axis=0)
        rs = []
        for c in np.flatnonzero(n >= min_overlap):
            u, v = xa[ok[:, c], c], xb[ok[:, c], c]
            u, v = u - u.mean(), v - v.mean()
            den = np.sqrt((u * u).sum() * (v * v).sum())
            if den > 0:
                rs.append(float((u * v).sum() / den))
        if rs:
            corr[j] = float(np.mean(rs))
    return lags, corr


@dataclass(frozen=True)
class TimeOffset:
    """Result of a time-offset search.

    Attributes:
        lag_s: offset in seconds, b(t) ≈ a(t - lag_s), with sub-frame refinement.
        correlation: peak normalised correlation in [-1, 1] (quality indicator).
        at_boundary: True if the peak lies at ±max_lag (the true lag may be larger).
    """

    lag_s: float
    correlation: float
    at_boundary: bool


def find_time_offset(
    a: ArrayLike, b: ArrayLike, fps: float, max_lag_s: float, min_overlap: float = 0.5
) -> TimeOffset:
    """Time offset between two recordings by normalised cross-correlation.

    The integer lag of maximal (mean) correlation is refined to sub-frame precision by a
    parabola through the peak and its two neighbours.

    Args:
        a: (Ta,) or (Ta, K) signals (e.g. K joint angles, degrees) of recording a.
        b: (Tb,) or (Tb, K) the same signals of recording b, at the same `fps` (use
            `resample` first when the rates differ).
        fps: common sampling rate in Hz.
        max_lag_s: largest |offset| searched, seconds.
        min_overlap: minimal overlap as a fraction (0, 1] of min(Ta, Tb) frames.

    Returns:
        `TimeOffset` (lag_s such that b(t) ≈ a(t - lag_s)).

    Raises:
        InvalidInputError: bad shapes/parameters, or no lag with a defined correlation.
    """
    rate = positive(fps, "fps")
    max_lag = int(np.floor(positive(max_lag_s, "max_lag_s") * rate + _EPS))
    frac = positive(min_overlap, "min_overlap")
    if frac > 1:
        raise InvalidInputError("min_overlap", min_overlap, "a fraction in (0, 1]")
    sa, sb = _as_signals(a, "a"), _as_signals(b, "b")
    need = max(3, int(np.ceil(frac * min(sa.shape[0], sb.shape[0]))))
    lags, corr = cross_correlation(sa, sb, max_lag, need)
    if not np.isfinite(corr).any():
        raise InvalidInputError(
            "a", "no defined correlation", f">= {need} common valid, non-constant samples"
        )
    j = int(np.nanargmax(corr))
    delta = 0.0
    if 0 < j < len(lags) - 1 and np.isfinite(corr[j - 1]) and np.isfinite(corr[j + 1]):
        c0, cm, cp = corr[j], corr[j - 1], corr[j + 1]
        curv = cm - 2 * c0 + cp
        if curv < 0:
            delta = float(np.clip(0.5 * (cm - cp) / curv, -0.5, 0.5))
    return TimeOffset(
        lag_s=(float(lags[j]) + delta) / rate,
        correlation=float(corr[j]),
        at_boundary=bool(j in (0, len(lags) - 1)),
    )


def estimate_time_offset(
    a: ArrayLike, b: ArrayLike, fps: float, max_lag_s: float, min_overlap: float = 0.5
) -> float:
    """Offset lag_s (seconds) with b(t) ≈ a(t - lag_s) of two 1-D signals (Ta,), (Tb,).

    See `find_time_offset` for the method and arguments.
    """
    for field, sig in (("a", a), ("b", b)):
        as_array(sig, field, ndim=1, min_len=2)
    return find_time_offset(a, b, fps, max_lag_s, min_overlap).lag_s


def estimate_time_offset_multi(
    a: ArrayLike, b: ArrayLike, fps: float, max_lag_s: float, min_overlap: float = 0.5
) -> float:
    """Offset lag_s (seconds) from several signals a (Ta, K), b (Tb, K) jointly.

    The correlations of the K signals are averaged (equivalently summed) per lag before the
    peak search. See `find_time_offset`.
    """
    for field, sig in (("a", a), ("b", b)):
        as_array(sig, field, ndim=2, min_len=2)
    return find_time_offset(a, b, fps, max_lag_s, min_overlap).lag_s


@dataclass(frozen=True)
class AlignedPair:
    """Two sequences on one common time grid.

    Attributes:
        a: (T, ...) samples of a.
        b: (T, ...) samples of b, shifted so that b[k] corresponds to a[k].
        fps: rate of the common grid, Hz.
        t0_s: time of frame 0 in a's clock (seconds); frame k is at t0_s + k / fps in a's
            clock and at t0_s + lag_s + k / fps in b's clock.
    """

    a: np.ndarray
    b: np.ndarray
    fps: float
    t0_s: float


def align_sequences(
    a: ArrayLike,
    fps_a: float,
    b: ArrayLike,
    fps_b: float,
    lag_s: float,
    fps_out: float | None = None,
) -> AlignedPair:
    """Shift b by lag_s, resample both to one rate and crop both to their time overlap.

    Args:
        a: (Ta, ...) sequence at `fps_a` Hz (e.g. (Ta, J, 3) joints in metres).
        fps_a: rate of a, Hz.
        b: (Tb, ...) sequence at `fps_b` Hz, same trailing shape as a.
        fps_b: rate of b, Hz.
        lag_s: offset with b(t) ≈ a(t - lag_s), e.g. from `estimate_time_offset`.
        fps_out: rate of the common grid (default `fps_a`).

    Returns:
        `AlignedPair` with a and b of equal length, linearly interpolated (NaN-aware).

    Raises:
        InvalidInputError: bad rates, different trailing shapes, or no overlap.
    """
    xa, xb = as_array(a, "a", min_len=1), as_array(b, "b", min_len=1)
    if xa.shape[1:] != xb.shape[1:]:
        raise InvalidInputError("b", f"shape {xb.shape}", f"trailing shape {xa.shape[1:]}")
    fa, fb = positive(fps_a, "fps_a"), positive(fps_b, "fps_b")
    fo = fa if fps_out is None else positive(fps_out, "fps_out")
    lag = float(lag_s)
    if not np.isfinite(lag):
        raise InvalidInputError("lag_s", lag_s, "a finite number of seconds")
    t0 = max(0.0, -lag)
    t1 = min((xa.shape[0] - 1) / fa, (xb.shape[0] - 1) / fb - lag)
    if t1 < t0 - _EPS:
        raise InvalidInputError("lag_s", lag_s, "an offset leaving a time overlap of a and b")
    count = int(np.floor((t1 - t0) * fo + _EPS)) + 1
    times = t0 + np.arange(count) / fo
    return AlignedPair(sample_at(xa, fa, times), sample_at(xb, fb, times + lag), fo, t0)
