"""Plug-in-Gait joint centres -> H36M-17 and COCO-17 skeletons (metres, file frame).

Head landmarks are ESTIMATES from the four head-band markers (LFHD, RFHD, LBHD, RBHD), in a
head frame with origin at mid-front (mid LFHD/RFHD), forward = mid-back -> mid-front,
left = right markers -> left markers (orthogonalised), up = forward x left:
- nose: 30 mm forward, 65 mm down from mid-front (the band sits on the temples, ~15 mm
  above the brows; the nose tip is ~50 mm below the brows and in front of the forehead).
- eyes: mid-front +- 32 mm lateral (inter-pupil ~64 mm), 35 mm down.
- ears: midway between the same-side front and back markers, 35 mm down, 10 mm outwards.
- H36M head (top): head centre (mean of the 4 markers) + 70 mm up; H36M neck/nose = nose.
These are anthropometric guesses (not measured per subject); errors of ~1-3 cm are likely.
H36M: pelvis = mid hip centres, thorax = mid shoulder centres, spine = mid pelvis-thorax.
"""

from __future__ import annotations

import numpy as np

from posearena.mocap.joint_centres import JointCentreParams, _unit, joint_centres
from posearena.mocap.markers import MARKER_INDEX, check_markers
from posearena.skeletons import get_skeleton

_H36M_KEYS: tuple[str, ...] = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "thorax",
    "neck_nose", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)  # fmt: skip
_COCO_KEYS: tuple[str, ...] = (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
    "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle",
)  # fmt: skip
#: Joint names of the outputs, as in the skeleton registry (same order as the keys above).
H36M17_JOINTS: tuple[str, ...] = tuple(get_skeleton("h36m17").joints)
COCO17_JOINTS: tuple[str, ...] = tuple(get_skeleton("coco17").joints)


def head_landmarks(markers: np.ndarray) -> dict[str, np.ndarray]:
    """Estimate head landmarks from the head-band markers (see module docstring).

    Args:
        markers: (T, 39, 3) Plug-in-Gait markers, mm.

    Returns:
        dict of (T, 3) arrays in mm: nose, l_eye, r_eye, l_ear, r_ear, head_top.
    """
    mk = check_markers(markers)
    lf, rf = mk[:, MARKER_INDEX["LFHD"]], mk[:, MARKER_INDEX["RFHD"]]
    lb, rb = mk[:, MARKER_INDEX["LBHD"]], mk[:, MARKER_INDEX["RBHD"]]
    front, back = 0.5 * (lf + rf), 0.5 * (lb + rb)
    fwd = _unit(front - back)
    left_raw = (lf + lb) - (rf + rb)
    left = _unit(left_raw - np.sum(left_raw * fwd, axis=-1, keepdims=True) * fwd)
    up = np.cross(fwd, left)
    centre = 0.25 * (lf + rf + lb + rb)
    return {
        "nose": front + 30.0 * fwd - 65.0 * up,
        "l_eye": front + 32.0 * left - 35.0 * up,
        "r_eye": front - 32.0 * left - 35.0 * up,
        "l_ear": 0.5 * (lf + lb) + 10.0 * left - 35.0 * up,
        "r_ear": 0.5 * (rf + rb) - 10.0 * left - 35.0 * up,
        "head_top": centre + 70.0 * up,
    }


def _all_points(markers: np.ndarray, params: JointCentreParams | None) -> dict[str, np.ndarray]:
    mk = check_markers(markers)
    pts = joint_centres(mk, params)
    pts.update(head_landmarks(mk))
    pts["pelvis"] = 0.5 * (pts["l_hip"] + pts["r_hip"])
    pts["thorax"] = 0.5 * (pts["l_shoulder"] + pts["r_shoulder"])
    pts["spine"] = 0.5 * (pts["pelvis"] + pts["thorax"])
    pts["neck_nose"] = pts["nose"]
    pts["head"] = pts["head_top"]
    return pts


def to_h36m17(markers: np.ndarray, params: JointCentreParams | None = None) -> np.ndarray:
    """H36M-17 joints from Plug-in-Gait markers.

    Args:
        markers: (T, 39, 3) markers in mm (NaN = missing).
        params: joint-centre offsets (JointCentreParams defaults if None).

    Returns:
        (T, 17, 3) joints in METRES, file frame, H36M17_JOINTS order; NaN where a needed
        marker is missing.
    """
    pts = _all_points(markers, params)
    return np.stack([pts[n] for n in _H36M_KEYS], axis=1) / 1000.0


def to_coco17(markers: np.ndarray, params: JointCentreParams | None = None) -> np.ndarray:
    """COCO-17 keypoints from Plug-in-Gait markers (face points estimated, see module doc).

    Args:
        markers: (T, 39, 3) markers in mm (NaN = missing).
        params: joint-centre offsets (JointCentreParams defaults if None).

    Returns:
        (T, 17, 3) joints in METRES, file frame, COCO17_JOINTS order; NaN where missing.
    """
    pts = _all_points(markers, params)
    return np.stack([pts[n] for n in _COCO_KEYS], axis=1) / 1000.0
