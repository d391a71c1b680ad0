"""Left/right label disambiguation over a whole sequence (Viterbi over swap hypotheses).

A 2D detector sometimes exchanges the left and right labels of a person in one view (BlazePose
does so in whole frames when the person is seen side-on). One frame cannot settle it: with
two views, swapping view 0 or view 1 gives the same 3D points with mirrored labels (only the
labels of the neighbouring frames can say which view flipped), and the swapped pairing may
reproject about as well as the true one. The sequence can: a wrong decision makes the 3D
skeleton jump where a view's labels flip, and a wrong pairing gives unequal left/right bones.

Hypotheses, per frame: a subset S of the views whose labels are exchanged, in mirrored couples
(S, complement of S: same points, labels exchanged), with at most ``max_swapped`` views in S
or in its complement. Each is triangulated (weighted DLT) and scored in units of robust scales
(medians over the unswapped sequence, with floors):

- data: reprojection error of each paired joint / σ_px, truncated at ``cap`` (missing: cap);
- symmetry: |length(left bone) − length(right bone)| / σ_bone over the mirrored bones;
- prior: ``prior`` per swapped view (a tie-break: the labelling most views agree with wins);
- transition: Σ_j min(‖X_t,j − X_t−1,j‖ / σ_motion, cap) between consecutive frames, and
  ``appear`` for a joint triangulated in only one of the two frames.

A Viterbi path over the ``candidates`` lowest-cost hypotheses of every frame gives the
whole-body decision; a second Viterbi per left/right pair, charged ``deviation`` per frame
where it leaves the whole-body decision, corrects single limbs.

Only frames where the unswapped solution looks wrong are decided that way (the gate): a paired
joint whose worst view reprojects over ``gate`` px scales, a 3D jump over ``gate_motion``
motion scales to or from the next frame, a joint appearing or vanishing, or a joint seen by a
view but not triangulated; each such frame with ``gate_pad`` frames either side. (A view
whose labels are exchanged moves its two joints by their distance in that view: the other
views disagree, or, where two views cannot tell, the 3D points jump.) The other frames keep
their labels, and each suspect run is decided between them (they are held at "no swap", so
the runs are independent). The scales are medians over the whole unswapped sequence, as
without the gate.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena_stereo.dlt import triangulate_dlt
from posearena_stereo.leftright_paths import (
    Scales,
    bone_asymmetry,
    bone_differences,
    decide,
    mirrored_bones,
    motion,
    robust_scale,
)
from posearena_stereo.reprojection import mean_error, view_errors
from posearena_stereo.robust import ViewSet

__all__ = ["LeftRightCosts", "Unswapped", "mirrored_bones", "resolve_left_right",
           "suspect_frames", "swap_states"]


@dataclass
class Unswapped:
    """The plain solution of every joint as labelled, when the caller has it already:
    X (T, J, 3) m (NaN = not triangulated), mean and worst view's reprojection error (T, J)
    px, of a weighted DLT with the same passes and at least 2 views."""

    X: np.ndarray
    mean: np.ndarray
    worst: np.ndarray


@dataclass
class LeftRightCosts:
    """Weights of :func:`resolve_left_right` (all costs in robust-scale units).

    Attributes:
        max_swapped: hypotheses swap at most this many views, or all but at most this many
            (the same 3D points with mirrored labels).
        candidates: hypotheses kept per frame (lowest data + symmetry cost) for the Viterbi.
        cap: truncation of every per-joint term (scale units): one wild joint cannot decide.
        symmetry: weight of the left/right bone-length symmetry term.
        prior: cost per swapped view and frame (a tie-break, far below the other terms).
        deviation: cost per frame for a pair to leave the whole-body decision.
        appear: transition cost of a joint triangulated in one frame and not in the other
            (without it, alternating labels of a joint seen once would be free).
        min_px, min_motion_m, min_bone_m: floors of the robust scales (px, m, m).
        gate: a frame is decided by the hypotheses only where a view of its unswapped solution
            reprojects over this many px scales (or see the module text); <= 0 = every frame.
        gate_motion: ... or where a joint moves over this many motion scales in a frame.
        gate_pad: frames added either side of each suspect frame.
    """

    max_swapped: int = 2
    candidates: int = 6
    cap: float = 8.0
    symmetry: float = 1.0
    prior: float = 1e-3
    deviation: float = 2.0
    appear: float = 4.0
    min_px: float = 1.0
    min_motion_m: float = 0.005
    min_bone_m: float = 0.01
    gate: float = 4.0
    gate_motion: float = 8.0
    gate_pad: int = 3


def swap_states(n_views: int, max_swapped: int) -> np.ndarray:
    """(K, C) bool swap hypotheses in mirrored couples: row 2g swaps a subset S of the views
    without view 0 (with at most ``max_swapped`` views or all but at most that many), row
    2g + 1 swaps its complement (same 3D points, left and right labels exchanged). Row 0 is
    "no swap"."""
    rows = []
    others = range(1, n_views)
    for k in range(n_views):
        if min(k, n_views - k) > max_swapped:
            continue
        for sub in itertools.combinations(others, k):
            row = np.zeros(n_views, bool)
            row[list(sub)] = True
            rows += [row, ~row]
    return np.stack(rows)


def _unswapped(views: ViewSet, w: np.ndarray, T: int, J: int, joints: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paired ``joints`` (G,) as labelled, every frame: X (T, G, 3) m, mean reprojection
    error (T, G) px and worst view's error (T, G) px."""
    C = w.shape[0]
    obs = views.xn.reshape(C, T, J, 2)[:, :, joints].reshape(C, -1, 2)
    wts = w.reshape(C, T, J)[:, :, joints].reshape(C, -1)
    X, _ = triangulate_dlt(obs, views.extrinsics, wts, views.focal, views.passes)
    used = wts > 0
    ev = view_errors(X, obs, views.extrinsics, views.fxy, used)
    worst = np.where(used, ev, -np.inf).max(axis=0)
    G = joints.size
    return (X.reshape(T, G, 3), mean_error(ev, used).reshape(T, G),
            np.where(np.isfinite(X[:, 0]), worst, np.nan).reshape(T, G))


