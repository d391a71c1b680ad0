"""How sure is a metric? Confidence intervals by circular block bootstrap over frames.

Errors of consecutive video frames are strongly correlated (a pose that is wrong at frame t
is wrong at t+1), so resampling single frames would give intervals several times too
narrow. Frames are resampled in circular blocks whose length is chosen from the data by
Politis & White's rule (2004, with Patton, Politis & White's 2009 correction for the
circular bootstrap), so that a block spans about as long as the errors stay correlated.

Every statistic here is a pooled ratio Σ num / Σ den over frames (optionally transformed):
MPJPE = Σ per-frame error sums / Σ per-frame joint counts, PCK the same with hits,
angle RMSE = sqrt(Σ squared differences / Σ counts), bias = Σ differences / Σ counts.

Inputs: (T,) per-frame numerators and denominators (den 0 where a frame has no sample).
Output: `Interval(low, high, block, resamples)` in the statistic's own unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
MIN_FRAMES = 8  # fewer frames with data: no interval


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval.

    Attributes:
        low, high: bounds in the statistic's unit (NaN when it could not be estimated).
        block: block length in frames that the resampling used.
        resamples: number of bootstrap resamples.
        level: coverage, e.g. 0.95.
    """

    low: float
    high: float
    block: int
    resamples: int
    level: float = DEFAULT_LEVEL


def _flat_top(t: np.ndarray) -> np.ndarray:
    """Politis-Romano trapezoidal lag window: 1 for |t| <= 1/2, 2(1 - |t|) up to 1, then 0."""
    a = np.abs(t)
    return np.where(a <= 0.5, 1.0, np.where(a <= 1.0, 2.0 * (1.0 - a), 0.0))


