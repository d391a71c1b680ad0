"""Cycles: time normalisation, extremes and mean ± SD on signals with known answers; the
per-repetition metrics and the large-error rate of a candidate with a known error."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.cycles import cut_cycles, mean_sd, time_normalise
from posearena_gateway.comparison.repetition_metrics import large_error, repetition_metrics

FPS = 50.0


def test_time_normalise_of_a_line_is_exact_and_keeps_gaps() -> None:
    x = 3.0 * np.arange(40.0)  # 3 deg per frame
    out = time_normalise(x, 10, 30, points=5)  # frames 10, 15, 20, 25, 30
    np.testing.assert_allclose(out, [30.0, 45.0, 60.0, 75.0, 90.0])
    out = time_normalise(x, 0, 3, points=7)  # half frames: interpolated
    np.testing.assert_allclose(out, [0.0, 1.5, 3.0, 4.5, 6.0, 7.5, 9.0])
    x[16] = np.nan
    out = time_normalise(x, 10, 30, points=21)  # frames 10..30 one by one
    assert np.isnan(out[6]) and np.isfinite(out[5]) and np.isfinite(out[7])
    with pytest.raises(InvalidInputError):
        time_normalise(x, 30, 10)


def test_cycles_of_different_lengths_line_up_and_their_extremes_are_raw() -> None:
    # two bumps of different durations and heights on a 5 deg baseline
    bumps = [(20, 40, 60.0), (80, 130, 80.0)]
    ref = np.full(160, 5.0)
    for s, e, h in bumps:
        ref[s:e + 1] = 5.0 + h * np.sin(np.pi * np.arange(e - s + 1) / (e - s))
    cand = 1.1 * ref + 2.0
    cs = cut_cycles(ref, cand, [(s, e) for s, e, _ in bumps])
    assert cs.ref.shape == (2, 101)
    # stretched to 0-100 %, the peaks sit at 50 % in both cycles
    assert np.argmax(cs.ref, axis=1).tolist() == [50, 50]
    for ext, (_, _, h) in zip(cs.extremes, bumps, strict=True):
        assert ext.peak_ref == pytest.approx(5.0 + h)
        assert ext.trough_ref == pytest.approx(5.0)
        peak, trough, rng = ext.errors
        assert peak == pytest.approx(0.1 * (5.0 + h) + 2.0)
        assert trough == pytest.approx(0.1 * 5.0 + 2.0)
        assert rng == pytest.approx(0.1 * h)
    np.testing.assert_allclose(cs.error, 0.1 * cs.ref + 2.0)


def test_mean_sd_across_cycles() -> None:
    cycles = np.array([[1.0, 2.0, np.nan], [3.0, 6.0, 4.0]])
    mean, sd = mean_sd(cycles)
    np.testing.assert_allclose(mean, [2.0, 4.0, 4.0])
    np.testing.assert_allclose(sd[:2], [np.sqrt(2.0), np.sqrt(8.0)])
    assert np.isnan(sd[2])  # one cycle only there


def _three_reps() -> np.ndarray:
    """(T,) degrees: three 2 s raised-cosine repetitions of 90 deg with 1 s rests."""
    rest = np.full(int(FPS), 10.0)
    n = int(2 * FPS)
    rep = 10.0 + 45.0 * (1.0 - np.cos(2 * np.pi * np.arange(n) / n))
    return np.concatenate([rest, rep, rest, rep, rest, rep, rest])


def test_repetition_metrics_find_the_reference_cycles_and_the_known_error() -> None:
    ref = _three_reps()
    cand = ref + 4.0  # a constant 4 deg overestimate
    m = repetition_metrics({"knee": ref, "still": np.full_like(ref, 3.0)},
                           {"knee": cand, "still": np.full_like(ref, 3.5)}, FPS,
                           ["knee", "still"])
    assert list(m) == ["knee"]  # no repetition in a still angle
    knee = m["knee"]
    assert knee["count"] == 3 and knee["points"] == 101
    assert knee["peak_error_deg"] == {"mean": 4.0, "sd": 0.0}
    assert knee["range_error_deg"]["mean"] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(knee["error_mean_deg"], 4.0)
    assert max(knee["reference_mean_deg"]) == pytest.approx(100.0, abs=0.5)
    for c in knee["cycles"]:
        assert c["peak_ref_deg"] == pytest.approx(100.0, abs=0.1)
        assert 0 < c["end_frame"] - c["start_frame"] <= 2 * FPS


def test_large_error_rate_is_the_share_of_frames_at_or_above_the_threshold() -> None:
    ref = np.zeros(400)
    cand = np.zeros(400)
    cand[100:200] = 10.0  # exactly at the threshold: counts
    cand[300:310] = -12.0
    cand[390:] = np.nan  # left out
    out = large_error(cand, ref, 10.0)
    assert out["large_error_rate"] == pytest.approx(110 / 390, abs=1e-4)
    low, high = out["large_error_ci95"]
    assert low < 110 / 390 < high
    assert large_error(cand, ref, 12.5)["large_error_rate"] == 0.0
    with pytest.raises(InvalidInputError):
        large_error(cand, ref, 0.0)