def suspect_frames(X: np.ndarray, worst: np.ndarray, seen: np.ndarray, scales: Scales,
                   cfg: LeftRightCosts, step: np.ndarray | None = None) -> np.ndarray:
    """(T,) bool frames whose unswapped solution needs the swap hypotheses.

    Args:
        X: (T, G, 3) unswapped paired joints, m; worst: (T, G) worst view's reprojection
            error, px; seen: (T, G) bool, the joint has a view with weight > 0.
        scales: robust scales of the sequence; cfg: the gate's thresholds (scale units).
        step: (T-1, G) motion of X per frame (m) if already known.
    """
    T = X.shape[0]
    if cfg.gate <= 0:
        return np.ones(T, bool)
    ok = np.isfinite(X[..., 0])
    bad = ((~(worst <= cfg.gate * scales.px) & ok) | (seen & ~ok)).any(axis=1)
    if step is None:
        step = motion(X)  # (T-1, G)
    edge = ((step > cfg.gate_motion * scales.motion_m) | (ok[1:] != ok[:-1])).any(axis=1)
    bad[1:] |= edge
    bad[:-1] |= edge
    pad = cfg.gate_pad
    if pad > 0 and bad.any():
        kernel = np.ones(2 * pad + 1, int)
        bad = np.convolve(bad.astype(int), kernel, mode="same") > 0
    return bad


def _columns(joints: np.ndarray) -> slice | np.ndarray:
    """The joints (G,) as one slice of the joint axis where, sorted, they are contiguous and
    distinct; else themselves (an index array)."""
    cols = np.unique(joints)
    if cols.size == joints.size and cols.size and cols[-1] - cols[0] + 1 == cols.size:
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return joints


