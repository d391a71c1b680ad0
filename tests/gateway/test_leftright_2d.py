"""Left/right label swaps of a single view's 2D track (tracking.leftright)."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.skeletons import convert
from posearena_gateway.tracking.leftright import mirror_groups, resolve_left_right_2d

from .conftest import DATA

FIXTURE = DATA.parent / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
L_ALL = [1, 3, 5, 7, 9, 11, 13, 15]
R_ALL = [2, 4, 6, 8, 10, 12, 14, 16]


def _walker(n: int = 120, seed: int = 0) -> np.ndarray:
    """(n, 17, 2) px: a frontal COCO-17 figure swinging arms and legs, drifting right."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 30.0
    base = np.array([[0, -160], [-8, -170], [8, -170], [-18, -165], [18, -165],  # face
                     [-45, -120], [45, -120], [-60, -60], [60, -60], [-65, 0], [65, 0],
                     [-25, 0], [25, 0], [-28, 90], [28, 90], [-30, 180], [30, 180]], float)
    kp = np.repeat(base[None], n, axis=0) + np.array([400.0, 300.0])
    kp[:, :, 0] += 40 * t[:, None]
    swing = 25 * np.sin(2 * np.pi * 0.8 * t)
    kp[:, [9, 15], 1] += swing[:, None]  # left wrist, left ankle
    kp[:, [10, 16], 1] -= swing[:, None]
    return kp + rng.normal(0, 0.5, kp.shape)


def _swap(kp: np.ndarray, frames: slice, left: list[int], right: list[int]) -> np.ndarray:
    out = kp.copy()
    out[frames, left + right] = kp[frames, right + left]
    return out


def test_groups_follow_the_skeleton():
    g = mirror_groups("coco17")
    assert g == {"face": ([1, 3], [2, 4]), "arms": ([5, 7, 9], [6, 8, 10]),
                 "legs": ([11, 13, 15], [12, 14, 16])}
    bp = mirror_groups("blazepose33")  # foot_index is a leg joint, not a hand's "index"
    assert 31 in bp["legs"][0] and 19 in bp["arms"][0]


def test_swapped_stretches_are_undone_exactly():
    clean = _walker()
    bad = _swap(clean, slice(30, 61), L_ALL, R_ALL)  # whole body mirrored
    bad = _swap(bad, slice(80, 90), [5, 7, 9], [6, 8, 10])  # then the arms alone
    fix = resolve_left_right_2d(bad, "coco17")
    np.testing.assert_allclose(fix.keypoints, clean, atol=1e-4)
    arms = fix.groups.index("arms")
    legs = fix.groups.index("legs")
    assert fix.swapped[30:61].all() and not fix.swapped[:30].any()
    assert fix.swapped[80:90, arms].all() and not fix.swapped[80:90, legs].any()
    assert fix.frames_relabelled == 31 + 10


def test_clean_track_and_missing_joints_are_left_alone():
    clean = _walker()
    clean[40:45, 9] = np.nan  # a wrist lost for a few frames
    fix = resolve_left_right_2d(clean, "coco17")
    assert fix.frames_relabelled == 0
    np.testing.assert_array_equal(np.isnan(fix.keypoints), np.isnan(clean))


def test_legs_crossing_in_profile_keep_their_labels():
    # seen from the side, the ankles pass each other smoothly: continuity, not a swap
    kp = _walker()
    t = np.arange(len(kp)) / 30.0
    kp[:, 15, 0] = 400 + 60 * np.sin(2 * np.pi * 0.8 * t)
    kp[:, 16, 0] = 400 - 60 * np.sin(2 * np.pi * 0.8 * t)
    assert resolve_left_right_2d(kp, "coco17").frames_relabelled == 0


