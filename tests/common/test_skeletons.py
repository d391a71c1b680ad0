"""Skeleton registry: exact joint orders, trees, mirror pairs, mappings and conversions.

Real data: BlazePose-33 detections of the Pose2Sim demo (tests/data, made with mediapipe
0.10.21) and UI-PRMD Kinect recordings (data/ui_prmd, s01 e01, cm, Y up).
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.skeletons import (
    SKELETON_NAMES,
    Skeleton,
    canonical_names,
    common_joint_indices,
    common_joints,
    convert,
    convert_confidence,
    get_skeleton,
    mapping,
)

ROOT = Path(__file__).resolve().parents[2]
BLAZE_NPZ = ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz"
UIPRMD_KINECT = ROOT / "data" / "ui_prmd" / "Kinect"

# fmt: off
COCO17 = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
BODY25 = [
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
]
H36M17 = [
    "hip", "right_hip", "right_knee", "right_foot", "left_hip", "left_knee", "left_foot", "spine",
    "thorax", "neck_nose", "head", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder",
    "right_elbow", "right_wrist",
]
BLAZEPOSE33 = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
]
_KINECT_LIMBS = [
    "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft", "ShoulderRight", "ElbowRight",
    "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft", "HipRight",
    "KneeRight", "AnkleRight", "FootRight",
]
KINECT_V1 = ["HipCenter", "Spine", "ShoulderCenter", "Head", *_KINECT_LIMBS]
KINECT_V2 = [
    "SpineBase", "SpineMid", "Neck", "Head", *_KINECT_LIMBS,
    "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
]
UIPRMD22 = [
    "Waist", "Spine", "Chest", "Neck", "Head", "HeadTip", "LeftCollar", "LeftUpperArm",
    "LeftForearm", "LeftHand", "RightCollar", "RightUpperArm", "RightForearm", "RightHand",
    "LeftUpperLeg", "LeftLowerLeg", "LeftFoot", "LeftToes", "RightUpperLeg", "RightLowerLeg",
    "RightFoot", "RightToes",
]
PIG39 = [
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK", "LSHO", "LUPA", "LELB",
    "LFRM", "LWRA", "LWRB", "LFIN", "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE", "RTHI",
    "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
]
# fmt: on
EXPECTED_ORDERS = {
    "coco17": COCO17,
    "body25": BODY25,
    "coco18": [j for j in BODY25[:19] if j != "MidHip"],
    "h36m17": H36M17,
    "blazepose33": BLAZEPOSE33,
    "kinect_v1_20": KINECT_V1,
    "kinect_v2_25": KINECT_V2,
    "uiprmd_kinect22": UIPRMD22,
    "pig39": PIG39,
}
# BlazePose landmark index of each COCO-17 keypoint (MediaPipe PoseLandmark numbering).
BLAZE_FOR_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def blaze_xy() -> np.ndarray:
    """(4, 100, 33, 2) px: real BlazePose detections of the 4 Pose2Sim demo cameras."""
    return np.load(BLAZE_NPZ)["keypoints"]


def uiprmd_kinect_xyz(movement: str) -> np.ndarray:
    """(T, 22, 3) cm absolute UI-PRMD Kinect joints by forward kinematics (data/README.md)."""
    name = f"{movement}_s01_e01"
    with gzip.open(UIPRMD_KINECT / "Positions" / f"{name}_positions.txt.gz", "rt") as fh:
        off = np.loadtxt(fh, delimiter=",").reshape(-1, 22, 3)
    with gzip.open(UIPRMD_KINECT / "Angles" / f"{name}_angles.txt.gz", "rt") as fh:
        ang = np.radians(np.loadtxt(fh, delimiter=",").reshape(-1, 22, 3))
    c, s = np.cos(ang), np.sin(ang)
    one, zero = np.ones_like(c[..., 0]), np.zeros_like(c[..., 0])
    rx = np.stack([one, zero, zero, zero, c[..., 0], -s[..., 0], zero, s[..., 0], c[..., 0]], -1)
    ry = np.stack([c[..., 1], zero, s[..., 1], zero, one, zero, -s[..., 1], zero, c[..., 1]], -1)
    rz = np.stack([c[..., 2], -s[..., 2], zero, s[..., 2], c[..., 2], zero, zero, zero, one], -1)
    rot = rz.reshape(-1, 22, 3, 3) @ ry.reshape(-1, 22, 3, 3) @ rx.reshape(-1, 22, 3, 3)
    parents = get_skeleton("uiprmd_kinect22").parents
    quirk = {"LeftCollar", "RightCollar", "LeftUpperLeg", "RightUpperLeg"}
    pos, world = np.zeros_like(off), np.zeros_like(rot)
    for j, p in enumerate(parents):
        if p < 0:
            pos[:, j], world[:, j] = off[:, j], rot[:, j]
            continue
        rp = rot[:, p] if UIPRMD22[j] in quirk else world[:, p]
        pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", rp, off[:, j])
        world[:, j] = rp @ rot[:, j]
    return pos


@pytest.mark.parametrize("name", sorted(EXPECTED_ORDERS))
def test_joint_orders_are_exactly_the_published_ones(name: str) -> None:
    sk = get_skeleton(name)
    assert list(sk.joints) == EXPECTED_ORDERS[name]
    assert sk.num_joints == len(EXPECTED_ORDERS[name])
    assert [sk.index(j) for j in sk.joints] == list(range(sk.num_joints))
    assert set(SKELETON_NAMES) == set(EXPECTED_ORDERS)


def test_h36m17_tree_and_sides_match_videopose3d() -> None:
    sk = get_skeleton("h36m17")
    assert sk.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert sk.left == (4, 5, 6, 11, 12, 13)
    assert sk.right == (1, 2, 3, 14, 15, 16)


@pytest.mark.parametrize("name", SKELETON_NAMES)
def test_parents_are_acyclic_with_the_expected_roots(name: str) -> None:
    sk = get_skeleton(name)
    for j in range(sk.num_joints):
        seen, k = set(), j
        while k != -1:
            assert k not in seen, f"cycle through {sk.joints[k]}"
            seen.add(k)
            k = sk.parents[k]
    roots = [j for j, p in enumerate(sk.parents) if p == -1]
    assert len(roots) == (39 if name == "pig39" else 1)


def test_skeleton_rejects_cycles_and_bad_parents() -> None:
    with pytest.raises(InvalidInputError, match="acyclic"):
        Skeleton("loop", ("a", "b", "c"), (-1, 2, 1), (), ())
    with pytest.raises(InvalidInputError, match="parents"):
        Skeleton("short", ("a", "b"), (-1,), (), ())


_LEFT_TO_RIGHT = {
    "snake": lambda n: n.replace("left", "right"),
    "L": lambda n: "R" + n[1:],
    "suffix": lambda n: n[: -len("Left")] + "Right",
    "prefix": lambda n: "Right" + n[len("Left") :],
}
_STYLE = {"coco17": "snake", "h36m17": "snake", "blazepose33": "snake", "body25": "L"}
_STYLE |= {"coco18": "L", "pig39": "L", "kinect_v1_20": "suffix", "kinect_v2_25": "suffix"}
_STYLE |= {"uiprmd_kinect22": "prefix"}
_N_PAIRS = {"coco17": 8, "body25": 11, "coco18": 8, "h36m17": 6, "blazepose33": 16}
_N_PAIRS |= {"kinect_v1_20": 8, "kinect_v2_25": 10, "uiprmd_kinect22": 8, "pig39": 17}


def _swap_side(canonical: str) -> str:
    """Mirror a canonical name: left_x <-> right_x, pig_Lxxx <-> pig_Rxxx."""
    for a, b in (("left_", "right_"), ("right_", "left_"), ("pig_L", "pig_R"), ("pig_R", "pig_L")):
        if canonical.startswith(a):
            return b + canonical[len(a) :]
    return canonical


@pytest.mark.parametrize("name", SKELETON_NAMES)
def test_flip_permutation_is_an_involution_swapping_left_and_right_names(name: str) -> None:
    sk = get_skeleton(name)
    perm = sk.flip_permutation()
    assert perm.shape == (sk.num_joints,)
    np.testing.assert_array_equal(perm[perm], np.arange(sk.num_joints))
    assert len(sk.left) == _N_PAIRS[name]
    to_right = _LEFT_TO_RIGHT[_STYLE[name]]
    for li, ri in zip(sk.left, sk.right, strict=True):
        assert sk.joints[ri] == to_right(sk.joints[li])
        assert perm[li] == ri and perm[ri] == li
    canon = canonical_names(name)
    for j in range(sk.num_joints):  # the mirror joint is the mirror landmark
        a, b = canon[j], canon[perm[j]]
        assert b == a or b == _swap_side(a)
    unpaired = [sk.joints[j] for j in range(sk.num_joints) if perm[j] == j]
    assert all("left" not in u.lower() and "right" not in u.lower() for u in unpaired)


def test_blazepose33_to_coco17_picks_exactly_the_right_landmarks() -> None:
    xy = blaze_xy()
    out = convert(xy, "blazepose33", "coco17")
    assert out.shape == (4, 100, 17, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, xy[..., BLAZE_FOR_COCO, :])
    assert mapping("blazepose33", "coco17").kinds == ("exact",) * 17
    # the same with values that encode the source index, so any swap shows
    code = np.arange(33, dtype=np.float64)[:, None] * [1.0, -1.0]
    np.testing.assert_array_equal(convert(code, "blazepose33", "coco17")[:, 0], BLAZE_FOR_COCO)


def test_coco17_to_h36m17_derives_trunk_and_head_from_real_keypoints() -> None:
    coco = convert(blaze_xy(), "blazepose33", "coco17").astype(np.float64)
    h = convert(coco, "coco17", "h36m17")
    c = {n: coco[..., i, :] for i, n in enumerate(COCO17)}
    j = {n: h[..., i, :] for i, n in enumerate(H36M17)}
    np.testing.assert_allclose(j["hip"], (c["left_hip"] + c["right_hip"]) / 2, rtol=0, atol=1e-9)
    mid_sh = (c["left_shoulder"] + c["right_shoulder"]) / 2
    np.testing.assert_allclose(j["thorax"], mid_sh, atol=1e-9)
    np.testing.assert_allclose(j["spine"], (mid_sh + j["hip"]) / 2, atol=1e-9)
    np.testing.assert_array_equal(j["neck_nose"], c["nose"])
    np.testing.assert_allclose(j["head"], (c["left_ear"] + c["right_ear"]) / 2, atol=1e-9)
    np.testing.assert_array_equal(j["right_foot"], c["right_ankle"])
    np.testing.assert_array_equal(j["left_wrist"], c["left_wrist"])
    kinds = mapping("coco17", "h36m17").kinds
    assert [H36M17[i] for i, k in enumerate(kinds) if k == "derived"] == [
        "hip", "spine", "thorax", "neck_nose", "head"
    ]  # fmt: skip
    assert not np.isnan(h).any()


def test_body25_coco17_round_trip_is_exact_on_the_17_shared_joints() -> None:
    coco = convert(blaze_xy(), "blazepose33", "coco17")
    b25 = convert(coco, "coco17", "body25")
    assert b25.shape == (4, 100, 25, 2)
    np.testing.assert_array_equal(convert(b25, "body25", "coco17"), coco)
    sk = get_skeleton("body25")
    c = {n: coco[..., i, :] for i, n in enumerate(COCO17)}
    np.testing.assert_allclose(
        b25[..., sk.index("MidHip"), :], (c["left_hip"] + c["right_hip"]) / 2, rtol=1e-6
    )
    np.testing.assert_allclose(
        b25[..., sk.index("Neck"), :], (c["left_shoulder"] + c["right_shoulder"]) / 2, rtol=1e-6
    )
    assert np.isnan(b25[..., 19:, :]).all()  # feet: COCO has none
    # from BlazePose the feet exist: heels exactly, big toes from foot_index, small toes not
    xy = blaze_xy()
    b = convert(xy, "blazepose33", "body25")
    np.testing.assert_array_equal(b[..., sk.index("LHeel"), :], xy[..., 29, :])
    np.testing.assert_array_equal(b[..., sk.index("RBigToe"), :], xy[..., 32, :])
    assert np.isnan(b[..., sk.index("LSmallToe"), :]).all()
    back = convert(convert(b, "body25", "coco17"), "coco17", "body25")
    shared = [sk.index(n) for n in BODY25 if n not in ("Neck", "MidHip") and "Toe" not in n]
    shared = [i for i in shared if "Heel" not in BODY25[i]]
    assert len(shared) == 17
    np.testing.assert_array_equal(back[..., shared, :], b[..., shared, :])


def test_nan_propagates_to_derived_joints_only() -> None:
    coco = convert(blaze_xy()[0, :5], "blazepose33", "coco17").astype(np.float64)
    coco[2, COCO17.index("left_hip")] = np.nan
    h = convert(coco, "coco17", "h36m17")
    nan_joints = {H36M17[j] for j in np.flatnonzero(np.isnan(h[2]).any(-1))}
    assert nan_joints == {"hip", "left_hip", "spine"}
    assert not np.isnan(np.delete(h, 2, axis=0)).any()
    # missing joints are NaN even when the input is complete
    k = convert(coco[:1], "coco17", "kinect_v2_25")
    missing = {KINECT_V2[j] for j in np.flatnonzero(np.isnan(k[0]).all(-1))}
    assert {"HandLeft", "FootRight", "Neck", "ThumbLeft", "HandTipRight"} <= missing


def test_convert_confidence_copies_takes_minimum_and_zeroes_missing() -> None:
    vis = np.load(BLAZE_NPZ)["visibility"]  # (4, 100, 33)
    conf = convert_confidence(vis, "blazepose33", "coco17")
    np.testing.assert_array_equal(conf, vis[..., BLAZE_FOR_COCO])
    hconf = convert_confidence(conf, "coco17", "h36m17")
    lh, rh = COCO17.index("left_hip"), COCO17.index("right_hip")
    np.testing.assert_array_equal(hconf[..., 0], np.minimum(conf[..., lh], conf[..., rh]))
    sh = [COCO17.index(n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    np.testing.assert_array_equal(hconf[..., 7], conf[..., sh].min(-1))
    kconf = convert_confidence(conf, "coco17", "kinect_v1_20")
    assert (kconf[..., KINECT_V1.index("HandLeft")] == 0).all()
    assert kconf.shape == (4, 100, 20) and kconf.dtype == np.float32


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(SKELETON_NAMES, repeat=2)))
def test_every_pair_maps_consistently(src: str, dst: str) -> None:
    m = mapping(src, dst)
    s, d = get_skeleton(src), get_skeleton(dst)
    assert len(m) == d.num_joints and [e.target for e in m.joints] == list(d.joints)
    for e in m.joints:
        assert e.kind in ("exact", "derived", "missing")
        assert all(0 <= i < s.num_joints for i in e.sources)
        assert len(e.sources) == len(e.weights)
        assert e.kind == "missing" or abs(sum(e.weights) - 1.0) < 1e-12
        assert (e.kind == "exact") == (len(e.sources) == 1 and e.canonical in canonical_names(src))
    if src == dst:
        assert m.kinds == ("exact",) * d.num_joints
        x = np.random.default_rng(0).normal(size=(3, s.num_joints, 3))
        x[1, 0] = np.nan
        np.testing.assert_array_equal(convert(x, src, dst), x)


@pytest.mark.parametrize(
    ("src", "dst", "n_missing"),
    [
        ("blazepose33", "h36m17", 0),
        ("coco17", "h36m17", 0),
        ("kinect_v1_20", "h36m17", 1),  # neck_nose
        ("kinect_v2_25", "h36m17", 1),
        ("uiprmd_kinect22", "h36m17", 1),
        ("h36m17", "kinect_v1_20", 4),  # hands and feet
        ("h36m17", "uiprmd_kinect22", 6),  # Chest, collars, toes and Head (= the neck)
        ("pig39", "h36m17", 13),  # only head, thorax and wrists from raw markers
    ],
)
def test_required_conversions_cover_the_expected_joints(src: str, dst: str, n_missing: int) -> None:
    assert mapping(src, dst).kinds.count("missing") == n_missing


def test_common_joints_pair_canonical_landmarks() -> None:
    pairs = common_joints("coco17", "h36m17")
    assert len(pairs) == 12 and ("left_ankle", "left_foot") in pairs
    assert pairs[0] == ("left_shoulder", "left_shoulder")  # COCO's nose is not H36M's neck/nose
    assert len(common_joints("coco17", "body25")) == 17
    kv = common_joints("kinect_v2_25", "uiprmd_kinect22")
    assert (
        ("Head", "HeadTip") in kv and ("Neck", "Head") in kv and ("HandLeft", "LeftHand") not in kv
    )
    assert ("WristLeft", "LeftHand") in kv
    assert common_joints("pig39", "h36m17") == ()
    ia, ib = common_joint_indices("blazepose33", "coco17")
    np.testing.assert_array_equal(ia, BLAZE_FOR_COCO)
    np.testing.assert_array_equal(ib, np.arange(17))


def test_uiprmd_joint_semantics_hold_on_real_kinect_data() -> None:
    for movement in ("m01", "m07"):
        xyz = uiprmd_kinect_xyz(movement)  # cm, Y up
        h = convert(xyz, "uiprmd_kinect22", "h36m17")
        k = convert(xyz, "uiprmd_kinect22", "kinect_v2_25")
        j = {n: h[:, i] for i, n in enumerate(H36M17)}
        length = {
            "upper arm": np.linalg.norm(j["left_elbow"] - j["left_shoulder"], axis=-1),
            "forearm": np.linalg.norm(j["right_wrist"] - j["right_elbow"], axis=-1),
            "thigh": np.linalg.norm(j["left_knee"] - j["left_hip"], axis=-1),
            "shank": np.linalg.norm(j["right_foot"] - j["right_knee"], axis=-1),
        }
        for bone, (lo, hi) in {
            "upper arm": (20, 35), "forearm": (18, 30), "thigh": (28, 50), "shank": (28, 50)
        }.items():  # fmt: skip
            assert lo < np.median(length[bone]) < hi, (movement, bone, np.median(length[bone]))
        neck_y = k[:, KINECT_V2.index("Neck"), 1]
        assert (j["thorax"][:, 1] < neck_y).all() and (neck_y < j["head"][:, 1]).all()
        # the subject's left is +x in this Kinect export, for every frame
        assert (j["left_shoulder"][:, 0] > j["right_shoulder"][:, 0]).all()
        assert (j["left_hip"][:, 0] > j["right_hip"][:, 0]).all()


def test_bad_names_and_shapes_raise_helpful_invalid_input_errors() -> None:
    with pytest.raises(InvalidInputError) as err:
        get_skeleton("coco")
    assert "coco17" in str(err.value) and "uiprmd_kinect22" in str(err.value)
    with pytest.raises(InvalidInputError, match="J = 17 joints of coco17"):
        convert(np.zeros((5, 18, 2)), "coco17", "h36m17")
    with pytest.raises(InvalidInputError, match="arr"):
        convert(np.zeros(17), "coco17", "h36m17")
    with pytest.raises(InvalidInputError, match="J = 33 joints of blazepose33"):
        convert_confidence(np.zeros((5, 17)), "blazepose33", "coco17")
    with pytest.raises(InvalidInputError, match="dtype"):
        convert(np.full((2, 17, 2), "x"), "coco17", "body25")
    with pytest.raises(InvalidInputError, match="h36m17"):
        get_skeleton("h36m17").index("pelvis")
    with pytest.raises(InvalidInputError, match="skeleton"):
        mapping("coco17", "openpose")
    fake = Skeleton("coco17", tuple(COCO17), (-1,) * 17, (), ())
    with pytest.raises(InvalidInputError, match="registry skeleton"):
        convert(np.zeros((1, 17, 2)), fake, "h36m17")


def test_integer_input_becomes_float64_and_float32_is_kept() -> None:
    ints = np.arange(17 * 2).reshape(17, 2)
    out = convert(ints, "coco17", "h36m17")
    assert out.dtype == np.float64
    assert out[0, 0] == (ints[11, 0] + ints[12, 0]) / 2
    assert convert(ints.astype(np.float32), "coco17", "h36m17").dtype == np.float32


def test_converting_to_the_same_skeleton_is_the_weighted_sum_bit_for_bit():
    """convert's shortcut for the same joints in the same order gives what its gather and
    weighted sum give (0 + x * 1: -0.0 becomes +0.0, NaN payloads, inf and subnormals kept),
    for float32, float64 and integer input."""
    from posearena.skeletons.mapping import mapping

    rng = np.random.default_rng(3)
    k64 = rng.normal(300, 200, (5, 17, 2))
    k64[0, :4, 0] = [-0.0, np.nan, -np.nan, np.inf]
    k64[0, :3, 1] = [-np.inf, np.finfo(np.float64).smallest_subnormal, -0.0]
    k64.view(np.uint64)[1, 0, 0] = 0x7FF8000000000123
    k32 = k64.astype(np.float32)
    k32[0, 1, 1] = np.finfo(np.float32).smallest_subnormal
    k32.view(np.uint32)[1, 0, 1] = 0x7FC00123
    ints = np.nan_to_num(k64, nan=0, posinf=0, neginf=0).astype(np.int16)
    idx, w, _ = mapping("coco17", "coco17").gather_tables()
    for k in (k32, k64, ints):
        dtype = k.dtype if k.dtype.kind == "f" else np.dtype(np.float64)
        general = np.einsum("...jkc,jk->...jc", k[..., idx, :].astype(dtype), w.astype(dtype))
        got = convert(k, "coco17", "coco17")
        assert got.dtype == dtype and got.tobytes() == general.tobytes(), k.dtype
        assert not np.shares_memory(got, k)
    assert not np.signbit(convert(k64, "coco17", "coco17")[0, 0, 0])
