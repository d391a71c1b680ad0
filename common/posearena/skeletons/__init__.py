"""Skeleton registry: joint orders, kinematic trees, left/right pairs and conversions.

Registry names: coco17, body25, coco18, h36m17, blazepose33, kinect_v1_20, kinect_v2_25,
uiprmd_kinect22, pig39 (Plug-in-Gait markers). Every skeleton maps to every other through a
canonical anatomical vocabulary (`CANONICAL_JOINTS`); see `mapping` for exact / derived /
missing joints and the notes on joints that share a name but not a location (Kinect hips).

Example:
    >>> from posearena.skeletons import convert, get_skeleton
    >>> h36m = convert(coco_xy, "coco17", "h36m17")  # (T, 17, 2) -> (T, 17, 2), pelvis = mid-hips
"""

from posearena.skeletons.canonical import CANONICAL_JOINTS, canonical_mirror
from posearena.skeletons.mapping import (
    KINDS,
    JointMapping,
    MappedJoint,
    common_joint_indices,
    common_joints,
    convert,
    convert_confidence,
    mapping,
)
from posearena.skeletons.registry import SKELETON_NAMES, canonical_names, get_skeleton
from posearena.skeletons.skeleton import Skeleton

__all__ = [
    "CANONICAL_JOINTS",
    "KINDS",
    "SKELETON_NAMES",
    "JointMapping",
    "MappedJoint",
    "Skeleton",
    "canonical_mirror",
    "canonical_names",
    "common_joint_indices",
    "common_joints",
    "convert",
    "convert_confidence",
    "get_skeleton",
    "mapping",
]
