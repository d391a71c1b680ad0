"""Joint tables of the sensor and mocap skeletons: Kinect SDK 1.x (20 joints), Kinect SDK 2.0
(25 joints), the UI-PRMD Kinect export (22 joints) and the 39 Plug-in-Gait markers.

Rows are (joint, parent joint or None, canonical name); see `skeleton.SkeletonTable`.

Kinect and UI-PRMD hip joints are NOT anatomically identical to COCO/OpenPose/BlazePose hip
keypoints or to mocap hip joint centres: Kinect puts them higher and wider, and its hip
centre / spine base on the lower spine. They map as "exact" (same named landmark) with a note.
"""

from __future__ import annotations

from posearena.skeletons.skeleton import SkeletonTable

_KINECT_HIP = (
    "Kinect hip joints sit higher and wider than image-keypoint hips (COCO, OpenPose, "
    "BlazePose) and than mocap hip joint centres: not anatomically identical"
)
_KINECT_PELVIS = (
    "Kinect hip centre / spine base lies on the lower spine, above the hip-joint midpoint"
)
_KINECT_THORAX = "Kinect shoulder centre lies on the spine at shoulder height"
_KINECT_HEAD = "Kinect 'Head' is the head centre"


def _kinect_limbs(version: str) -> tuple[tuple[str, str | None, str], ...]:
    """Shoulder-to-hand and hip-to-foot rows shared by Kinect "v1" and "v2" (indices 4..19)."""
    rows: list[tuple[str, str | None, str]] = []
    top = "ShoulderCenter" if version == "v1" else "SpineShoulder"
    base = "HipCenter" if version == "v1" else "SpineBase"
    for side, s in (("Left", "left"), ("Right", "right")):
        rows += [
            (f"Shoulder{side}", top, f"{s}_shoulder"),
            (f"Elbow{side}", f"Shoulder{side}", f"{s}_elbow"),
            (f"Wrist{side}", f"Elbow{side}", f"{s}_wrist"),
            (f"Hand{side}", f"Wrist{side}", f"{s}_hand"),
        ]
    for side, s in (("Left", "left"), ("Right", "right")):
        rows += [
            (f"Hip{side}", base, f"{s}_hip"),
            (f"Knee{side}", f"Hip{side}", f"{s}_knee"),
            (f"Ankle{side}", f"Knee{side}", f"{s}_ankle"),
            (f"Foot{side}", f"Ankle{side}", f"{s}_foot"),
        ]
    return tuple(rows)


_KINECT_NOTES = {
    "left_hip": _KINECT_HIP,
    "right_hip": _KINECT_HIP,
    "pelvis": _KINECT_PELVIS,
    "thorax": _KINECT_THORAX,
    "head": _KINECT_HEAD,
}

KINECT_V1_20 = SkeletonTable(
    name="kinect_v1_20",
    description="Microsoft Kinect SDK 1.x NUI_SKELETON_POSITION order (20 joints, 3D m)",
    rows=(
        ("HipCenter", None, "pelvis"),
        ("Spine", "HipCenter", "spine"),
        ("ShoulderCenter", "Spine", "thorax"),
        ("Head", "ShoulderCenter", "head"),
        *_kinect_limbs("v1"),
    ),
    mirror=(("suffix", "Left", "Right"),),
    notes=dict(_KINECT_NOTES),
)

KINECT_V2_25 = SkeletonTable(
    name="kinect_v2_25",
    description="Microsoft Kinect SDK 2.0 JointType order (25 joints, 3D m)",
    rows=(
        ("SpineBase", None, "pelvis"),
        ("SpineMid", "SpineBase", "spine"),
        ("Neck", "SpineShoulder", "neck"),
        ("Head", "Neck", "head"),
        *_kinect_limbs("v2"),
        ("SpineShoulder", "SpineMid", "thorax"),
        ("HandTipLeft", "HandLeft", "left_hand_tip"),
        ("ThumbLeft", "WristLeft", "left_thumb_tip"),
        ("HandTipRight", "HandRight", "right_hand_tip"),
        ("ThumbRight", "WristRight", "right_thumb_tip"),
    ),
    mirror=(("suffix", "Left", "Right"),),
    notes=dict(_KINECT_NOTES),
)

_UIPRMD_HIP = _KINECT_HIP + "; UI-PRMD 'UpperLeg' is the hip (joints are named by the segment "
_UIPRMD_HIP += "that starts there)"

