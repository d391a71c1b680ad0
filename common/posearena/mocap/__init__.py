"""Plug-in-Gait markers -> joint centres and skeletons (pure numpy).

Input markers are in mm (UI-PRMD Vicon: 100 Hz, Z up); skeleton outputs are in metres in the
same frame, NaN where a needed marker is missing.
"""

from posearena.mocap.api import mocap_joints, save
from posearena.mocap.joint_centres import (
    JointCentreParams,
    chord_centre,
    hip_centres,
    joint_centres,
)
from posearena.mocap.markers import MARKER_INDEX, PIG39_MARKERS, VICON_FPS, read_vicon_positions
from posearena.mocap.skeletons import (
    COCO17_JOINTS,
    H36M17_JOINTS,
    head_landmarks,
    to_coco17,
    to_h36m17,
)
from posearena.mocap.trc import TrcData, read_trc, write_trc

__all__ = [
    "COCO17_JOINTS", "H36M17_JOINTS", "MARKER_INDEX", "PIG39_MARKERS", "VICON_FPS",
    "JointCentreParams", "TrcData", "chord_centre", "head_landmarks", "hip_centres",
    "joint_centres", "mocap_joints", "read_trc", "read_vicon_positions", "save", "to_coco17",
    "to_h36m17", "write_trc",
]  # fmt: skip
