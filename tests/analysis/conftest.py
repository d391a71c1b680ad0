"""Real-data fixtures: UI-PRMD Vicon m07 (standing shoulder abduction), subject 1, episode 1.

Markers (39 Plug-in-Gait, mm, Z up, order of data/README.md) are turned into rough joint
centres by a small helper here; the full converter lives in posearena.mocap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posearena_gateway.analysis.angles import joint_angles

VICON_M07 = (Path(__file__).resolve().parents[2] / "data" / "ui_prmd" / "Vicon" / "Positions"
             / "m07_s01_e01_positions.txt.gz")  # fmt: skip
MARKERS = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK", "LSHO", "LUPA", "LELB",
    "LFRM", "LWRA", "LWRB", "LFIN", "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE", "RTHI",
    "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
)  # fmt: skip


def markers_to_joints(markers: np.ndarray) -> dict[str, np.ndarray]:
    """Rough upper-body joint centres (metres) from (T, 39, 3) markers in mm.

    Hips: mid ASIS/PSIS of each side; shoulders: SHO 60 mm below along the trunk axis
    (mid pelvis -> mid C7/CLAV); elbows: ELB; wrists: mid WRA/WRB.
    """
    m = {name: markers[:, i] / 1000.0 for i, name in enumerate(MARKERS)}
    l_hip, r_hip = 0.5 * (m["LASI"] + m["LPSI"]), 0.5 * (m["RASI"] + m["RPSI"])
    trunk = 0.5 * (m["C7"] + m["CLAV"]) - 0.5 * (l_hip + r_hip)
    down = -trunk / np.linalg.norm(trunk, axis=1, keepdims=True)
    joints = {"l_hip": l_hip, "r_hip": r_hip}
    for s, side in (("l", "L"), ("r", "R")):
        joints[f"{s}_shoulder"] = m[f"{side}SHO"] + 0.060 * down
        joints[f"{s}_elbow"] = m[f"{side}ELB"]
        joints[f"{s}_wrist"] = 0.5 * (m[f"{side}WRA"] + m[f"{side}WRB"])
    return joints


@pytest.fixture(scope="session")
def vicon_m07_angles() -> dict[str, np.ndarray]:
    """Joint angles (degrees, (T,) each) of the bundled Vicon abduction episode (100 Hz)."""
    markers = np.loadtxt(VICON_M07, delimiter=",").reshape(-1, len(MARKERS), 3)
    return joint_angles(markers_to_joints(markers), vertical=(0.0, 0.0, 1.0))


@pytest.fixture(scope="session")
def abduction_deg(vicon_m07_angles: dict[str, np.ndarray]) -> np.ndarray:
    """Right shoulder abduction (degrees, (T,), 100 Hz) of the Vicon abduction episode."""
    return vicon_m07_angles["r_shoulder_abduction"]
