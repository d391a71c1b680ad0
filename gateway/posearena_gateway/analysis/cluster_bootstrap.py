"""Agreement of paired angles pooled over many sessions, with subject-clustered intervals.

Frames of one subject are not independent (same body, same habits, same Kinect placement),
nor are consecutive frames of one session. The interval of a pooled statistic therefore
comes from a two-stage bootstrap: subjects (clusters) are drawn with replacement, then each
session of every drawn subject is resampled in circular blocks of frames (Politis–White
block length of that session's differences, `analysis.uncertainty`). A subject drawn twice
contributes two independent block resamples.

Every statistic is a function of seven per-frame sums over the frames where both values
are finite ("moments"): n, Σx, Σy, Σx², Σy², Σxy and the count of |x − y| >= threshold,
with x the candidate and y the reference (degrees, shifted by a common constant, which
changes none of the statistics): bias, SD of the differences, Bland–Altman limits, RMSE,
ICC(A,1) (McGraw & Wong two-way absolute agreement, single measures; the ANOVA mean
squares follow from the sums) and the large-error rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.uncertainty import block_length

N_MOMENTS = 7
STATS = ("bias", "sd", "loa_low", "loa_high", "rmse", "icc", "large_rate")


def frame_moments(x: np.ndarray, y: np.ndarray, threshold: float,
                  shift: float = 0.0) -> np.ndarray:
    """(T, 7) per-frame moments of candidate x and reference y (degrees), 0 where not both.

    Args:
        x, y: (T,) candidate and reference angles, NaN = missing.
        threshold: large-error threshold, degrees.
        shift: subtracted from both before squaring (numerical conditioning only).
    """
    x = np.asarray(x, dtype=np.float64) - shift
    y = np.asarray(y, dtype=np.float64) - shift
    if x.shape != y.shape or x.ndim != 1:
        raise InvalidInputError("x/y", (x.shape, y.shape), "two (T,) arrays")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    big = ok & (np.abs(x - y) >= threshold)
    return np.stack([ok.astype(float), x, y, x * x, y * y, x * y, big.astype(float)], axis=1)


def stats_from_moments(m: np.ndarray, k: float = 1.96) -> dict[str, np.ndarray]:
    """Statistics of summed moments (..., 7); NaN where they cannot be computed.

    Returns:
        name -> array of shape (...): bias, sd, loa_low, loa_high, rmse (degrees), icc,
        large_rate (fraction).
    """
    m = np.asarray(m, dtype=np.float64)
    n, sx, sy, sxx, syy, sxy, big = (m[..., i] for i in range(N_MOMENTS))
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = (sx - sy) / n
        sdd = sxx - 2.0 * sxy + syy
        sd = np.sqrt(np.maximum(sdd - n * bias * bias, 0.0) / (n - 1.0))
        rmse = np.sqrt(sdd / n)
        g = (sx + sy) / (2.0 * n)
        ss_rows = 0.5 * (sxx + 2.0 * sxy + syy) - 2.0 * n * g * g
        ss_cols = n * ((sx / n - g) ** 2 + (sy / n - g) ** 2)
        ss_err = sxx + syy - 2.0 * n * g * g - ss_rows - ss_cols
        ms_r, ms_e = ss_rows / (n - 1.0), ss_err / (n - 1.0)
        den = ms_r + ms_e + 2.0 * (ss_cols - ms_e) / n
        icc = np.where(den > 0, (ms_r - ms_e) / den, np.nan)
        rate = big / n
    few = n < 3
    out = {"bias": bias, "sd": sd, "loa_low": bias - k * sd, "loa_high": bias + k * sd,
           "rmse": rmse, "icc": icc, "large_rate": rate}
    return {s: np.where(few, np.nan, v) for s, v in out.items()}


@dataclass(frozen=True)
class SessionMoments:
    """One session of one subject: (T, 7) per-frame moments and its block length (frames)."""

    subject: str
    moments: np.ndarray
    block: int


def session_moments(subject: str, x: np.ndarray, y: np.ndarray, threshold: float,
                    shift: float = 0.0) -> SessionMoments:
    """`SessionMoments` of candidate x and reference y, (T,) degrees each."""
    d = np.asarray(x, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return SessionMoments(subject, frame_moments(x, y, threshold, shift), block_length(d))


def _block_resample_sums(m: np.ndarray, block: int, shape: tuple[int, int],
                         rng: np.random.Generator) -> np.ndarray:
    """Sums of (T, 7) moments over circular block resamples: shape + (7,)."""
    t = len(m)
    block = max(1, min(block, t))
    n_blocks = -(-t // block)
    last = t - (n_blocks - 1) * block
    cs = np.concatenate([np.zeros((1, m.shape[1])), np.cumsum(np.concatenate([m, m]), axis=0)])
    starts = rng.integers(0, t, size=(*shape, n_blocks))
    full = cs[starts[..., :-1] + block] - cs[starts[..., :-1]]
    return full.sum(axis=-2) + cs[starts[..., -1] + last] - cs[starts[..., -1]]


def cluster_bootstrap(sessions: list[SessionMoments], resamples: int = 1000,
                      seed: int = 0) -> np.ndarray:
    """Summed moments of `resamples` two-stage resamples (subjects, then frame blocks).

    Args:
        sessions: every session of the pooled group (several per subject allowed).
        resamples: number of bootstrap resamples.
        seed: random seed (the same inputs give the same result).

    Returns:
        (resamples, 7) summed moments.
    """
    subjects = sorted({s.subject for s in sessions})
    if not subjects:
        raise InvalidInputError("sessions", 0, "at least one session")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(subjects), size=(resamples, len(subjects)))
    counts = np.stack([(draws == i).sum(axis=1) for i in range(len(subjects))], axis=1)
    most = int(counts.max())
    total = np.zeros((resamples, N_MOMENTS))
    for i, subject in enumerate(subjects):
        used = (np.arange(most)[None, :] < counts[:, i:i + 1])[..., None]  # (B, most, 1)
        for s in (s for s in sessions if s.subject == subject):
            sums = _block_resample_sums(s.moments, s.block, (resamples, most), rng)
            total += (sums * used).sum(axis=1)
    return total


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """(low, high) percentile interval of bootstrap values, NaN ones left out (NaN if none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 10:
        return float("nan"), float("nan")
    a = (1.0 - level) / 2.0
    low, high = np.quantile(v, [a, 1.0 - a])
    return float(low), float(high)
