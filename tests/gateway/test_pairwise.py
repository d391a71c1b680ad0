"""Pipelines against each other on real motion (UI-PRMD Vicon shoulder abduction) with
candidates whose errors are generated with known sizes."""

from __future__ import annotations

import numpy as np
import pytest

from posearena_gateway.comparison import compare_sequences
from posearena_gateway.comparison.pairwise import pairwise_differences
from posearena_gateway.references import load_reference
from posearena_gateway.references.sequence import Sequence3D

from .conftest import DATA

VICON = DATA / "ui_prmd" / "Vicon" / "Positions" / "m07_s01_e01_positions.txt.gz"


@pytest.fixture(scope="module")
def vicon() -> Sequence3D:
    return load_reference(f"mocap:{VICON}")


def _smooth_noise(rng: np.random.Generator, shape: tuple, sd_m: float) -> np.ndarray:
    """(T, J, 3) noise correlated over ~0.3 s at 100 Hz, as a tracker's error is."""
    white = rng.normal(size=shape)
    kernel = np.ones(30) / np.sqrt(30)
    out = np.apply_along_axis(lambda x: np.convolve(x, kernel, mode="same"), 0, white)
    return out * sd_m


def _cand(ref: Sequence3D, points: np.ndarray) -> Sequence3D:
    return Sequence3D(points, ref.skeleton, ref.fps, ref.frame, ref.up_axis)


def test_a_real_difference_is_found_and_a_tie_is_not_called(vicon):
    rng = np.random.default_rng(5)
    shared = _smooth_noise(rng, vicon.points.shape, 0.03)  # hard frames for both
    a = vicon.points + shared + _smooth_noise(rng, vicon.points.shape, 0.005)
    b = vicon.points + shared + _smooth_noise(rng, vicon.points.shape, 0.005)
    b[..., 0] += 0.02  # b is also 20 mm off along x
    c = vicon.points + shared + _smooth_noise(rng, vicon.points.shape, 0.005)  # a's twin
    comps = {n: compare_sequences(vicon, _cand(vicon, p), True, True)
             for n, p in (("a", a), ("b", b), ("c", c))}
    pairs = {(p["a"], p["b"]): p for p in pairwise_differences(comps)}
    assert set(pairs) == {("a", "b"), ("a", "c"), ("b", "c")}
    ab = pairs[("a", "b")]["mpjpe_mm"]
    assert ab["difference"] == pytest.approx(ab["a"] - ab["b"], abs=1e-3)
    assert ab["ci95"][1] < 0 and ab["verdict"] == "a closer"
    assert pairs[("b", "c")]["mpjpe_mm"]["verdict"] == "c closer"
    ac = pairs[("a", "c")]["mpjpe_mm"]
    assert ac["verdict"] == "no clear difference" and ac["ci95"][0] < 0 < ac["ci95"][1]
    # pairing cancels the shared error: the interval of a - c is much narrower than
    # either pipeline's own interval
    own = comps["a"].metrics["ci95"]["mpjpe_mm"]
    assert ac["ci95"][1] - ac["ci95"][0] < 0.5 * (own[1] - own[0])
    # a constant offset is removed by P-MPJPE's similarity fit: no verdict there
    assert pairs[("a", "b")]["p_mpjpe_mm"]["verdict"] == "no clear difference"


def test_pipelines_with_different_references_are_not_paired(vicon):
    other = Sequence3D(vicon.points[::-1].copy(), vicon.skeleton, vicon.fps, vicon.frame,
                       vicon.up_axis)
    comps = {"a": compare_sequences(vicon, _cand(vicon, vicon.points + 0.01), True, True),
             "b": compare_sequences(other, _cand(other, other.points + 0.02), True, True)}
    assert pairwise_differences(comps) == []


def test_angle_rmse_is_compared_angle_by_angle(vicon):
    rng = np.random.default_rng(8)
    a = vicon.points + _smooth_noise(rng, vicon.points.shape, 0.01)
    b = a.copy()
    joints = list(vicon.joints)
    for knee in ("left_knee", "right_knee"):  # b bends its knees by moving them 6 cm forward
        b[:, joints.index(knee), :2] += 0.06 * np.array([1.0, 0.0])
    comps = {n: compare_sequences(vicon, _cand(vicon, p), True, True)
             for n, p in (("a", a), ("b", b))}
    (pair,) = pairwise_differences(comps)
    angles = pair["angles"]
    for side in ("l", "r"):
        knee = angles[f"{side}_knee_flexion"]
        assert knee["verdict"] == "a closer" and knee["ci95_deg"][1] < 0
        assert knee["difference_deg"] == pytest.approx(
            knee["a_rmse_deg"] - knee["b_rmse_deg"], abs=2e-3)
        elbow = angles[f"{side}_elbow_flexion"]  # the same arms: exactly no difference
        assert elbow["difference_deg"] == 0.0 and elbow["verdict"] == "no clear difference"
