"""Confidence intervals by circular block bootstrap: coverage on honestly generated series
with known means, block lengths that follow the correlation, the pooled ratio, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.uncertainty import (
    block_length,
    bootstrap_ci,
    difference_cis,
    error_ci,
)


def ar1(rng: np.random.Generator, n: int, phi: float, mean: float = 50.0, sd: float = 10.0):
    """(n,) stationary AR(1) series with the given mean and standard deviation."""
    e = rng.normal(0.0, sd * np.sqrt(1.0 - phi * phi), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sd)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x + mean


def coverage(phi: float, n: int, block: int | None, trials: int = 150) -> float:
    rng = np.random.default_rng(7)
    hits = 0
    for i in range(trials):
        ci = bootstrap_ci(ar1(rng, n, phi), np.ones(n), block=block, seed=i)
        hits += ci.low <= 50.0 <= ci.high
    return hits / trials


def test_independent_frames_are_covered_at_the_nominal_rate():
    assert 0.88 <= coverage(0.0, 500, None) <= 0.99


def test_correlated_frames_need_blocks():
    # video-like errors: strongly correlated from frame to frame. Resampling single frames
    # covers the true mean in about a third of the trials; blocks bring it back near 95 %.
    assert coverage(0.9, 1000, block=1) < 0.5
    assert coverage(0.9, 1000, None) >= 0.85


def test_block_length_follows_the_correlation():
    rng = np.random.default_rng(3)
    white = block_length(rng.normal(size=2000))
    slow = block_length(ar1(rng, 2000, 0.95))
    assert white <= 3 and slow >= 20
    assert block_length(np.full(100, 4.0)) == 1  # constant: nothing to resample
    assert block_length(np.array([1.0, 2.0, np.nan])) == 1  # too short


def test_pooled_ratio_weights_frames_by_their_samples():
    # 3 joints seen in even frames at 10 mm, 1 joint in odd frames at 40 mm: the pooled
    # mean is (3*10 + 40) / 4 = 17.5 mm, not the mean of the frame means (25 mm)
    n = 400
    err = np.full((n, 3), np.nan)
    err[0::2] = 10.0
    err[1::2, 0] = 40.0
    ci = error_ci(err, block=1)
    assert ci.low <= 17.5 <= ci.high and ci.high < 25.0


def test_rmse_and_bias_intervals_of_angle_differences():
    rng = np.random.default_rng(11)
    ref = 90 + 30 * np.sin(np.linspace(0, 12 * np.pi, 1500))
    cand = ref + 5.0 + rng.normal(0, 2.0, ref.size)  # bias 5 deg, rmse sqrt(29) deg
    cand[::50] = np.nan
    rmse, bias = difference_cis(cand, ref)
    assert bias.low <= 5.0 <= bias.high and bias.high - bias.low < 1.0
    assert rmse.low <= np.sqrt(29.0) <= rmse.high
    assert rmse.block == bias.block


def test_same_inputs_same_interval_and_too_few_frames_gives_none():
    x = ar1(np.random.default_rng(0), 300, 0.5)
    a, b = bootstrap_ci(x, np.ones(300)), bootstrap_ci(x, np.ones(300))
    assert (a.low, a.high) == (b.low, b.high)
    short = bootstrap_ci(np.ones(5), np.ones(5))
    assert np.isnan(short.low) and np.isnan(short.high)


@pytest.mark.parametrize(
    ("num", "den", "kwargs", "field"),
    [
        (np.ones(10), np.ones(9), {}, "num/den shapes"),
        (np.ones(10), -np.ones(10), {}, "den"),
        (np.ones(10), np.ones(10), {"level": 1.5}, "level"),
        (np.ones(10), np.ones(10), {"resamples": 10}, "resamples"),
        (np.ones(10), np.ones(10), {"block": 0}, "block"),
    ],
)
def test_bad_input_names_the_field(num, den, kwargs, field):
    with pytest.raises(InvalidInputError, match=field):
        bootstrap_ci(num, den, **kwargs)


def test_paired_difference_cancels_what_both_share():
    from posearena_gateway.analysis.uncertainty import paired_difference_ci

    rng = np.random.default_rng(2)
    hard = ar1(rng, 600, 0.95, mean=80.0, sd=30.0)[:, None] * np.ones((1, 12))
    a = hard + rng.normal(0, 3, (600, 12))
    b = hard + 4.0 + rng.normal(0, 3, (600, 12))
    a[::7, 3] = np.nan  # a sample missing in one is left out of both
    d = paired_difference_ci(a, b)
    diff, ci = d.difference, d.interval
    assert diff == pytest.approx(-4.0, abs=0.5) and ci.low <= -4.0 <= ci.high
    assert diff == pytest.approx(d.a - d.b)
    assert ci.high < 0 and ci.high - ci.low < 1.5
    alone = error_ci(a)
    assert alone.high - alone.low > 10 * (ci.high - ci.low)  # unpaired: lost in the clip
    with pytest.raises(InvalidInputError, match="errors_a/errors_b"):
        paired_difference_ci(a, b[:, :5])
