"""Left/right label swaps in one view's 2D track, undone by temporal continuity.

Single-view detectors (BlazePose especially) sometimes label a whole body, or its arms or legs,
mirrored for a stretch of frames, typically when the person turns away: the 2D points stay
where they are, but "left wrist" jumps to the right wrist. Triangulation catches this across
views (the stereo service's `leftright`); a single-view lifter cannot, and lifts a mirrored
body. Here each frame gets a state per body-part group (face, arms, legs: swapped or not),
chosen by Viterbi to make the relabelled joints move least between frames, with a small cost
per swapped group and frame so that labels are kept unless continuity asks otherwise.
Causal mode decides frame t from frames <= t only: the state that ends the cheapest path up to
t (forward pass, no backtracking), so appending frames never changes earlier labels.

Inputs: keypoints (T, J, 2) px of one person (NaN where missing) and the skeleton's names and
mirror pairs. Outputs: relabelled keypoints (T, J, 2) px and swapped (T, G) bool.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton
from posearena.viterbi import viterbi

#: Body-part groups by joint-name keywords (the first group that matches a pair's name wins).
#: Legs, then arms, then face: "foot_index" contains "index", "forearm" contains "ear".
GROUP_KEYWORDS = {
    "legs": ("hip", "knee", "ankle", "heel", "foot", "toe", "leg"),
    "arms": ("shoulder", "elbow", "wrist", "hand", "pinky", "index", "thumb", "collar",
             "arm"),
    "face": ("eye", "ear", "mouth", "nose", "head"),
}
SWAP_COST_PX = 2.0  # per swapped group and frame: keeps the labels when continuity is silent
JUMP_CAP = 0.5  # a joint's step cost is capped at this fraction of the body's extent
STEP_BLOCK = 512  # frames per block when scoring state changes


@dataclass
class LeftRightFix:
    """Result of `resolve_left_right_2d`.

    Attributes:
        keypoints: (T, J, 2) px with the chosen labels.
        swapped: (T, G) bool, True where group g was relabelled in frame t.
        groups: (G,) group names.
    """

    keypoints: np.ndarray
    swapped: np.ndarray
    groups: list[str]

    @property
    def frames_relabelled(self) -> int:
        """Frames where at least one group was relabelled."""
        return int(self.swapped.any(axis=1).sum())


def mirror_groups(skeleton: str) -> dict[str, tuple[list[int], list[int]]]:
    """{group: (left indices, right indices)} of a registry skeleton's mirror pairs."""
    sk = get_skeleton(skeleton)
    groups: dict[str, tuple[list[int], list[int]]] = {}
    for li, ri in zip(sk.left, sk.right, strict=True):
        name = sk.joints[li].lower()
        group = next((g for g, words in GROUP_KEYWORDS.items()
                      if any(w in name for w in words)), "other")
        left, right = groups.setdefault(group, ([], []))
        left.append(li)
        right.append(ri)
    return groups


def _state_permutations(states: Sequence[Sequence[bool]],
                        pairs: Sequence[tuple[list[int], list[int]]], n_joints: int,
                        ) -> np.ndarray:
    """(S, J) int: the joint read for joint j in state s (its mirror where its group is
    swapped)."""
    perms = np.tile(np.arange(n_joints), (len(states), 1))
    for s, state in enumerate(states):
        for on, (left, right) in zip(state, pairs, strict=True):
            if on:
                perms[s, left + right] = right + left
    return perms


def _group_flag_index(states: Sequence[Sequence[bool]],
                      pairs: Sequence[tuple[list[int], list[int]]], n_joints: int,
                      ) -> np.ndarray:
    """(S, S, J) int in 0..3: 2 * (j's group swapped in state a) + (swapped in state b),
    0 for joints in no group; a joint's step cost from state a to b depends on nothing else."""
    flags = np.zeros((len(states), n_joints), np.int64)
    for s, state in enumerate(states):
        for on, (left, right) in zip(state, pairs, strict=True):
            flags[s, left + right] = int(on)
    return 2 * flags[:, None, :] + flags[None, :, :]


def _forward_states(prior: np.ndarray, pairwise: np.ndarray) -> np.ndarray:
    """Causal decisions: at each t the last state of the cheapest path over frames <= t.

    Args:
        prior: (S,) cost per state and frame. pairwise: (T-1, S, S) transition costs.

    Returns:
        (T,) int state indices.
    """
    acc = prior.copy()
    path = np.empty(len(pairwise) + 1, np.int64)
    path[0] = int(acc.argmin())
    for t, pw in enumerate(pairwise, start=1):
        acc = (acc[:, None] + pw).min(axis=0) + prior
        acc -= acc.min()  # keeps the costs bounded over long tracks (argmin unchanged)
        path[t] = int(acc.argmin())
    return path


