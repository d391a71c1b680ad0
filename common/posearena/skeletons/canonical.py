"""Canonical anatomical vocabulary through which every pair of skeletons is mapped.

Each skeleton names, for every one of its joints, the canonical joint it *is* (an "exact"
correspondence: the same anatomical landmark, possibly located slightly differently by
different systems, see the per-skeleton notes), and lists the canonical joints it can only
*derive* as a weighted mean of its own joints (e.g. COCO-17 has no pelvis; its estimate is the
midpoint of the two hips). Converting skeleton A to skeleton B takes each joint of B, looks up
its canonical name, and uses A's exact joint, else A's derived estimate, else marks it missing.

"Exact" means "same named landmark", not "same point in space": Kinect and UI-PRMD hips sit
higher and wider than COCO hip keypoints, the Human3.6M head is not the Kinect head centre,
and so on. Those differences are recorded as notes and travel with every mapping.
"""

from __future__ import annotations

from posearena.skeletons.defs_sensor import PIG39_MARKERS
from posearena.skeletons.skeleton import MirrorRule, mirror_name

#: Unsided canonical joints and what they denote.
_CENTRAL: dict[str, str] = {
    "pelvis": "pelvis centre: midpoint between the hip joints (Kinect hip centre / spine base)",
    "spine": "mid-spine, about halfway between pelvis and thorax",
    "chest": "UI-PRMD chest segment origin, just below the neck base (only UI-PRMD has it)",
    "thorax": "top of the trunk between the shoulders (neck base, OpenPose 'Neck')",
    "neck": "cervical spine between thorax and skull (Kinect v2 'Neck')",
    "neck_nose": "Human3.6M 'neck/nose' joint, at about nose height in front of the neck",
    "head": "head centre (Kinect 'Head', Human3.6M 'Head')",
    "nose": "tip of the nose",
}

#: Sided canonical joints (each exists as left_<base> and right_<base>).
_SIDED: dict[str, str] = {
    "eye": "eye centre",
    "eye_inner": "inner eye corner",
    "eye_outer": "outer eye corner",
    "ear": "ear",
    "mouth": "mouth corner",
    "collar": "UI-PRMD collar (clavicle) segment origin, near the sternum",
    "shoulder": "shoulder (glenohumeral) joint",
    "elbow": "elbow joint",
    "wrist": "wrist joint",
    "hand": "hand centre (Kinect 'Hand')",
    "hand_tip": "tip of the middle finger (Kinect v2 'HandTip')",
    "thumb_tip": "tip of the thumb (Kinect v2 'Thumb')",
    "pinky_knuckle": "pinky knuckle (BlazePose 'pinky')",
    "index_knuckle": "index knuckle (BlazePose 'index')",
    "thumb_knuckle": "thumb knuckle (BlazePose 'thumb')",
    "hip": "hip joint",
    "knee": "knee joint",
    "ankle": "ankle joint",
    "heel": "back of the heel",
    "big_toe": "tip of the big toe / of the foot",
    "small_toe": "tip of the little toe",
    "foot": "forefoot point in front of the ankle (Kinect 'Foot', UI-PRMD 'Toes')",
}


def _vocabulary() -> dict[str, str]:
    vocab = dict(_CENTRAL)
    for base, text in _SIDED.items():
        vocab[f"left_{base}"] = f"left {text}"
        vocab[f"right_{base}"] = f"right {text}"
    for m in PIG39_MARKERS:
        vocab[f"pig_{m}"] = f"Plug-in-Gait skin marker {m}"
    return vocab


#: Every canonical name -> a one-line description.
CANONICAL_JOINTS: dict[str, str] = _vocabulary()

#: How canonical names of the two sides relate (used to check mirror consistency).
CANONICAL_MIRROR: tuple[MirrorRule, ...] = (
    ("prefix", "left_", "right_"),
    ("prefix", "pig_L", "pig_R"),
)


def canonical_mirror(name: str) -> str:
    """Canonical name of the mirror image of a canonical joint (itself if unsided).

    Args:
        name: a canonical joint name, e.g. "left_knee".

    Returns:
        the mirrored canonical name, e.g. "right_knee"; unsided names come back unchanged.
    """
    m = mirror_name(name, CANONICAL_MIRROR)
    return name if m is None or m[1] not in CANONICAL_JOINTS else m[1]
