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
