"""Common joints of a candidate and a reference, through the skeleton registry."""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import canonical_names, common_joint_indices
from posearena_gateway.references.sequence import Sequence3D

#: The joints every comparison is made on (canonical names): the 12 limb joints clinicians
#: measure angles from. Face, hand and foot landmarks and trunk points that each system
#: defines differently (Kinect spine, H36M thorax, ...) are left out so that systems with
#: different skeletons are compared on the same, anatomically equivalent set.
BODY12 = tuple(f"{side}_{j}" for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
               for side in ("left", "right"))


def body12_pairs(skeleton_a: str, skeleton_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into skeleton_a, into skeleton_b) of their exactly-corresponding BODY12 joints,
    in skeleton_a's order."""
    ia, ib = common_joint_indices(skeleton_a, skeleton_b)
    canon = canonical_names(skeleton_a)
    keep = [k for k, i in enumerate(ia) if canon[i] in BODY12]
    return np.asarray(ia)[keep], np.asarray(ib)[keep]


def common_arrays(
    ref: Sequence3D, cand: Sequence3D
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Restrict both sequences to their exactly-corresponding BODY12 joints.

    Returns:
        ref (T_r, K, 3) m, cand (T_c, K, 3) m, and the K canonical joint names (registry
        vocabulary, e.g. "left_ankle" for H36M's "left_foot" and UI-PRMD's "LeftFoot").

    Raises:
        InvalidInputError: fewer than 4 common joints (no meaningful comparison).
    """
    ir, ic = body12_pairs(ref.skeleton, cand.skeleton)
    if len(ir) < 4:
        raise InvalidInputError(
            "reference", f"{ref.skeleton} vs {cand.skeleton}",
            f">= 4 joints in common through the skeleton registry (found {len(ir)})",
        )
    canon = canonical_names(ref.skeleton)
    names = tuple(canon[i] for i in ir)
    return ref.points[:, ir], cand.points[:, ic], names


def root_index(names: tuple[str, ...]) -> list[int]:
    """Indices whose mean is the root: both hips when present, else every joint."""
    hips = [i for i, n in enumerate(names) if _canon(n) in ("l_hip", "r_hip")]
    return hips if len(hips) == 2 else list(range(len(names)))


def _canon(name: str) -> str | None:
    from posearena_gateway.analysis.angles import canonical_joint_name

    return canonical_joint_name(name)


def root_centred(points: np.ndarray, root: list[int]) -> np.ndarray:
    """(T, K, 3) minus the per-frame mean of the `root` joints (NaN frames stay NaN)."""
    return points - root_position(points, root)


def root_position(points: np.ndarray, root: list[int]) -> np.ndarray:
    """(T, 1, 3) mean of the `root` joints per frame; NaN where any of them is missing."""
    return points[:, root].mean(axis=1, keepdims=True)
