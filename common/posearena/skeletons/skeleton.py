"""The `Skeleton` record (joint names, kinematic tree, left/right mirror pairs) and its table form.

A skeleton is written once as a `SkeletonTable`: one row per joint giving the joint's name, its
parent's name (None for a root) and its canonical anatomical name (see `canonical.py`), plus the
canonical joints the skeleton can only *derive* as weighted means of its own joints. `build()`
turns a table into the immutable `Skeleton` the rest of posearena uses (indices, not names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posearena.errors import InvalidInputError

#: A mirror rule: ("prefix" | "suffix", left token, right token), e.g. ("prefix", "L", "R").
MirrorRule = tuple[str, str, str]


@dataclass(frozen=True)
class Skeleton:
    """A named joint set with its kinematic tree and left/right mirror pairs.

    Attributes:
        name: registry key, e.g. "coco17".
        joints: (J,) joint names in array order (index j of a (..., J, C) array is joints[j]).
        parents: (J,) parent index of each joint, -1 for a root; the graph is acyclic.
        left: indices of joints on the subject's left side; left[i] mirrors right[i].
        right: indices of the mirrored right-side joints, same length as `left`.
        description: where the order comes from and what the points are.
    """

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        J = len(self.joints)
        if len(set(self.joints)) != J:
            raise InvalidInputError(f"{self.name}.joints", self.joints, "unique joint names")
        if len(self.parents) != J:
            raise InvalidInputError(
                f"{self.name}.parents", len(self.parents), f"{J} parent indices (one per joint)"
            )
        if len(self.left) != len(self.right):
            raise InvalidInputError(
                f"{self.name}.right", self.right, f"{len(self.left)} indices (as many as left)"
            )
        for j, p in enumerate(self.parents):
            if not -1 <= p < J or p == j:
                raise InvalidInputError(
                    f"{self.name}.parents[{j}]", p, f"-1 or another joint index in [0, {J})"
                )
        for j in range(J):  # walking up from any joint must reach a root within J steps
            k, steps = j, 0
            while k != -1:
                k, steps = self.parents[k], steps + 1
                if steps > J:
                    raise InvalidInputError(
                        f"{self.name}.parents", self.parents, "an acyclic parent graph"
                    )
        paired = list(self.left) + list(self.right)
        if len(set(paired)) != len(paired) or not all(0 <= i < J for i in paired):
            raise InvalidInputError(
                f"{self.name}.left/right", (self.left, self.right), f"distinct indices in [0, {J})"
            )

    @property
    def num_joints(self) -> int:
        """Number of joints J."""
        return len(self.joints)

    def index(self, joint_name: str) -> int:
        """Index of a joint in this skeleton's array order.

        Args:
            joint_name: a name from `joints` (exact spelling, case-sensitive).

        Returns:
            the index j in [0, J).

        Raises:
            InvalidInputError: the name is not a joint of this skeleton (the message lists them).
        """
        try:
            return self.joints.index(joint_name)
        except ValueError:
            raise InvalidInputError(
                "joint_name", joint_name, f"one of the {self.name} joints {list(self.joints)}"
            ) from None

    def flip_permutation(self) -> np.ndarray:
        """Permutation that swaps each left joint with its right mirror (others stay in place).

        `flipped = arr[..., perm, :]` relabels a pose after mirroring the image or the body;
        applying it twice gives the identity.

        Returns:
            (J,) int64 index array.
        """
        perm = np.arange(self.num_joints, dtype=np.int64)
        perm[list(self.left)] = self.right
        perm[list(self.right)] = self.left
        return perm


@dataclass(frozen=True)
class SkeletonTable:
    """Source form of a skeleton: rows of (joint, parent joint or None, canonical name).

    Attributes:
        name: registry key.
        description: provenance of the joint order and what the points are.
        rows: one (joint name, parent name | None, canonical name) per joint, in array order.
        mirror: rules that turn a left joint's name into its right mirror's name.
        derived: canonical name -> ((joint name, weight), ...): canonical joints this skeleton
            lacks but can estimate as a weighted mean of its own joints (weights sum to 1).
        notes: canonical name -> caveat shown in every mapping that uses that joint.
    """

    name: str
    description: str
    rows: tuple[tuple[str, str | None, str], ...]
    mirror: tuple[MirrorRule, ...]
    derived: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def joints(self) -> tuple[str, ...]:
        """Joint names in array order."""
        return tuple(r[0] for r in self.rows)

    @property
    def canonical(self) -> tuple[str, ...]:
        """Canonical anatomical name of each joint, in array order."""
        return tuple(r[2] for r in self.rows)


def mirror_name(name: str, rules: tuple[MirrorRule, ...]) -> tuple[str, str] | None:
    """Apply the first matching left->right mirror rule to a joint name.

    Args:
        name: joint name.
        rules: ("prefix" | "suffix", left token, right token) rules.

    Returns:
        ("left" | "right", mirrored name) when a rule matches, else None.
    """
    for where, lt, rt in rules:
        for side, a, b in (("left", lt, rt), ("right", rt, lt)):
            if where == "prefix" and name.startswith(a) and len(name) > len(a):
                return side, b + name[len(a) :]
            if where == "suffix" and name.endswith(a) and len(name) > len(a):
                return side, name[: -len(a)] + b
    return None


def build(table: SkeletonTable) -> Skeleton:
    """Turn a `SkeletonTable` into a validated `Skeleton`.

    Joints whose mirrored name is not in the table (e.g. the single Plug-in-Gait RBAK marker)
    are left unpaired and map onto themselves under `Skeleton.flip_permutation`.

    Args:
        table: the skeleton's table.

    Returns:
        the `Skeleton` with parents and left/right pairs as indices.
    """
    joints = table.joints
    pos = {n: i for i, n in enumerate(joints)}
    unknown = [p for _, p, _ in table.rows if p is not None and p not in pos]
    if unknown:
        raise InvalidInputError(f"{table.name}.rows", unknown, "parents that are joints")
    parents = tuple(-1 if p is None else pos[p] for _, p, _ in table.rows)
    left: list[int] = []
    right: list[int] = []
    for i, n in enumerate(joints):
        m = mirror_name(n, table.mirror)
        if m is not None and m[0] == "left" and m[1] in pos:
            left.append(i)
            right.append(pos[m[1]])
    return Skeleton(table.name, joints, parents, tuple(left), tuple(right), table.description)
