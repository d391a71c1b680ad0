"""Time alignment when one moving angle is missing in most frames (UI-PRMD: a planar hip
angle of the Kinect leaving its plane, lost Vicon knee markers): the other angles still
synchronise the recordings, on the real deep squat (m01) of the bundled excerpt."""

from __future__ import annotations

import numpy as np
import pytest

from posearena_gateway.comparison import compare_sequences
from posearena_gateway.references import load_reference
from posearena_gateway.references.sequence import Sequence3D

from .conftest import DATA

UIPRMD = DATA / "ui_prmd"


def test_a_mostly_missing_moving_angle_no_longer_stops_the_alignment() -> None:
    vicon = load_reference(f"mocap:{UIPRMD / 'Vicon/Positions/m01_s01_e01_positions.txt.gz'}")
    kinect = load_reference(f"kinect:{UIPRMD / 'Kinect/Positions/m01_s01_e01_positions.txt.gz'}")
    whole = compare_sequences(vicon, kinect, synchronised=False, same_frame=False)
    signals = whole.metrics["alignment"]["signals"]
    assert "l_knee_flexion" in signals  # the squat's knees move and synchronise it
    # the left knee lost in 70 % of the Kinect frames: l_knee and l_hip flexion mostly NaN
    pts = kinect.points.copy()
    knee = kinect.joints.index("LeftLowerLeg")
    lost = np.random.default_rng(0).random(len(pts)) < 0.7
    pts[lost, knee] = np.nan
    gappy = Sequence3D(pts, kinect.skeleton, kinect.fps, kinect.frame, kinect.up_axis,
                       source=kinect.source)
    part = compare_sequences(vicon, gappy, synchronised=False, same_frame=False)
    al = part.metrics["alignment"]
    assert "l_knee_flexion" not in al["signals"] and "r_knee_flexion" in al["signals"]
    assert al["offset_s"] == pytest.approx(whole.metrics["alignment"]["offset_s"], abs=0.05)
    assert al["time_scale"] == pytest.approx(whole.metrics["alignment"]["time_scale"],
                                             abs=0.03)
