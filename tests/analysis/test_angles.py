"""Joint angles on hand-built poses, global-frame invariance, names and real Vicon data."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.angles import canonical_joint_name, joint_angles

# Z up, subject's left = +x, so forward = left x up = -y.
FWD, LEFT, UP = np.array([0.0, -1, 0]), np.array([1.0, 0, 0]), np.array([0.0, 0, 1])


def _standing() -> dict[str, np.ndarray]:
    """Anatomical standing pose, one frame, metres."""
    p = {}
    for s, x in (("l", 1.0), ("r", -1.0)):
        p[f"{s}_hip"] = np.array([0.1 * x, 0, 0.9])
        p[f"{s}_knee"] = np.array([0.1 * x, 0, 0.5])
        p[f"{s}_ankle"] = np.array([0.1 * x, 0, 0.1])
        p[f"{s}_shoulder"] = np.array([0.18 * x, 0, 1.4])
        p[f"{s}_elbow"] = np.array([0.18 * x, 0, 1.1])
        p[f"{s}_wrist"] = np.array([0.18 * x, 0, 0.85])
    return p


def _posed() -> dict[str, np.ndarray]:
    """Frame 0: standing. Frame 1: knee 90, hip 90, elbow 90, right arm abducted 90,
    left arm flexed 90, trunk leaning 30 deg forward (upper body rotated about the hips)."""
    a, b = _standing(), _standing()
    b["l_knee"] = b["l_hip"] + 0.4 * FWD  # thigh horizontal in front: hip flexion 90
    b["l_ankle"] = b["l_knee"] - 0.4 * UP  # shank vertical: knee flexion 90
    b["r_ankle"] = b["r_knee"] - 0.4 * FWD  # shank backward: knee flexion 90
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    lean = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])  # rotation about +x, tips +z to -y
    mid_hip = 0.5 * (b["l_hip"] + b["r_hip"])
    up_t, fwd_t = lean @ UP, lean @ FWD
    for k in ("l_shoulder", "r_shoulder"):
        b[k] = mid_hip + lean @ (b[k] - mid_hip)
    b["r_elbow"] = b["r_shoulder"] - 0.3 * LEFT  # sideways: abduction 90 (trunk-relative)
    b["r_wrist"] = b["r_elbow"] - 0.25 * LEFT
    b["l_elbow"] = b["l_shoulder"] + 0.3 * fwd_t  # forward: shoulder flexion 90
    b["l_wrist"] = b["l_elbow"] + 0.25 * up_t  # forearm up: elbow flexion 90
    return {k: np.stack([a[k], b[k]]) for k in a}


EXPECTED = {
    "l_knee_flexion": [0, 90], "r_knee_flexion": [0, 90],
    # hip flexion is thigh vs trunk: the 30 deg forward lean adds 30 deg to both hips
    "l_hip_flexion": [0, 120], "r_hip_flexion": [0, 30],
    "l_elbow_flexion": [0, 90], "r_elbow_flexion": [0, 0],
    "l_shoulder_flexion": [0, 90], "r_shoulder_abduction": [0, 90],
    "l_shoulder_abduction": [0, np.nan], "r_shoulder_flexion": [0, np.nan],
    "trunk_inclination": [0, 30],
}  # fmt: skip


def test_hand_built_poses() -> None:
    ang = joint_angles(_posed())
    assert set(ang) == set(EXPECTED)
    for name, want in EXPECTED.items():
        np.testing.assert_allclose(ang[name], want, atol=1e-9, err_msg=name)
    upright = {k: v[None] for k, v in _standing().items()}
    upright["l_knee"] = upright["l_hip"] + 0.4 * FWD
    upright["l_elbow"] = upright["l_shoulder"] + 0.3 * LEFT  # left arm sideways
    up_ang = joint_angles(upright)
    assert up_ang["l_hip_flexion"][0] == pytest.approx(90, abs=1e-9)
    assert up_ang["l_shoulder_abduction"][0] == pytest.approx(90, abs=1e-9)


def test_invariant_to_global_rotation_and_frame() -> None:
    rng = np.random.default_rng(5)
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    Q = q * np.sign(np.diag(r)) * np.sign(np.linalg.det(q * np.sign(np.diag(r))))
    assert np.linalg.det(Q) == pytest.approx(1.0)
    moved = {k: v @ Q.T + [0.5, -2.0, 3.0] for k, v in _posed().items()}
    ref, got = joint_angles(_posed()), joint_angles(moved, vertical=Q @ UP)
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], atol=1e-9, err_msg=name)
    # OpenCV camera frame (y down): the same pose seen with vertical -y.
    to_cv = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # z up -> -y, y -> z
    cv = joint_angles({k: v @ to_cv.T for k, v in _posed().items()}, vertical=(0, -1, 0))
    np.testing.assert_allclose(cv["trunk_inclination"], [0, 30], atol=1e-9)
    wrong = joint_angles({k: v @ to_cv.T for k, v in _posed().items()})  # Z-up assumed
    assert abs(wrong["trunk_inclination"][0] - 90) < 1e-9  # the parameter matters


def test_array_input_and_name_aliases() -> None:
    pose = _posed()
    names = ["LHip", "RightHip", "knee_l", "KneeRight", "left_ankle", "r_ankle", "pelvis"]
    keys = ["l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle"]
    arr = np.stack([pose[k] for k in keys] + [np.zeros((2, 3))], axis=1)  # (T, 7, 3)
    ang = joint_angles(arr, names)
    assert set(ang) == {"l_knee_flexion", "r_knee_flexion"}  # no trunk: no planar angles
    np.testing.assert_allclose(ang["l_knee_flexion"], [0, 90], atol=1e-9)
    assert canonical_joint_name("ShoulderLeft") == "l_shoulder"
    assert canonical_joint_name("nose") is None
    with pytest.raises(InvalidInputError, match="joint_names="):
        joint_angles(arr, names[:-1])
    with pytest.raises(InvalidInputError, match="joint_names="):
        joint_angles({"l_knee": pose["l_knee"], "LeftKnee": pose["l_knee"]})


def test_nan_frames_and_out_of_plane() -> None:
    pose = _posed()
    pose["l_knee"][0] = np.nan
    ang = joint_angles(pose)
    assert np.isnan(ang["l_knee_flexion"][0]) and np.isnan(ang["l_hip_flexion"][0])
    assert ang["l_knee_flexion"][1] == pytest.approx(90)
    loose = joint_angles(_posed(), max_out_of_plane_deg=90)  # keep ill-conditioned values
    assert np.isfinite(loose["l_shoulder_abduction"][1])
    with pytest.raises(InvalidInputError, match="vertical="):
        joint_angles(_posed(), vertical=(0, 0, 0))


def test_real_vicon_shoulder_abduction(vicon_m07_angles: dict[str, np.ndarray]) -> None:
    """UI-PRMD m07 (standing shoulder abduction, right arm): a plausible angle course."""
    abd = vicon_m07_angles["r_shoulder_abduction"]
    assert np.isfinite(abd).all()
    peak = int(np.argmax(abd))
    assert 60 < abd[peak] < 180
    assert 0.2 * abd.size < peak < 0.8 * abd.size  # rises then comes back down
    assert abd[-1] < 30  # back at the side at the end of the episode
    assert np.nanmax(vicon_m07_angles["l_shoulder_abduction"]) < 30  # the other arm rests
    assert np.nanmax(vicon_m07_angles["trunk_inclination"]) < 20
    assert np.nanmax(vicon_m07_angles["r_elbow_flexion"]) < 40  # arm kept straight
