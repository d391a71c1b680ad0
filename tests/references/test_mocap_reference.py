"""Marker mocap references: UI-PRMD Vicon and .trc files (joint names or Plug-in-Gait markers)."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena.mocap import H36M17_JOINTS, PIG39_MARKERS, read_vicon_positions, to_h36m17
from posearena.mocap import write_trc as mocap_write_trc
from posearena.skeletons import get_skeleton
from posearena_gateway.references import infer_up_axis, read_trc_reference

from .conftest import vicon_positions


def test_vicon_reader_gives_h36m17_metres_z_up(m07_vicon):
    seq = m07_vicon
    assert seq.skeleton == "h36m17" and seq.fps == 100.0 and seq.points.shape == (229, 17, 3)
    assert seq.frame == "vicon world (Z up)" and np.allclose(seq.up_axis, [0, 0, 1])
    markers = read_vicon_positions(vicon_positions("m07"))
    assert np.allclose(seq.points, to_h36m17(markers))
    h = seq.height()
    sk = get_skeleton("h36m17")
    head, ankle = h[:, sk.index("head")], h[:, sk.index("right_foot")]
    assert np.all((head - ankle > 1.3) & (head - ankle < 2.0))  # an adult standing, in metres
    assert seq.extra["coco17"].shape == (229, 17, 3)
    assert np.allclose(seq.extra["pig39_markers"], markers / 1000.0, equal_nan=True)


def test_vicon_leg_bones_nearly_constant(m07_vicon):
    sk = get_skeleton("h36m17")
    for joint in ("right_knee", "left_knee", "right_foot", "left_foot", "left_elbow"):
        j = sk.index(joint)
        bone = np.linalg.norm(m07_vicon.points[:, j] - m07_vicon.points[:, sk.parents[j]], axis=-1)
        assert np.std(bone) < 0.005, joint  # m; joint centres from skin markers


def test_trc_with_plug_in_gait_markers_equals_vicon(tmp_path, m07_vicon):
    markers_mm = read_vicon_positions(vicon_positions("m07"))
    path = tmp_path / "pig.trc"
    mocap_write_trc(path, markers_mm, PIG39_MARKERS, 100.0, units="mm")
    seq = read_trc_reference(path)
    assert seq.skeleton == "h36m17" and seq.fps == 100.0
    assert np.allclose(seq.points, m07_vicon.points, atol=1e-6)
    assert np.allclose(seq.up_axis, [0, 0, 1]) and "inferred" in seq.frame
    assert np.allclose(seq.timestamps, np.arange(229) / 100.0, atol=1e-6)


def test_trc_with_mocap_joint_names_and_y_up(tmp_path, m07_vicon):
    rot = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # lab Z up -> OpenSim Y up
    pts = m07_vicon.points @ rot.T
    path = tmp_path / "joints.trc"
    mocap_write_trc(path, pts * 1000.0, H36M17_JOINTS, 100.0, units="mm")
    seq = read_trc_reference(path)
    assert seq.skeleton == "h36m17"
    assert np.allclose(seq.points, pts, atol=1e-6)
    assert np.allclose(seq.up_axis, [0, 1, 0])
    forced = read_trc_reference(path, up_axis=np.array([0, 2.0, 0]))
    assert np.allclose(forced.up_axis, [0, 1, 0]) and "inferred" not in forced.frame


def test_infer_up_axis_sign():
    seq_pts = np.zeros((4, 17, 3))
    seq_pts[:, 10, 2] = -1.7  # head below the feet along Z: up is -Z
    assert np.allclose(infer_up_axis(seq_pts, "h36m17"), [0, 0, -1])
    with pytest.raises(InvalidInputError, match="up"):
        infer_up_axis(np.full((3, 17, 3), np.nan), "h36m17")


def test_trc_with_unknown_markers_is_an_error(tmp_path):
    path = tmp_path / "odd.trc"
    mocap_write_trc(path, np.zeros((3, 2, 3)), ["Foo", "Bar"], 50.0)
    with pytest.raises(InvalidInputError, match="Plug-in-Gait"):
        read_trc_reference(path)
