"""Input validation shared by the analysis modules (raises InvalidInputError)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from posearena.errors import InvalidInputError


def as_array(
    x: ArrayLike,
    field: str,
    ndim: int | tuple[int, ...] | None = None,
    last_dim: int | None = None,
    min_len: int = 0,
) -> np.ndarray:
    """Return `x` as a float64 array after checking its shape.

    Args:
        x: array-like input.
        field: argument name used in the error message.
        ndim: required number of dimensions (or a tuple of allowed ones), None for any.
        last_dim: required size of the last axis, None for any.
        min_len: minimal size of the first axis.

    Raises:
        InvalidInputError: not numeric, wrong ndim, wrong last axis, too short, or +/-inf.
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(field, x, "a numeric array") from exc
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        raise InvalidInputError(
            field, f"shape {arr.shape}", f"an array with ndim in {list(allowed)}"
        )
    if last_dim is not None and (arr.ndim == 0 or arr.shape[-1] != last_dim):
        raise InvalidInputError(field, f"shape {arr.shape}", f"last axis of size {last_dim}")
    if min_len and (arr.ndim == 0 or arr.shape[0] < min_len):
        raise InvalidInputError(field, f"shape {arr.shape}", f"at least {min_len} rows/frames")
    if np.isinf(arr).any():
        raise InvalidInputError(field, "contains inf", "finite values or NaN for missing")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, field_a: str, field_b: str) -> None:
    """Raise InvalidInputError unless `a` and `b` have the same shape."""
    if a.shape != b.shape:
        raise InvalidInputError(field_b, f"shape {b.shape}", f"the shape of {field_a} {a.shape}")


def positive(value: float, field: str) -> float:
    """Return `value` as float after checking it is finite and > 0."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(field, value, "a positive number") from exc
    if not math.isfinite(v) or v <= 0:
        raise InvalidInputError(field, value, "a finite number > 0")
    return v


def non_negative(value: float, field: str) -> float:
    """Return `value` as float after checking it is finite and >= 0."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(field, value, "a number >= 0") from exc
    if not math.isfinite(v) or v < 0:
        raise InvalidInputError(field, value, "a finite number >= 0")
    return v
