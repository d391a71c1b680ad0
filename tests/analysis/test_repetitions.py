"""Repetition detection on a noisy synthetic 5-repetition signal and on real Vicon data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.repetitions import detect_repetitions, fill_gaps

FPS = 30.0


def _five_reps(seed: int = 8) -> tuple[np.ndarray, list[tuple[int, int, int, float]]]:
    """Raised-cosine bumps on a 10 deg baseline with rests, 3 deg noise and NaN gaps.

    Returns the signal (T,) and the true (start, peak, end, amplitude) of each bump."""
    rng = np.random.default_rng(seed)
    amps, durs, rests = [90, 100, 80, 95, 85], [2.0, 2.6, 1.8, 2.4, 2.2], [1.0, 1.5, 0.8, 1.2, 1.6]
    sig, truth, t = [np.full(int(1.5 * FPS), 10.0)], [], int(1.5 * FPS)
    for amp, dur, rest in zip(amps, durs, rests, strict=True):
        n = int(dur * FPS)
        sig.append(10 + amp * 0.5 * (1 - np.cos(2 * np.pi * np.arange(n) / n)))
        truth.append((t, t + n // 2, t + n, float(amp)))
        sig.append(np.full(int(rest * FPS), 10.0))
        t += n + int(rest * FPS)
    x = np.concatenate(sig) + rng.normal(0, 3.0, t)
    x[rng.choice(t, 15, replace=False)] = np.nan
    return x, truth


def test_five_noisy_repetitions() -> None:
    x, truth = _five_reps()
    reps = detect_repetitions(x, FPS, min_prominence_deg=30, min_period_s=1.0)
    assert len(reps) == 5
    for rep, (start, peak, end, amp) in zip(reps, truth, strict=True):
        assert abs(rep.peak - peak) <= 3
        assert rep.rom_deg == pytest.approx(amp, abs=6)
        assert start <= rep.start <= peak and peak <= rep.end <= end  # within the bump
        assert rep.start - start < 0.35 * FPS and end - rep.end < 0.35 * FPS
        assert rep.duration_s == pytest.approx((rep.end - rep.start) / FPS)
    flipped = detect_repetitions(-x, FPS, min_prominence_deg=30, direction="min")
    assert [r.peak for r in flipped] == [r.peak for r in reps]
    assert flipped[0].peak_deg == pytest.approx(-reps[0].peak_deg)


def test_noise_only_and_min_period() -> None:
    rng = np.random.default_rng(9)
    assert detect_repetitions(10 + rng.normal(0, 3.0, 600), FPS, min_prominence_deg=20) == []
    x, _ = _five_reps()
    few = detect_repetitions(x, FPS, min_prominence_deg=30, min_period_s=4.0)
    assert 2 <= len(few) < 5  # peaks closer than 4 s cannot both be kept
    assert all(b.peak - a.peak >= 4.0 * FPS for a, b in itertools.pairwise(few))


def test_real_vicon_abduction_one_repetition(abduction_deg: np.ndarray) -> None:
    """A UI-PRMD segmented episode holds one abduction (100 Hz)."""
    reps = detect_repetitions(abduction_deg, 100.0, min_prominence_deg=30)
    assert len(reps) == 1
    rep = reps[0]
    assert rep.peak_deg > 60 and rep.rom_deg > 60
    assert rep.start < rep.peak < rep.end
    assert 1.0 < rep.duration_s < 2.3


def test_fill_gaps_and_bad_input() -> None:
    np.testing.assert_allclose(fill_gaps([np.nan, 1.0, np.nan, 3.0, np.nan]), [1, 1, 2, 3, 3])
    with pytest.raises(InvalidInputError, match="angle="):
        detect_repetitions([1.0, np.nan, np.nan, 2.0], FPS)
    with pytest.raises(InvalidInputError, match="angle="):
        detect_repetitions(np.zeros((10, 2)), FPS)
    with pytest.raises(InvalidInputError, match="direction="):
        detect_repetitions(np.zeros(10), FPS, direction="up")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="onset_fraction="):
        detect_repetitions(np.zeros(10), FPS, onset_fraction=1.0)
