"""RMSE, bias and Bland-Altman limits on hand-computed data."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.agreement import (
    bias,
    bland_altman,
    icc_agreement,
    icc_band,
    mae,
    rmse,
)


def test_bland_altman_hand_values() -> None:
    a = [10.0, 12.0, 14.0, 16.0, np.nan]
    b = [9.0, 10.0, 11.0, 12.0, 5.0]  # differences 1, 2, 3, 4 (last pair dropped)
    ba = bland_altman(a, b)
    sd = np.sqrt((1.5**2 + 0.5**2 + 0.5**2 + 1.5**2) / 3)  # = sqrt(5/3)
    assert ba.n == 4
    assert ba.bias == pytest.approx(2.5)
    assert ba.sd == pytest.approx(sd) and sd == pytest.approx(1.290994, abs=1e-6)
    assert ba.lower == pytest.approx(2.5 - 1.96 * sd)
    assert ba.upper == pytest.approx(5.030349, abs=1e-6)
    np.testing.assert_allclose(ba.means, [9.5, 11.0, 12.5, 14.0])
    np.testing.assert_allclose(ba.diffs, [1, 2, 3, 4])
    assert ba.rmse == pytest.approx(np.sqrt(7.5))
    assert rmse(a, b) == pytest.approx(np.sqrt(7.5))
    assert bias(a, b) == pytest.approx(2.5) and mae(a, b) == pytest.approx(2.5)
    assert bias(b, a) == pytest.approx(-2.5)  # sign convention a - b


def test_limits_cover_simulated_errors() -> None:
    rng = np.random.default_rng(7)
    ref = rng.uniform(0, 150, 4000)
    est = ref + 3.0 + rng.normal(0, 5.0, ref.size)
    ba = bland_altman(est, ref)
    assert ba.bias == pytest.approx(3.0, abs=0.3) and ba.sd == pytest.approx(5.0, abs=0.3)
    inside = np.mean((ba.diffs >= ba.lower) & (ba.diffs <= ba.upper))
    assert 0.93 < inside < 0.97


def test_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="a="):
        bland_altman([1.0, np.nan], [1.0, 2.0])  # 1 valid pair
    with pytest.raises(InvalidInputError, match="b="):
        rmse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InvalidInputError, match="k="):
        bland_altman([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], k=0)


# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges; their ICC(2,1) is 0.29.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                          [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def test_icc_matches_shrout_and_fleiss():
    assert icc_agreement(SHROUT_FLEISS) == pytest.approx(0.29, abs=0.005)
    assert icc_band(0.29) == "poor" and icc_band(0.8) == "good" and icc_band(0.95) == "excellent"


def test_icc_falls_with_offset_and_noise_and_skips_missing_rows():
    rng = np.random.default_rng(4)
    ref = 90 + 30 * np.sin(np.linspace(0, 6 * np.pi, 600))  # deg, SD ~21
    assert icc_agreement(np.stack([ref, ref], axis=1)) == pytest.approx(1.0)
    noisy = ref + rng.normal(0, 5, ref.size)
    shifted = noisy + 20.0  # consistent but not interchangeable: absolute agreement drops
    a, b = (icc_agreement(np.stack([x, ref], axis=1)) for x in (noisy, shifted))
    assert 0.9 < a < 1.0 and b < a - 0.2
    noisy[::10] = np.nan
    assert icc_agreement(np.stack([noisy, ref], axis=1)) == pytest.approx(a, abs=0.01)
    assert np.isnan(icc_agreement(np.array([[1.0, 2.0], [np.nan, 1.0]])))
    with pytest.raises(InvalidInputError, match="ratings"):
        icc_agreement(ref)
