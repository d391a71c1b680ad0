"""UI-PRMD Kinect reader: forward kinematics checked on the real m07/m01 recordings."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton
from posearena_gateway.references import (
    angles_path_for,
    euler_to_matrix,
    forward_kinematics,
    read_uiprmd_kinect,
)
from posearena_gateway.references.uiprmd_kinect import _LOCAL_PARENT_ROTATION

from .conftest import DATA, kinect_positions


def _raw(movement: str) -> tuple[np.ndarray, np.ndarray]:
    def load(p):
        with gzip.open(p, "rt") as fh:
            return np.loadtxt(fh, delimiter=",").reshape(-1, 22, 3)

    pos = kinect_positions(movement)
    return load(pos), load(DATA / "Kinect" / "Angles" / pos.name.replace("positions", "angles"))


def _reference_fk(off: np.ndarray, ang: np.ndarray, quirk: bool) -> np.ndarray:
    """Independent per-frame FK written from the data README, with scipy rotations."""
    skel = get_skeleton("uiprmd_kinect22")
    local_only = {skel.index(n) for n in _LOCAL_PARENT_ROTATION} if quirk else set()
    out = np.zeros_like(off)
    for t in range(len(off)):
        rot = [Rotation.from_euler("ZYX", ang[t, j, ::-1], degrees=True) for j in range(22)]
        world: dict[int, Rotation] = {}
        for j, p in enumerate(skel.parents):
            if p < 0:
                out[t, j], world[j] = off[t, j], rot[j]
                continue
            parent = rot[p] if j in local_only else world[p]
            out[t, j] = out[t, p] + parent.apply(off[t, j])
            world[j] = parent * rot[j]
    return out


def test_documented_check_m07_right_hand_rises_head_steady(m07_kinect):
    h = m07_kinect.height()  # (T, 22) m along Y
    skel = get_skeleton("uiprmd_kinect22")
    hand, head = h[:, skel.index("RightHand")], h[:, skel.index("Head")]
    assert m07_kinect.skeleton == "uiprmd_kinect22" and m07_kinect.fps == 30.0
    assert np.allclose(m07_kinect.up_axis, [0, 1, 0])
    assert abs(hand[0] - 0.78) < 0.02 and abs(hand[-1] - 0.78) < 0.03
    assert abs(hand.max() - 1.80) < 0.02
    assert np.all(np.abs(head - 1.41) < 0.02)
    # the left hand stays down during a right shoulder abduction
    assert h[:, skel.index("LeftHand")].max() < 0.85


def test_fk_matches_independent_implementation_and_quirk_matters():
    off, ang = _raw("m07")
    got = forward_kinematics(off, ang)
    assert np.allclose(got, _reference_fk(off, ang, quirk=True), atol=1e-9)
    no_quirk = _reference_fk(off, ang, quirk=False)
    rh = get_skeleton("uiprmd_kinect22").index("RightHand")
    assert np.abs(got[:, rh] - no_quirk[:, rh]).max() > 5.0  # cm: the quirk is not a no-op


def test_euler_matches_scipy_zyx():
    rng = np.random.default_rng(0)
    a = rng.uniform(-180, 180, size=(50, 3))
    want = Rotation.from_euler("ZYX", a[:, ::-1], degrees=True).as_matrix()
    assert np.allclose(euler_to_matrix(a), want, atol=1e-12)


@pytest.mark.parametrize("movement", ["m01", "m07"])
def test_bone_lengths_are_the_file_offsets_every_frame(movement):
    off, _ = _raw(movement)
    seq = read_uiprmd_kinect(kinect_positions(movement))
    skel = get_skeleton("uiprmd_kinect22")
    for j, p in enumerate(skel.parents):
        if p >= 0:
            bone = np.linalg.norm(seq.points[:, j] - seq.points[:, p], axis=-1)
            assert np.allclose(bone, np.linalg.norm(off[:, j], axis=-1) / 100.0, atol=1e-9)


def test_bone_lengths_constant_over_time_with_constant_offsets():
    off, ang = _raw("m01")  # real angles of a deep squat, offsets frozen at frame 0
    frozen = np.repeat(off[:1], len(off), axis=0)
    frozen[:, 0] = off[:, 0]  # the root still moves
    pts = forward_kinematics(frozen, ang)
    skel = get_skeleton("uiprmd_kinect22")
    bones = [(j, p) for j, p in enumerate(skel.parents) if p >= 0]
    lengths = np.stack([np.linalg.norm(pts[:, j] - pts[:, p], axis=-1) for j, p in bones], axis=1)
    assert np.ptp(lengths, axis=0).max() < 1e-9
    assert np.ptp(pts[:, skel.index("Head"), 1]) > 0.2 * 100  # but the body really moves (cm)


def test_plain_txt_and_explicit_angles_path(tmp_path):
    pos = tmp_path / "pos.txt"
    ang = tmp_path / "ang.txt"
    for src, dst in ((kinect_positions("m07"), pos), (_angles_of("m07"), ang)):
        with gzip.open(src, "rb") as fi, open(dst, "wb") as fo:
            shutil.copyfileobj(fi, fo)
    seq = read_uiprmd_kinect(pos, ang)
    ref = read_uiprmd_kinect(kinect_positions("m07"))
    assert np.array_equal(seq.points, ref.points)
    assert seq.extra["angles_deg"].shape == (seq.num_frames, 22, 3)


def _lines(movement: str) -> list[str]:
    with gzip.open(kinect_positions(movement), "rt") as fh:
        return fh.read().splitlines()


def _angles_of(movement: str):
    return DATA / "Kinect" / "Angles" / f"{movement}_s01_e01_angles.txt.gz"


def test_angles_found_beside_in_sibling_folder(tmp_path):
    (tmp_path / "Positions").mkdir()
    (tmp_path / "Angles").mkdir()
    pos = tmp_path / "Positions" / "m07_s01_e01_positions.txt.gz"
    shutil.copy(kinect_positions("m07"), pos)
    with pytest.raises(InvalidInputError) as err:
        read_uiprmd_kinect(pos)
    assert str(tmp_path / "Angles" / "m07_s01_e01_angles.txt.gz") in str(err.value)
    shutil.copy(_angles_of("m07"), tmp_path / "Angles" / "m07_s01_e01_angles.txt.gz")
    assert read_uiprmd_kinect(pos).num_frames == 63
    assert angles_path_for(pos)[0] == tmp_path / "Angles" / "m07_s01_e01_angles.txt.gz"


def test_wrong_column_count_names_file_and_line(tmp_path):
    rows = _lines("m07")
    rows[2] = ",".join(rows[2].split(",")[:-1])  # 65 columns on line 3
    pos = tmp_path / "Positions" / "m07_s01_e01_positions.txt"
    pos.parent.mkdir()
    pos.write_text("\n".join(rows) + "\n")
    (tmp_path / "Angles").mkdir()
    shutil.copy(_angles_of("m07"), tmp_path / "Angles" / "m07_s01_e01_angles.txt.gz")
    with pytest.raises(InvalidInputError) as err:
        read_uiprmd_kinect(pos)
    msg = str(err.value)
    assert str(pos) in msg and "line 3" in msg and "66" in msg and "65 columns" in msg


def test_row_count_mismatch_is_an_error(tmp_path):
    pos = tmp_path / "p_positions.txt"
    pos.write_text("\n".join(_lines("m07")[:10]))
    with pytest.raises(InvalidInputError, match="10 rows"):
        read_uiprmd_kinect(pos, _angles_of("m07"))
