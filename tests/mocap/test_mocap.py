"""posearena.mocap on the bundled UI-PRMD Vicon recordings (s01 e01: m01 deep squat, m07
shoulder abduction)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.mocap import (
    COCO17_JOINTS,
    H36M17_JOINTS,
    MARKER_INDEX,
    PIG39_MARKERS,
    hip_centres,
    joint_centres,
    mocap_joints,
    read_trc,
    read_vicon_positions,
    save,
    to_coco17,
    to_h36m17,
    write_trc,
)

VICON = Path(__file__).resolve().parents[2] / "data" / "ui_prmd" / "Vicon" / "Positions"
SQUAT = VICON / "m01_s01_e01_positions.txt.gz"
ABDUCTION = VICON / "m07_s01_e01_positions.txt.gz"
BONES = {"thigh": ("hip", "knee"), "shank": ("knee", "ankle"),
         "upper_arm": ("shoulder", "elbow"), "forearm": ("elbow", "wrist")}


def _bone_lengths(path: Path) -> dict[str, np.ndarray]:
    j = joint_centres(read_vicon_positions(path))
    return {f"{s}_{b}": np.linalg.norm(j[f"{s}_{p}"] - j[f"{s}_{c}"], axis=1)
            for s in "lr" for b, (p, c) in BONES.items()}


def test_reader_shape_units_and_order() -> None:
    m = read_vicon_positions(ABDUCTION)
    assert m.shape == (229, 39, 3)
    assert np.isfinite(m).all()
    # mm, Z up: head markers ~1.5 m high, toes near the floor, left markers on +Y here
    assert 1400 < m[0, MARKER_INDEX["LFHD"], 2] < 1800
    assert m[0, MARKER_INDEX["LTOE"], 2] < 120
    assert m[0, MARKER_INDEX["LASI"], 1] > m[0, MARKER_INDEX["RASI"], 1]
    assert len(PIG39_MARKERS) == 39


def test_bone_lengths_constant_within_file() -> None:
    lengths = _bone_lengths(ABDUCTION)
    for name, length in lengths.items():
        # the right arm is abducted overhead: the acromion marker slides (skin artefact)
        limit = 25.0 if name == "r_upper_arm" else 5.0
        assert np.std(length) < limit, (name, np.std(length))
    squat = _bone_lengths(SQUAT)
    for name, length in squat.items():
        # deep squat: ASIS and knee markers move on the skin at full flexion
        limit = 5.0 if "arm" in name else 25.0
        assert np.std(length) < limit, (name, np.std(length))


def test_left_right_lengths_similar_and_plausible() -> None:
    for path in (SQUAT, ABDUCTION):
        lengths = _bone_lengths(path)
        for bone in BONES:
            # first 20 frames: both sides at rest (the abducted arm's length drifts, see above)
            left = np.median(lengths[f"l_{bone}"][:20])
            right = np.median(lengths[f"r_{bone}"][:20])
            assert abs(left - right) < 25.0, (path.name, bone, left, right)
            assert 200 < left < 500


def test_hip_centres_inside_pelvis() -> None:
    m = read_vicon_positions(SQUAT)
    lh, rh = hip_centres(m)
    lasi, rasi = m[:, MARKER_INDEX["LASI"]], m[:, MARKER_INDEX["RASI"]]
    mid_psis = 0.5 * (m[:, MARKER_INDEX["LPSI"]] + m[:, MARKER_INDEX["RPSI"]])
    axis = (rasi - lasi) / np.linalg.norm(rasi - lasi, axis=1, keepdims=True)
    mid = 0.5 * (lasi + rasi)
    for hip, sign in ((lh, -1), (rh, 1)):
        lateral = sign * np.sum((hip - mid) * axis, axis=1)
        half = 0.5 * np.linalg.norm(rasi - lasi, axis=1)
        assert np.all((lateral > 0.3 * half) & (lateral < half))  # between midline and ASIS
        # between the ASIS and PSIS planes front to back
        fwd = mid - mid_psis
        s = np.sum((hip - mid_psis) * fwd, axis=1) / np.sum(fwd * fwd, axis=1)
        assert np.all((s > 0.0) & (s < 1.0))
    assert np.all(lh[:, 2] < mid[:, 2]) and np.all(rh[:, 2] < mid[:, 2])


def test_skeleton_vertical_order_and_units() -> None:
    for path in (SQUAT, ABDUCTION):
        m = read_vicon_positions(path)
        h, c = to_h36m17(m), to_coco17(m)
        assert h.shape == c.shape == (len(m), 17, 3)
        z = {n: h[:, i, 2] for i, n in enumerate(H36M17_JOINTS)}
        assert np.all(z["head"] > z["neck_nose"])
        for side in ("left", "right"):
            assert np.all(z["neck_nose"] > z[f"{side}_shoulder"])
            assert np.all(z[f"{side}_shoulder"] > z[f"{side}_hip"])
        assert 0.6 < np.median(z["hip"]) < 1.2  # metres
        cz = {n: c[:, i, 2] for i, n in enumerate(COCO17_JOINTS)}
        assert np.all(cz["left_eye"] > cz["nose"]) and np.all(cz["left_ear"] > cz["left_shoulder"])
        # shared joints are identical between the two skeletons
        np.testing.assert_allclose(c[:, COCO17_JOINTS.index("left_knee")],
                                   h[:, H36M17_JOINTS.index("left_knee")])


def test_missing_markers_become_nan(tmp_path: Path) -> None:
    m = read_vicon_positions(ABDUCTION)
    raw = m.reshape(len(m), -1).copy()
    raw[10:20, 3 * MARKER_INDEX["LKNE"]:3 * MARKER_INDEX["LKNE"] + 3] = 0.0
    path = tmp_path / "m07_s01_e01_positions.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(",".join(f"{v:.6f}" for v in row) for row in raw) + "\n")
    m2 = read_vicon_positions(path)
    assert np.isnan(m2[10:20, MARKER_INDEX["LKNE"]]).all()
    h = to_h36m17(m2)
    li, la, ri = (H36M17_JOINTS.index(n) for n in ("left_knee", "left_foot", "right_knee"))
    assert np.isnan(h[10:20, [li, la]]).all()
    assert np.isfinite(h[:, ri]).all() and np.isfinite(h[:10]).all() and np.isfinite(h[20:]).all()


def test_trc_round_trip_and_cli_helpers(tmp_path: Path) -> None:
    out = mocap_joints(ABDUCTION)
    assert out["fps"] == 100.0
    h = out["h36m17"].copy()
    h[5, 3] = np.nan
    trc = tmp_path / "joints.trc"
    write_trc(trc, h, list(H36M17_JOINTS), fps=100.0, units="m")
    back = read_trc(trc)
    assert back.names == list(H36M17_JOINTS) and back.fps == 100.0 and back.units == "m"
    np.testing.assert_allclose(back.markers, h, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(back.times[:3], [0.0, 0.01, 0.02])
    # markers via .trc give the same joints as via the Vicon file
    mk = tmp_path / "markers.trc"
    write_trc(mk, read_vicon_positions(ABDUCTION), list(PIG39_MARKERS), 100.0, units="mm")
    np.testing.assert_allclose(mocap_joints(mk)["coco17"], out["coco17"], atol=1e-6)
    save(tmp_path / "j.npz", out)
    z = np.load(tmp_path / "j.npz")
    np.testing.assert_allclose(z["h36m17"], out["h36m17"], atol=1e-6)


def test_bad_input_raises() -> None:
    with pytest.raises(InvalidInputError, match="markers"):
        joint_centres(np.zeros((10, 38, 3)))
    with pytest.raises(InvalidInputError, match="path"):
        read_vicon_positions("/nonexistent/file.txt.gz")
    with pytest.raises(InvalidInputError, match="fps"):
        write_trc("/tmp/x.trc", np.zeros((2, 1, 3)), ["a"], fps=0.0)