def test_real_blazepose_track_mirrored_while_turning_away():
    # cam02 of the Pose2Sim demo: BlazePose mirrors the body for ~40 frames (checked against
    # the 4-view reference while building this); the big jumps of the raw labels go away
    z = np.load(FIXTURE)
    k = convert(z["keypoints"][1], "blazepose33", "coco17")
    fix = resolve_left_right_2d(k, "coco17")
    assert 25 <= fix.frames_relabelled <= 55
    body = [fix.groups.index("arms"), fix.groups.index("legs")]
    assert fix.swapped[45:55][:, body].all()  # arms and legs mid-stretch
    raw_jump = np.nanmax(np.linalg.norm(np.diff(k, axis=0), axis=-1)[:, L_ALL + R_ALL])
    new_jump = np.nanmax(np.linalg.norm(np.diff(fix.keypoints, axis=0), axis=-1)[:, L_ALL + R_ALL])
    assert raw_jump > 200 and new_jump < 0.6 * raw_jump
    # the other three cameras are labelled right throughout
    for c in (0, 2, 3):
        kc = convert(z["keypoints"][c], "blazepose33", "coco17")
        assert resolve_left_right_2d(kc, "coco17").frames_relabelled == 0


def test_bad_shape_is_named():
    with pytest.raises(InvalidInputError, match=r"\(T, 17, 2\) coco17"):
        resolve_left_right_2d(np.zeros((5, 33, 2)), "coco17")


def test_the_same_relabelling_applies_to_world_landmarks():
    from posearena_gateway.tracking.leftright import apply_relabelling

    clean = _walker()
    world = np.concatenate([clean / 1000.0, np.zeros((*clean.shape[:2], 1))], axis=-1)
    bad2d = _swap(clean, slice(30, 61), L_ALL, R_ALL)
    bad3d = _swap(world, slice(30, 61), L_ALL, R_ALL)
    fix = resolve_left_right_2d(bad2d, "coco17")
    np.testing.assert_allclose(apply_relabelling(bad3d, fix, "coco17"), world)
    with pytest.raises(InvalidInputError):
        apply_relabelling(bad3d, fix, "blazepose33")


def test_step_costs_equal_scoring_every_state_pair_in_full():
    """The step costs built from four per-joint distance tables (a joint's cost depends only on
    its group's two flags) are the very floats of scoring each of the S x S relabelled
    skeleton pairs in full, on a long noisy track with swaps, gaps and person-less frames;
    so are the labels chosen from them."""
    from itertools import product

    from posearena_gateway.tracking import leftright as lr

    rng = np.random.default_rng(3)
    kp = np.concatenate([_walker(400, seed=s) for s in range(3)])
    kp = _swap(kp, slice(100, 160), L_ALL, R_ALL)
    kp = _swap(kp, slice(500, 530), [5, 7, 9], [6, 8, 10])
    kp += rng.normal(0, 6, kp.shape)
    kp[rng.random(kp.shape[:2]) < 0.1] = np.nan
    kp[700:720] = np.nan
    pairs = list(mirror_groups("coco17").values())
    states = list(product((False, True), repeat=len(pairs)))

    def relabelled(state):
        on = [p for p, flag in zip(pairs, state, strict=True) if flag]
        return _swap(kp, slice(None), [j for p in on for j in p[0]], [j for p in on for j in p[1]])

    cand = np.stack([relabelled(s) for s in states])  # (S, T, J, 2)
    cap = rng.uniform(20, 200, len(kp))
    cap[::50] = np.inf
    d = np.linalg.norm(cand[None, :, 1:] - cand[:, None, :-1], axis=-1)  # (S, S, T-1, J)
    full = np.nansum(np.minimum(d, cap[None, None, 1:, None]), axis=-1).transpose(2, 0, 1)
    got = lr.step_costs(kp, cap, states, pairs)
    np.testing.assert_array_equal(got, full)
    for causal in (False, True):
        fix = resolve_left_right_2d(kp, "coco17", causal=causal)
        path = [states.index(tuple(row)) for row in fix.swapped]
        np.testing.assert_array_equal(fix.keypoints,
                                      cand[path, np.arange(len(kp))].astype(np.float32))
        assert fix.frames_relabelled > 60