UIPRMD_KINECT22 = SkeletonTable(
    name="uiprmd_kinect22",
    description=(
        "UI-PRMD Kinect v2 export (22 joints, cm in the files). A joint is named after the "
        "segment that starts at it: UpperArm = shoulder, Forearm = elbow, Hand = wrist, "
        "UpperLeg = hip, LowerLeg = knee, Foot = ankle, Toes = forefoot; 'Head' is the neck "
        "and 'HeadTip' the Kinect head centre"
    ),
    rows=(
        ("Waist", None, "pelvis"),
        ("Spine", "Waist", "spine"),
        ("Chest", "Spine", "chest"),
        ("Neck", "Chest", "thorax"),
        ("Head", "Neck", "neck"),
        ("HeadTip", "Head", "head"),
        ("LeftCollar", "Chest", "left_collar"),
        ("LeftUpperArm", "LeftCollar", "left_shoulder"),
        ("LeftForearm", "LeftUpperArm", "left_elbow"),
        ("LeftHand", "LeftForearm", "left_wrist"),
        ("RightCollar", "Chest", "right_collar"),
        ("RightUpperArm", "RightCollar", "right_shoulder"),
        ("RightForearm", "RightUpperArm", "right_elbow"),
        ("RightHand", "RightForearm", "right_wrist"),
        ("LeftUpperLeg", "Waist", "left_hip"),
        ("LeftLowerLeg", "LeftUpperLeg", "left_knee"),
        ("LeftFoot", "LeftLowerLeg", "left_ankle"),
        ("LeftToes", "LeftFoot", "left_foot"),
        ("RightUpperLeg", "Waist", "right_hip"),
        ("RightLowerLeg", "RightUpperLeg", "right_knee"),
        ("RightFoot", "RightLowerLeg", "right_ankle"),
        ("RightToes", "RightFoot", "right_foot"),
    ),
    mirror=(("prefix", "Left", "Right"),),
    notes={
        "left_hip": _UIPRMD_HIP,
        "right_hip": _UIPRMD_HIP,
        "pelvis": "UI-PRMD 'Waist' is Kinect's spine base: " + _KINECT_PELVIS,
        "thorax": "UI-PRMD 'Neck' (neck segment origin) is the neck base; 'Chest' is ~1 cm below",
        "neck": "UI-PRMD 'Head' is the head segment's origin, i.e. the neck (Kinect v2 'Neck')",
        "head": "UI-PRMD 'HeadTip' is Kinect's head centre (~16 cm above 'Head'), not the crown",
        "left_wrist": "UI-PRMD 'LeftHand' is the wrist (origin of the hand segment)",
        "right_wrist": "UI-PRMD 'RightHand' is the wrist (origin of the hand segment)",
        "left_foot": "UI-PRMD 'LeftToes' is the toe segment origin (Kinect 'FootLeft')",
        "right_foot": "UI-PRMD 'RightToes' is the toe segment origin (Kinect 'FootRight')",
    },
)

#: The 39 Plug-in-Gait full-body markers in UI-PRMD Vicon column order.
PIG39_MARKERS: tuple[str, ...] = (
    "LFHD", "RFHD", "LBHD", "RBHD", "C7", "T10", "CLAV", "STRN", "RBAK",
    "LSHO", "LUPA", "LELB", "LFRM", "LWRA", "LWRB", "LFIN",
    "RSHO", "RUPA", "RELB", "RFRM", "RWRA", "RWRB", "RFIN",
    "LASI", "RASI", "LPSI", "RPSI",
    "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
    "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE",
)  # fmt: skip

PIG39 = SkeletonTable(
    name="pig39",
    description=(
        "Vicon Plug-in-Gait full-body skin markers (UI-PRMD order, 3D mm). Markers, not joints: "
        "every marker is a root (no kinematic tree); RBAK has no left twin. Joint centres "
        "(hips, knees, ankles, shoulders, elbows) need posearena.mocap, not this mapping"
    ),
    rows=tuple((m, None, f"pig_{m}") for m in PIG39_MARKERS),
    mirror=(("prefix", "L", "R"),),
    derived={
        "head": (("LFHD", 0.25), ("RFHD", 0.25), ("LBHD", 0.25), ("RBHD", 0.25)),
        "thorax": (("C7", 0.5), ("CLAV", 0.5)),
        "left_wrist": (("LWRA", 0.5), ("LWRB", 0.5)),
        "right_wrist": (("RWRA", 0.5), ("RWRB", 0.5)),
    },
    notes={
        "head": "head centre estimated as the centroid of the four head markers",
        "thorax": "thorax estimated as the midpoint of C7 and CLAV (jugular notch)",
        "left_wrist": "wrist centre estimated as the midpoint of the wrist-bar markers",
        "right_wrist": "wrist centre estimated as the midpoint of the wrist-bar markers",
    },
)

SENSOR_TABLES: tuple[SkeletonTable, ...] = (KINECT_V1_20, KINECT_V2_25, UIPRMD_KINECT22, PIG39)