def step_costs(kp: np.ndarray, cap: np.ndarray, states: Sequence[Sequence[bool]],
               pairs: Sequence[tuple[list[int], list[int]]]) -> np.ndarray:
    """pairwise[t - 1, a, b]: the joints' motion from state a at t-1 to state b at t.

    Each joint's step is capped at cap[t] px and NaN counts 0. A joint's term depends only on
    its group's two flags, so four (frames, J) distance tables (no mirror, mirrored now,
    mirrored before, both) are gathered per state pair and summed over joints in the order of
    full S x S tables of relabelled skeletons (the same floats); in blocks of frames to bound
    the (S, S, frames, J) temporaries.

    Args:
        kp: (T, J, 2) float64 px, NaN where missing. cap: (T,) px (inf: no cap).
        states: S tuples of one flag per group (swapped or not). pairs: per group (left
            joint indices, right joint indices).

    Returns:
        (T-1, S, S) float64 px.
    """
    n_t, n_joints = kp.shape[:2]
    n_s = len(states)
    mirror = _state_permutations([[True] * len(pairs)], pairs, n_joints)[0]
    sel = _group_flag_index(states, pairs, n_joints)[:, :, None, :]  # (S, S, 1, J)
    joint = np.arange(n_joints)
    pairwise = np.empty((max(n_t - 1, 0), n_s, n_s))
    for t0 in range(1, n_t, STEP_BLOCK):
        t1 = min(t0 + STEP_BLOCK, n_t)
        prev, now = kp[t0 - 1:t1 - 1], kp[t0:t1]
        d4 = np.stack([np.linalg.norm(now[:, b] - prev[:, a], axis=-1)
                       for a in (joint, mirror) for b in (joint, mirror)])  # (4, n, J)
        c4 = np.minimum(d4, cap[None, t0:t1, None])
        c4[np.isnan(c4)] = 0.0
        frames = np.arange(t1 - t0)[:, None]
        pairwise[t0 - 1:t1 - 1] = c4[sel, frames, joint].sum(axis=-1).transpose(2, 0, 1)
    return pairwise


def resolve_left_right_2d(
    keypoints: np.ndarray, skeleton: str, swap_cost_px: float = SWAP_COST_PX,
    causal: bool = False,
) -> LeftRightFix:
    """Undo left/right label swaps of one person's 2D track by temporal continuity.

    Args:
        keypoints: (T, J, 2) px, NaN where missing.
        skeleton: registry name of the J joints (its mirror pairs and names give the groups).
        swap_cost_px: cost of relabelling one group in one frame, px (ties keep the labels).
        causal: decide each frame from frames <= t only (forward pass, no smoothing back).

    Returns:
        LeftRightFix with the relabelled keypoints (T, J, 2) px and swapped (T, G).

    Raises:
        InvalidInputError: wrong shape for the skeleton.
    """
    kp = np.asarray(keypoints, np.float64)
    n_joints = len(get_skeleton(skeleton).joints)
    if kp.ndim != 3 or kp.shape[1:] != (n_joints, 2):
        raise InvalidInputError("keypoints.shape", kp.shape, f"(T, {n_joints}, 2) {skeleton}")
    groups = mirror_groups(skeleton)
    names, pairs = list(groups), list(groups.values())
    states = list(product((False, True), repeat=len(pairs)))
    n_t, n_s = len(kp), len(states)
    if n_t == 0 or not pairs:
        return LeftRightFix(kp.astype(np.float32), np.zeros((n_t, len(pairs)), bool), names)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without a person: NaN, capped
        extent = np.nanmax(kp, axis=1) - np.nanmin(kp, axis=1)  # (T, 2)
        cap = JUMP_CAP * np.nanmax(extent, axis=1)  # (T,) px
    cap = np.where(np.isfinite(cap), cap, np.inf)
    prior = swap_cost_px * np.array([sum(s) for s in states], np.float64)
    perms = _state_permutations(states, pairs, n_joints)
    pairwise = step_costs(kp, cap, states, pairs)
    path = (_forward_states(prior, pairwise) if causal
            else viterbi(np.broadcast_to(prior, (1, n_t, n_s)), pairwise[None])[0])
    fixed = kp[np.arange(n_t)[:, None], perms[path]]
    swapped = np.array([states[s] for s in path], bool).reshape(n_t, len(pairs))
    return LeftRightFix(fixed.astype(np.float32), swapped, names)


def apply_relabelling(points: np.ndarray, fix: LeftRightFix, skeleton: str) -> np.ndarray:
    """Relabel another per-joint array of the same track as `fix` chose (e.g. BlazePose's
    world landmarks along its 2D), group by group (face, arms, legs).

    Args:
        points: (T, J, C) values of the `skeleton` joints (any unit).
        fix: the result of `resolve_left_right_2d` on this track's 2D, in any skeleton with
            the same groups (e.g. decided on COCO-17, applied to BlazePose-33).
        skeleton: registry name of `points`.

    Returns:
        (T, J, C) copy with the groups swapped where fix.swapped says.
    """
    pts = np.asarray(points)
    groups = mirror_groups(skeleton)
    n_joints = len(get_skeleton(skeleton).joints)
    if (list(groups) != fix.groups or pts.ndim != 3 or pts.shape[1] != n_joints
            or pts.shape[0] != fix.swapped.shape[0]):
        raise InvalidInputError("points", f"{pts.shape} of {skeleton}",
                                f"{fix.swapped.shape[0]} frames of the fixed track's skeleton")
    out = pts.copy()
    for g, (left, right) in enumerate(groups.values()):
        t = fix.swapped[:, g]
        out[np.ix_(t, left + right)] = pts[np.ix_(t, right + left)]
    return out
