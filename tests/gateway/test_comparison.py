"""Candidate vs reference: joints, time alignment, spatial alignment and metrics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.timing import resample
from posearena_gateway.comparison import compare_sequences
from posearena_gateway.comparison.joints import BODY12
from posearena_gateway.references import load_reference
from posearena_gateway.references.sequence import Sequence3D

from .conftest import DATA

VICON = DATA / "ui_prmd" / "Vicon" / "Positions" / "m07_s01_e01_positions.txt.gz"
KINECT = DATA / "ui_prmd" / "Kinect" / "Positions" / "m07_s01_e01_positions.txt.gz"


@pytest.fixture(scope="module")
def vicon() -> Sequence3D:
    """Real shoulder-abduction motion (UI-PRMD Vicon joint centres, h36m17, 100 Hz, Z up)."""
    return load_reference(f"mocap:{VICON}")


def _like(ref: Sequence3D, points: np.ndarray, fps: float | None = None,
          frame: str | None = None) -> Sequence3D:
    return Sequence3D(points, ref.skeleton, fps or ref.fps, frame or ref.frame, ref.up_axis)


def test_same_frame_error_is_the_added_offset(vicon):
    offset = np.zeros_like(vicon.points)
    offset[..., 0] = 0.010  # 10 mm along x on every joint
    c = compare_sequences(vicon, _like(vicon, vicon.points + offset), True, True)
    m = c.metrics
    assert m["mpjpe_mm"] == pytest.approx(10.0, abs=1e-6)
    assert m["p_mpjpe_mm"] == pytest.approx(0.0, abs=1e-6)
    assert m["pck150"] == 1.0
    assert set(m["per_joint_mm"]) == {"right_hip", "right_knee", "right_ankle", "left_hip",
                                      "left_knee", "left_ankle", "left_shoulder", "left_elbow",
                                      "left_wrist", "right_shoulder", "right_elbow",
                                      "right_wrist"}
    assert all(a["rmse_deg"] < 1e-6 for a in m["angles"].values())


def test_camera_frame_candidate_is_aligned_rigidly(vicon):
    rng = np.random.default_rng(1)
    R = Rotation.from_euler("xyz", [100, -20, 35], degrees=True).as_matrix()
    noise = rng.normal(scale=0.02, size=vicon.points.shape)  # 20 mm per axis
    pts = (vicon.points + noise) @ R.T + np.array([0.3, -1.0, 3.0])
    c = compare_sequences(vicon, _like(vicon, pts, frame="camera"), True, False)
    expected = np.linalg.norm(noise, axis=-1).mean() * 1000  # ~ 20*sqrt(8/pi) = 31.9 mm
    assert c.metrics["mpjpe_mm"] == pytest.approx(expected, rel=0.15)
    assert c.metrics["p_mpjpe_mm"] < c.metrics["mpjpe_mm"]
    # angles are compared in the reference frame: knee flexion agrees within noise
    assert c.metrics["angles"]["r_shoulder_abduction"]["rmse_deg"] < 8


def test_unsynchronised_candidate_at_another_rate_is_brought_back(vicon):
    shift = 0.37  # s: the candidate starts 0.37 s after the reference
    late = vicon.points[int(shift * vicon.fps):]
    cand = resample(late, vicon.fps, 30.0)
    c = compare_sequences(vicon, _like(vicon, cand, fps=30.0), False, True)
    al = c.metrics["alignment"]
    assert al["time_scale"] == 1.0
    assert al["offset_s"] == pytest.approx(-shift, abs=0.02)
    assert c.metrics["mpjpe_mm"] < 5.0  # only resampling error remains


def test_kinect_against_vicon_real_recordings(vicon):
    kinect = load_reference(f"kinect:{KINECT}")
    m = compare_sequences(vicon, kinect, False, False).metrics
    assert m["alignment"]["correlation"] > 0.9 and 0.6 < m["alignment"]["time_scale"] < 0.75
    # measured: 5.2 deg RMSE of right shoulder abduction, 76 mm MPJPE over 12 joints; the
    # Kinect episode is cut longer: its clock is found scaled by ~0.66
    assert m["angles"]["r_shoulder_abduction"]["rmse_deg"] < 10
    assert 40 < m["mpjpe_mm"] < 120
    assert m["rom"]["r_shoulder_abduction"]["reference_deg"] > 100


def test_no_common_joints_is_a_clear_error(vicon):
    head_only = Sequence3D(np.zeros((5, 39, 3)), "pig39", 100.0, "x", (0, 0, 1))
    with pytest.raises(InvalidInputError, match="in common"):
        compare_sequences(vicon, head_only, True, True)
    assert len(BODY12) == 12


def test_icc_only_for_angles_that_move(vicon):
    rng = np.random.default_rng(3)
    noisy = vicon.points + rng.normal(scale=0.01, size=vicon.points.shape)  # 10 mm per axis
    angles = compare_sequences(vicon, _like(vicon, noisy), True, True).metrics["angles"]
    # the exercise raises the right arm ~150 deg: both methods agree frame by frame
    assert angles["r_shoulder_abduction"]["icc_a1"] > 0.95
    # the knees stay straight (range < 10 deg): an ICC would only measure noise
    assert angles["l_knee_flexion"]["icc_a1"] is None