def block_length(x: np.ndarray) -> int:
    """Politis-White optimal block length (frames) for a circular block bootstrap of the mean.

    Args:
        x: (T,) series; NaN entries are left out.

    Returns:
        Block length in frames, in [1, max(1, T / 3)]; 1 for series shorter than 8 or
        constant ones.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < MIN_FRAMES:
        return 1
    x = x - x.mean()
    acv0 = float(x @ x) / n
    if acv0 <= 0.0:
        return 1
    kn = max(5, int(np.ceil(np.sqrt(np.log10(n)))))
    m_max = min(int(np.ceil(np.sqrt(n))) + kn, n - 1)
    b_max = max(1, int(np.ceil(min(3.0 * np.sqrt(n), n / 3.0))))
    acv = np.array([float(x[: n - k] @ x[k:]) / n for k in range(m_max + 1)])
    rho = np.abs(acv / acv0)
    threshold = 2.0 * np.sqrt(np.log10(n) / n)
    m_hat = None
    for m in range(0, m_max - kn + 1):  # first lag after which kn correlations are small
        if (rho[m + 1 : m + kn + 1] < threshold).all():
            m_hat = m
            break
    if m_hat is None:  # still correlated at the longest lag looked at
        significant = np.nonzero(rho[1:] >= threshold)[0]
        m_hat = int(significant[-1]) + 1 if len(significant) else 0
    big_m = min(2 * m_hat, m_max)
    if big_m == 0:
        return 1
    k = np.arange(-big_m, big_m + 1)
    lam = _flat_top(k / big_m)
    r = acv[np.abs(k)]
    g = float(np.sum(lam * np.abs(k) * r))
    g0 = float(np.sum(lam * r))
    d_cb = (4.0 / 3.0) * g0 * g0
    if d_cb <= 0.0 or g == 0.0:
        return 1
    b = (2.0 * g * g / d_cb) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return int(min(max(1, round(b)), b_max))


def _block_sums(v: np.ndarray, length: int) -> np.ndarray:
    """(T,) sums of the circular block of `length` frames starting at each frame."""
    t = len(v)
    cs = np.concatenate([[0.0], np.cumsum(np.concatenate([v, v]))])
    starts = np.arange(t)
    return cs[starts + length] - cs[starts]


def bootstrap_ci(
    num: np.ndarray,
    den: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    block: int | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> Interval:
    """Percentile interval of transform(Σ num / Σ den) under circular block resampling.

    Args:
        num: (T,) per-frame numerators (e.g. sum of joint errors in mm; NaN counts as 0).
        den: (T,) per-frame sample counts (>= 0; 0 = the frame has no data).
        transform: applied to the ratio, e.g. np.sqrt for an RMSE (None: identity).
        block: block length in frames (None: `block_length` of the per-frame ratio).
        resamples: number of bootstrap resamples (>= 100).
        level: coverage in (0, 1).
        seed: random seed; the same inputs give the same interval.

    Returns:
        `Interval`; NaN bounds when fewer than 8 frames have data.

    Raises:
        InvalidInputError: mismatched shapes, negative counts, bad level/resamples/block.
    """
    num = np.nan_to_num(np.asarray(num, dtype=np.float64).reshape(-1), nan=0.0)
    den = np.asarray(den, dtype=np.float64).reshape(-1)
    if num.shape != den.shape:
        raise InvalidInputError("num/den shapes", (num.shape, den.shape), "equal (T,)")
    if (den < 0).any() or not np.isfinite(den).all():
        raise InvalidInputError("den", "negative or non-finite count", ">= 0 per frame")
    if not 0.0 < level < 1.0:
        raise InvalidInputError("level", level, "in (0, 1)")
    if resamples < 100:
        raise InvalidInputError("resamples", resamples, ">= 100")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    if int((den > 0).sum()) < MIN_FRAMES:
        return Interval(float("nan"), float("nan"), 1, resamples, level)
    block = block_length(ratio) if block is None else block
    sum_num, sum_den = resampled_sums([num, den], block, resamples, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = np.where(sum_den > 0, sum_num / np.where(sum_den > 0, sum_den, 1.0), np.nan)
    if transform is not None:
        stats = transform(stats)
    return _percentiles(stats, min(int(block), len(num)), resamples, level)


def resampled_sums(
    series: list[np.ndarray], block: int, resamples: int, seed: int = 0
) -> list[np.ndarray]:
    """Sums of each (T,) series over the same `resamples` circular block resamples.

    Every series is resampled with the same blocks (paired), so statistics combining them
    (a ratio, a difference of two pipelines' errors) keep their frame-by-frame pairing.

    Args:
        series: (T,) arrays, finite.
        block: block length in frames (>= 1; capped at T).
        resamples: number of resamples.
        seed: random seed.

    Returns:
        One (resamples,) array of sums per series.
    """
    if block < 1:
        raise InvalidInputError("block", block, ">= 1 frame")
    t = len(series[0])
    block = min(int(block), t)
    n_blocks = -(-t // block)
    last = t - (n_blocks - 1) * block  # the final block is cut so a resample has T frames
    starts = np.random.default_rng(seed).integers(0, t, size=(resamples, n_blocks))
    out = []
    for v in series:
        total = _block_sums(v, block)[starts[:, :-1]].sum(axis=1)
        out.append(total + _block_sums(v, last)[starts[:, -1]])
    return out


def _percentiles(stats: np.ndarray, block: int, resamples: int, level: float) -> Interval:
    """Percentile interval of bootstrap statistics (NaN ones left out)."""
    stats = stats[np.isfinite(stats)]
    if len(stats) < resamples // 2:
        return Interval(float("nan"), float("nan"), block, resamples, level)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return Interval(float(low), float(high), block, resamples, level)


def error_ci(errors: np.ndarray, **kwargs: object) -> Interval:
    """Interval of the pooled mean of a (T, J) array (mm, or 0/1 hits for PCK; NaN = unused).

    Keyword arguments go to `bootstrap_ci`.
    """
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 2:
        raise InvalidInputError("errors", e.shape, "shape (T, J)")
    ok = np.isfinite(e)
    return bootstrap_ci(np.where(ok, e, 0.0).sum(axis=1), ok.sum(axis=1), **kwargs)


def difference_cis(a: np.ndarray, b: np.ndarray, **kwargs: object) -> tuple[Interval, Interval]:
    """Intervals of the RMSE and of the bias (mean of a - b) of two (T,) signals (e.g. deg).

    Frames where either is NaN are left out. Keyword arguments go to `bootstrap_ci`; the
    block length is chosen once, from the differences, and used for both.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    ok = np.isfinite(d)
    dz = np.where(ok, d, 0.0)
    block = kwargs.pop("block", None) or block_length(np.where(ok, d, np.nan))
    rmse = bootstrap_ci(dz * dz, ok.astype(float), transform=np.sqrt, block=block, **kwargs)
    bias = bootstrap_ci(dz, ok.astype(float), block=block, **kwargs)
    return rmse, bias


@dataclass(frozen=True)
class PairedDifference:
    """Two pipelines' pooled statistics on the same samples and their difference.

    Attributes:
        a, b: transform(pooled mean) of each (NaN when no sample is shared).
        difference: a - b.
        interval: `Interval` of the difference (NaN bounds under 8 shared frames).
    """

    a: float
    b: float
    difference: float
    interval: Interval


def paired_difference_ci(
    errors_a: np.ndarray,
    errors_b: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> PairedDifference:
    """Difference of two pooled mean errors on the same frames and joints, with its interval.

    Both arrays are resampled with the same blocks, so what frames share (a hard pose, a
    reference glitch) cancels: the interval is about the pipelines, not about the clip.
    Only samples finite in both arrays are used.

    Args:
        errors_a, errors_b: (T, J) errors of pipeline a and b against one reference (mm;
            or squared angle differences in deg² with transform=np.sqrt for RMSEs).
        transform: applied to each pooled mean before the difference (None: identity).
        resamples, level, seed: as `bootstrap_ci`.

    Returns:
        `PairedDifference` with a = f(mean(a)), b = f(mean(b)), their difference and its
        interval (NaN bounds when fewer than 8 frames have samples in both).

    Raises:
        InvalidInputError: the arrays are not (T, J) of the same shape.
    """
    a = np.asarray(errors_a, dtype=np.float64)
    b = np.asarray(errors_b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise InvalidInputError("errors_a/errors_b", (a.shape, b.shape), "equal (T, J) shapes")
    ok = np.isfinite(a) & np.isfinite(b)
    n = ok.sum(axis=1).astype(np.float64)
    sa, sb = np.where(ok, a, 0.0).sum(axis=1), np.where(ok, b, 0.0).sum(axis=1)
    f = transform if transform is not None else (lambda x: x)
    total = n.sum()
    mean_a = float(f(np.float64(sa.sum() / total))) if total else float("nan")
    mean_b = float(f(np.float64(sb.sum() / total))) if total else float("nan")
    if int((n > 0).sum()) < MIN_FRAMES:
        nan = Interval(float("nan"), float("nan"), 1, resamples, level)
        return PairedDifference(mean_a, mean_b, mean_a - mean_b, nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_frame = np.where(n > 0, (sa - sb) / np.where(n > 0, n, 1.0), np.nan)
    block = block_length(per_frame)
    ra, rb, rn = resampled_sums([sa, sb, n], block, resamples, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(rn > 0, rn, 1.0)
        stats = np.where(rn > 0, f(ra / safe) - f(rb / safe), np.nan)
    return PairedDifference(mean_a, mean_b, mean_a - mean_b,
                            _percentiles(stats, min(block, len(n)), resamples, level))


__all__ = [
    "Interval",
    "PairedDifference",
    "block_length",
    "bootstrap_ci",
    "difference_cis",
    "error_ci",
    "paired_difference_ci",
    "resampled_sums",
]
