"""Swap hypotheses, their costs and the decision of :mod:`posearena_stereo.leftright` (the
Viterbi paths themselves: :mod:`posearena_stereo.leftright_transitions`).

Every function works on a run of frames (T of them, joint-major points N = T × J) whose robust
scales were measured beforehand on the whole sequence (:class:`Scales`); frames marked
``fixed`` keep their labels (only the "no swap" state is allowed there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena_stereo.leftright_transitions import best_path, lengths
from posearena_stereo.robust import ViewSet

_BLOCK_POINTS = 8192  # points per triangulation block
_SAMPLE = 2048  # values drawn to bracket a median before selecting it
_FIXED = 1e6  # unary cost of a swap at a fixed frame: far above any transition saving


@dataclass
class Scales:
    """Robust scales of the unswapped sequence: px (reprojection), m (3D motion per frame),
    m (left/right bone-length difference)."""

    px: float
    motion_m: float
    bone_m: float


def robust_scale(values: np.ndarray, floor: float) -> float:
    """Median of the finite values (any shape or layout), at least ``floor``.

    The value np.median gives (for an even count (lower + upper) / 2 in the values' dtype),
    selected exactly: a seeded sample brackets the middle, one partition of the values between
    the brackets (or of all of them, where the brackets miss) finds it.
    """
    finite = values[np.isfinite(values)]
    n = finite.size
    if n == 0 or np.count_nonzero(finite < floor) > n // 2:  # both middles under the floor
        return floor
    k, below, part = n // 2, 0, finite
    if n > 16 * _SAMPLE:
        s = np.sort(finite[np.random.default_rng(0).integers(0, n, _SAMPLE)])
        lo, hi = s[_SAMPLE // 2 - _SAMPLE // 16], s[_SAMPLE // 2 + _SAMPLE // 16]
        count = np.count_nonzero(finite < lo)
        window = finite[(finite >= lo) & (finite <= hi)]
        if count <= k - 1 + n % 2 and count + window.size > k:  # both middles inside
            below, part = count, window
    j = k - below
    part.partition(j)
    mid = part[j]
    if n % 2 == 0:
        mid = (part[:j].max() + mid) / 2
    return max(float(mid), floor)


def motion(X: np.ndarray) -> np.ndarray:
    """(T-1, G) distance (m) each joint of X (T, G, 3) moves from one frame to the next."""
    return lengths(X[1:] - X[:-1])


def truncated(values: np.ndarray, scale: float, cap: float, missing: float) -> np.ndarray:
    """values / scale, at most cap; ``missing`` where not finite."""
    return np.where(np.isfinite(values), np.minimum(values / scale, cap), missing)


def hypotheses(views: ViewSet, w: np.ndarray, T: int, J: int, left: np.ndarray,
               right: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired joints [left..., right...] (2P,) under every state: X (T, K, 2P, 3) m and
    reprojection error (T, K, 2P) px, float32. Mirrored couples share one triangulation.

    Each view's observations of the paired joints are gathered once as labelled and once
    exchanged; a hypothesis copies in the views whose labelling changes from the previous one
    and solves blocks of frames of it (always the same blocks, as one would alone).
    """
    C = w.shape[0]
    P = left.size
    labelled = (np.take(views.xn.reshape(C, T, J, 2), np.concatenate([left, right]), axis=2),
                np.take(w.reshape(C, T, J), np.concatenate([left, right]), axis=2))
    exchanged = tuple(np.concatenate([a[:, :, P:], a[:, :, :P]], axis=2) for a in labelled)
    obs, wts = (a.copy() for a in labelled)  # (C, T, 2P, 2), (C, T, 2P): the current state
    current = np.zeros(C, bool)
    K = states.shape[0]
    X = np.empty((T, K, 2 * P, 3), np.float32)
    err = np.empty((T, K, 2 * P), np.float32)
    step = max(1, _BLOCK_POINTS // (2 * P))  # frames per block that stays in the CPU cache
    xn, wn = obs.reshape(C, -1, 2), wts.reshape(C, -1)  # views: (C, T × 2P, 2), (C, T × 2P)
    for k in range(0, K, 2):
        for c in np.flatnonzero(states[k] != current):
            source = exchanged if states[k, c] else labelled
            obs[c], wts[c] = source[0][c], source[1][c]
        current = states[k]
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            n0, n1 = 2 * P * t0, 2 * P * t1
            Xb, eb = views.solve(wn[:, n0:n1], xn=xn[:, n0:n1])
            X[t0:t1, k], err[t0:t1, k] = Xb.reshape(-1, 2 * P, 3), eb.reshape(-1, 2 * P)
        for a in (X, err):  # the mirrored hypothesis: same points, labels exchanged
            a[:, k + 1, :P], a[:, k + 1, P:] = a[:, k, P:], a[:, k, :P]
    return X, err


def decide(views: ViewSet, w: np.ndarray, T: int, J: int, left: np.ndarray, right: np.ndarray,
           parents: Sequence[int] | None, states: np.ndarray, scales: Scales, fixed: np.ndarray,
           cfg, plain: np.ndarray | None = None) -> np.ndarray:
    """The chosen state per pair and frame, (P, T) indices into ``states``.

    Args:
        views, w: observations of the T frames (N = T × J points) and their (C, N) weights.
        left, right: (P,) mirrored joints; parents: (J,) or None (no symmetry term).
        states: (K, C) swap hypotheses (:func:`posearena_stereo.leftright.swap_states`).
        scales: robust scales of the whole sequence.
        fixed: (T,) bool, frames held at state 0.
        cfg: LeftRightCosts.
        plain: (T, J, 3) plain solution of every joint, if known (central joints are taken
            from it).
    """
    P = left.size
    K = states.shape[0]
    X, err = hypotheses(views, w, T, J, left, right, states)  # (T, K, 2P, 3), (T, K, 2P)
    data = truncated(err, scales.px, cfg.cap, cfg.cap)  # a missing joint counts as a bad one
    unary = (data[..., :P] + data[..., P:]).transpose(2, 0, 1).astype(np.float64)  # (P, T, K)
    unary = unary + cfg.prior * states.sum(axis=1)
    if parents is not None and cfg.symmetry > 0:  # a mirrored couple's bones: the same
        sym = symmetry(views, w, T, J, X[:, ::2], parents, left, right, scales.bone_m,
                       cfg.cap, plain)  # lengths, left and right exchanged: |a − b| = |b − a|
        unary += cfg.symmetry * np.repeat(sym, 2, axis=2)
    unary += _FIXED * (fixed[:, None] & (np.arange(K) > 0)[None])
    body = best_path(unary.sum(axis=0)[None], X[None], scales.motion_m, cfg.candidates,
                     cfg.cap, cfg.appear, fixed)[0]
    if not np.isfinite(cfg.deviation):
        return np.broadcast_to(body, (P, T))
    leave = cfg.deviation * (np.arange(K)[None] != body[:, None])  # (T, K)
    Xp = X.reshape(T, K, 2, P, 3).transpose(3, 0, 1, 2, 4)  # view (P, T, K, 2, 3)
    return best_path(unary + leave[None], Xp, scales.motion_m, cfg.candidates, cfg.cap,
                     cfg.appear, fixed)


def mirrored_bones(parents: Sequence[int], left: np.ndarray, right: np.ndarray
                   ) -> np.ndarray:
    """(M, 4) int (left child, left parent, right child, right parent) of mirrored bones.

    A bone (j, parents[j]) of a left joint j is mirrored by (m(j), parents[m(j)]) when the
    right parent is the mirror of the left one (or the same central joint).
    """
    mirror = {int(a): int(b) for a, b in zip(left, right, strict=True)}
    mirror.update({b: a for a, b in mirror.items()})
    out = []
    for lj in left:
        lj, rj = int(lj), mirror[int(lj)]
        lp, rp = int(parents[lj]), int(parents[rj])
        if lp >= 0 and rp >= 0 and mirror.get(lp, lp) == rp:
            out.append((lj, lp, rj, rp))
    return np.array(out, dtype=int).reshape(-1, 4)


def central_parents(views: ViewSet, w: np.ndarray, T: int, J: int, bones: np.ndarray,
                    paired: dict[int, int], plain: np.ndarray | None = None,
                    ) -> tuple[list[int], np.ndarray]:
    """The parents of the mirrored ``bones`` (M, 4) that have no mirror (central joints, the
    same under every hypothesis), sorted, and their points (T, n, 3) m: taken from ``plain``
    (T, J, 3), the plain solution of every joint, or triangulated here from the views.

    Args:
        views, w: the run's observations and (C, T × J) weights. paired: joint -> its slot
            among the paired joints (the keys are what counts).
    """
    central = sorted({int(j) for j in bones[:, [1, 3]].ravel() if int(j) not in paired})
    if not central:
        return central, np.empty((T, 0, 3))
    if plain is not None:
        return central, plain[:, central]
    C = w.shape[0]
    obs = views.xn.reshape(C, T, J, 2)[:, :, central].reshape(C, -1, 2)
    fixed, _ = views.solve(w.reshape(C, T, J)[:, :, central].reshape(C, -1), xn=obs)
    return central, fixed.reshape(T, len(central), 3)


def bone_differences(views: ViewSet, w: np.ndarray, T: int, J: int, X: np.ndarray,
                     bones: np.ndarray, left: np.ndarray, right: np.ndarray,
                     plain: np.ndarray | None = None) -> np.ndarray:
    """(M, T, K) |length(left bone) − length(right bone)| (m) of the mirrored ``bones`` under
    each hypothesis, paired joints X (T, K, 2P, 3); central parents are taken from ``plain``
    (T, J, 3), the plain solution of every joint, or triangulated here."""
    K = X.shape[1]
    slot = {int(j): i for i, j in enumerate(np.concatenate([left, right]))}
    central, fixed = central_parents(views, w, T, J, bones, slot, plain)
    ends = np.concatenate([bones[:, :2], bones[:, 2:]])  # (child, parent): left, then right
    inner = np.array([int(p) in slot for p in ends[:, 1]], bool)
    length: list[np.ndarray] = [np.empty(0)] * len(ends)
    for group in (np.flatnonzero(inner), np.flatnonzero(~inner)):  # parents paired / central
        if group.size == 0:
            continue
        parent = (np.take(X, [slot[int(j)] for j in ends[group, 1]], axis=2) if inner[group[0]]
                  else np.take(fixed, [central.index(int(j)) for j in ends[group, 1]],
                               axis=1)[:, None])  # (T, K or 1, n, 3)
        ends_length = lengths(np.take(X, [slot[int(j)] for j in ends[group, 0]], axis=2)
                              - parent)  # (T, K, n)
        for i, e in enumerate(group):
            length[e] = ends_length[:, :, i]
    M = len(bones)
    return np.stack([np.abs(length[m] - length[M + m]) for m in range(M)]).reshape(M, T, K)


def bone_asymmetry(X: np.ndarray, bones: np.ndarray) -> np.ndarray:
    """(T, M) |length(left bone) − length(right bone)| (m) of the mirrored ``bones`` (M, 4)
    (see :func:`mirrored_bones`) of the points X (T, J, 3) m (the values of
    :func:`bone_differences` of one hypothesis, bone-minor)."""
    M = len(bones)
    ends = lengths(np.take(X, bones[:, [0, 2]].T.ravel(), axis=1)
                   - np.take(X, bones[:, [1, 3]].T.ravel(), axis=1))  # (T, 2M): left, right
    return np.abs(ends[:, :M] - ends[:, M:])


def symmetry(views: ViewSet, w: np.ndarray, T: int, J: int, X: np.ndarray,
             parents: Sequence[int], left: np.ndarray, right: np.ndarray, scale: float,
             cap: float, plain: np.ndarray | None = None) -> np.ndarray:
    """(P, T, K) truncated left/right bone-length differences of each hypothesis, each bone
    counted for the pair of its child joint."""
    P = left.size
    out = np.zeros((P, T, X.shape[1]))
    bones = mirrored_bones(parents, left, right)
    if bones.size == 0:
        return out
    cost = truncated(bone_differences(views, w, T, J, X, bones, left, right, plain), scale,
                     cap, 0.0)
    slot = {int(j): i for i, j in enumerate(left)}
    for m, lc in enumerate(bones[:, 0]):
        out[slot[int(lc)]] += cost[m]
    return out
