"""Agreement between two measurement methods: RMSE, bias and Bland–Altman limits.

Convention: differences are ``a − b`` with `a` the method under test (e.g. an estimator's
joint angle, degrees) and `b` the reference. Inputs are paired samples of equal shape; a
pair is used only when both values are finite (NaN-aware, pairwise deletion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError

from ._checks import as_array, positive, same_shape


def _pairs(a: ArrayLike, b: ArrayLike, min_n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    x = as_array(a, "a")
    y = as_array(b, "b")
    same_shape(x, y, "a", "b")
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < min_n:
        raise InvalidInputError("a", f"{n} valid pairs", f">= {min_n} pairs with a and b finite")
    return x[ok], y[ok]


def rmse(a: ArrayLike, b: ArrayLike) -> float:
    """Root-mean-square difference sqrt(mean((a − b)²)) over valid pairs.

    Args:
        a: (...) values of the method under test (any unit).
        b: (...) reference values, same shape and unit.

    Returns:
        RMSE in the unit of the inputs.
    """
    x, y = _pairs(a, b)
    return float(np.sqrt(np.mean((x - y) ** 2)))


def bias(a: ArrayLike, b: ArrayLike) -> float:
    """Mean difference mean(a − b) over valid pairs (systematic error, unit of the inputs).

    Args:
        a: (...) values of the method under test.
        b: (...) reference values, same shape.
    """
    x, y = _pairs(a, b)
    return float(np.mean(x - y))


def mae(a: ArrayLike, b: ArrayLike) -> float:
    """Mean absolute difference mean(|a − b|) over valid pairs (unit of the inputs).

    Args:
        a: (...) values of the method under test.
        b: (...) reference values, same shape.
    """
    x, y = _pairs(a, b)
    return float(np.mean(np.abs(x - y)))


@dataclass(frozen=True)
class BlandAltman:
    """Bland–Altman analysis of paired measurements (unit of the inputs).

    Attributes:
        bias: mean difference mean(a − b).
        sd: sample standard deviation of the differences (ddof = 1).
        lower: lower limit of agreement, bias − k·sd.
        upper: upper limit of agreement, bias + k·sd.
        n: number of valid pairs used.
        means: (n,) per-pair means (a + b) / 2, for the Bland–Altman plot x axis.
        diffs: (n,) per-pair differences a − b, for the y axis.
        rmse: root-mean-square difference.
    """

    bias: float
    sd: float
    lower: float
    upper: float
    n: int
    means: np.ndarray
    diffs: np.ndarray
    rmse: float


def bland_altman(a: ArrayLike, b: ArrayLike, k: float = 1.96) -> BlandAltman:
    """Bland–Altman limits of agreement bias ± k·SD of the differences a − b.

    Args:
        a: (...) values of the method under test (e.g. knee flexion from video, degrees).
        b: (...) reference values, same shape (e.g. knee flexion from mocap, degrees).
        k: multiplier of the SD (1.96 for 95 % limits under normality).

    Returns:
        `BlandAltman` computed over the pairs where both values are finite.

    Raises:
        InvalidInputError: shapes differ, k <= 0, or fewer than 2 valid pairs.
    """
    kk = positive(k, "k")
    x, y = _pairs(a, b, min_n=2)
    d = x - y
    mean_d = float(d.mean())
    sd = float(d.std(ddof=1))
    return BlandAltman(
        bias=mean_d,
        sd=sd,
        lower=mean_d - kk * sd,
        upper=mean_d + kk * sd,
        n=int(d.size),
        means=(x + y) / 2.0,
        diffs=d,
        rmse=float(np.sqrt(np.mean(d**2))),
    )


#: Koo & Li (2016) reading of an ICC: below 0.5 poor, to 0.75 moderate, to 0.9 good.
ICC_BANDS = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"), (float("inf"), "excellent"))


def icc_agreement(ratings: ArrayLike) -> float:
    """ICC(A,1): two-way, absolute agreement, single measures (McGraw & Wong 1996;
    Shrout & Fleiss's ICC(2,1)).

    How interchangeable the methods are sample by sample: both a systematic offset and
    random disagreement lower it, and it is high only when the samples vary much more
    between targets (frames) than between methods.

    Args:
        ratings: (n, k) n targets (e.g. frames) rated by k methods (e.g. pipeline and
            reference angle, degrees); rows with any NaN are left out.

    Returns:
        The ICC, at most 1 (may be negative); NaN when fewer than 3 complete rows remain or
        all ratings are equal.

    Raises:
        InvalidInputError: `ratings` is not 2-D with k >= 2.
    """
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise InvalidInputError("ratings", x.shape, "shape (n targets, k >= 2 methods)")
    x = x[np.isfinite(x).all(axis=1)]
    n, k = x.shape
    if n < 3:
        return float("nan")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    ms_r, ms_c = ss_rows / (n - 1), ss_cols / (k - 1)
    ms_e = ss_err / ((n - 1) * (k - 1))
    den = ms_r + (k - 1) * ms_e + k * (ms_c - ms_e) / n
    return float((ms_r - ms_e) / den) if den > 0 else float("nan")


def icc_band(icc: float) -> str:
    """Koo & Li's word for an ICC value ("poor" ... "excellent"; "-" for NaN)."""
    if not np.isfinite(icc):
        return "-"
    return next(word for limit, word in ICC_BANDS if icc < limit)