def _runs_with_anchors(suspect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames to decide: every suspect frame and the clean frame either side of each run;
    returns the frame indices and which of them are such anchors (held at "no swap")."""
    T = suspect.size
    anchor = np.zeros(T, bool)
    anchor[:-1] |= suspect[1:] & ~suspect[:-1]
    anchor[1:] |= suspect[:-1] & ~suspect[1:]
    frames = np.flatnonzero(suspect | anchor)
    return frames, anchor[frames]


def resolve_left_right(
    views: ViewSet, w: np.ndarray, n_joints: int, left: Sequence[int], right: Sequence[int],
    parents: Sequence[int] | None = None, costs: LeftRightCosts | None = None,
    unswapped: Unswapped | None = None,
) -> np.ndarray:
    """Decide, for every view, frame and left/right pair, whether the labels are exchanged.

    Args:
        views: undistorted observations of N = T × J points (joint-major within a frame).
        w: (C, N) weights (0 = not used).
        n_joints: J.
        left, right: mirrored joint indices (left[i] mirrors right[i]).
        parents: (J,) parent index per joint (-1 = root) for the bone-symmetry term; None = off.
        costs: weights (see LeftRightCosts).
        unswapped: the plain solution of every point if already known (else computed here).

    Returns:
        swapped (C, T, J) bool: observations whose left/right labels should be exchanged.
    """
    cfg = costs or LeftRightCosts()
    C, N = w.shape
    J = n_joints
    T = N // J
    left = np.asarray(left, dtype=int)
    right = np.asarray(right, dtype=int)
    swapped = np.zeros((C, T, J), bool)
    P = left.size
    if P == 0 or T == 0:
        return swapped
    if parents is not None and np.shape(parents) != (J,):
        raise InvalidInputError("parents", np.shape(parents), f"shape ({J},), one per joint")
    joints = np.concatenate([left, right])
    bones = mirrored_bones(parents, left, right) if parents is not None and cfg.symmetry > 0 \
        else np.empty((0, 4), int)
    plain = None if unswapped is None else unswapped.X
    if unswapped is None:
        X0, err0, worst0 = _unswapped(views, w, T, J, joints)
        seen = (np.take(w.reshape(C, T, J), joints, axis=2) > 0).any(axis=0)
        asym = (bone_differences(views, w, T, J, X0[:, None], bones, left, right)[:, :, 0]
                if bones.size else np.empty((0, T)))
        step = motion(X0)
    else:  # the paired joints in any order (medians, "any joint"): a slice where contiguous
        cols = _columns(joints)
        X0, err0, worst0 = (a[:, cols] for a in (unswapped.X, unswapped.mean, unswapped.worst))
        seen = (w > 0).any(axis=0).reshape(T, J)[:, cols]
        asym = bone_asymmetry(unswapped.X, bones) if bones.size else np.empty((T, 0))
        step = motion(unswapped.X)[:, cols]  # every joint: contiguous, barely more work
    scales = Scales(robust_scale(err0, cfg.min_px), robust_scale(step, cfg.min_motion_m),
                    robust_scale(asym, cfg.min_bone_m))
    suspect = suspect_frames(X0, worst0, seen, scales, cfg, step)
    frames, fixed = _runs_with_anchors(suspect)
    if frames.size == 0:
        return swapped
    xn = np.take(views.xn.reshape(C, T, J, 2), frames, axis=1).reshape(C, -1, 2)
    sub = ViewSet(xn, views.extrinsics, views.fxy, views.passes)
    ws = np.take(w.reshape(C, T, J), frames, axis=1).reshape(C, -1)
    chosen = decide(sub, ws, frames.size, J, left, right, parents if bones.size else None,
                    swap_states(C, cfg.max_swapped), scales, fixed, cfg,
                    None if plain is None else np.take(plain, frames, axis=0))  # (P, n)
    flips = swap_states(C, cfg.max_swapped)[chosen].transpose(2, 1, 0)  # (C, n, P)
    swapped[:, frames[:, None], left[None]] = flips
    swapped[:, frames[:, None], right[None]] = flips
    return swapped
