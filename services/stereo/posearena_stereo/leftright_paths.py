"""Swap hypotheses, their costs and the Viterbi paths of :mod:`posearena_stereo.leftright`.

Every function works on a run of frames (T of them, joint-major points N = T × J) whose robust
scales were measured beforehand on the whole sequence (:class:`Scales`); frames marked
``fixed`` keep their labels (only the "no swap" state is allowed there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena.viterbi import viterbi
from posearena_stereo.robust import ViewSet

_CHUNK = 512  # frames per block of the transition costs
_BLOCK_POINTS = 8192  # points per triangulation block
_FIXED = 1e6  # unary cost of a swap at a fixed frame: far above any transition saving


@dataclass
class Scales:
    """Robust scales of the unswapped sequence: px (reprojection), m (3D motion per frame),
    m (left/right bone-length difference)."""

    px: float
    motion_m: float
    bone_m: float


def robust_scale(values: np.ndarray, floor: float) -> float:
    """Median of the finite values, at least ``floor``."""
    finite = values[np.isfinite(values)]
    return max(float(np.median(finite)) if finite.size else floor, floor)


def lengths(d: np.ndarray) -> np.ndarray:
    """(...) Euclidean lengths of the vectors d (..., 3)."""
    return np.sqrt(np.einsum("...i,...i->...", d, d))


def motion(X: np.ndarray) -> np.ndarray:
    """(T-1, G) distance (m) each joint of X (T, G, 3) moves from one frame to the next."""
    return lengths(X[1:] - X[:-1])


def truncated(values: np.ndarray, scale: float, cap: float, missing: float) -> np.ndarray:
    """values / scale, at most cap; ``missing`` where not finite."""
    return np.where(np.isfinite(values), np.minimum(values / scale, cap), missing)


def hypotheses(views: ViewSet, w: np.ndarray, T: int, J: int, left: np.ndarray,
               right: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paired joints [left..., right...] (2P,) under every state: X (T, K, 2P, 3) m and
    reprojection error (T, K, 2P) px, float32. Mirrored couples share one triangulation."""
    C = w.shape[0]
    xn = views.xn.reshape(C, T, J, 2)
    ww = w.reshape(C, T, J)
    joints = np.concatenate([left, right])
    mirrored = np.concatenate([right, left])
    P2 = joints.size
    flip = np.roll(np.arange(P2), P2 // 2)  # label exchange: left slot <- right slot
    K = states.shape[0]
    X = np.empty((T, K, P2, 3), np.float32)
    err = np.empty((T, K, P2), np.float32)
    step = max(1, _BLOCK_POINTS // P2)  # frames per block that stays in the CPU cache
    for k in range(0, K, 2):
        src = np.where(states[k][:, None], mirrored[None], joints[None])  # (C, 2P)
        obs = np.stack([xn[c][:, src[c]] for c in range(C)])  # (C, T, 2P, 2)
        wts = np.stack([ww[c][:, src[c]] for c in range(C)])  # (C, T, 2P)
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            Xb, eb = views.solve(wts[:, t0:t1].reshape(C, -1),
                                 xn=obs[:, t0:t1].reshape(C, -1, 2))
            X[t0:t1, k], err[t0:t1, k] = Xb.reshape(-1, P2, 3), eb.reshape(-1, P2)
        X[:, k + 1], err[:, k + 1] = X[:, k][:, flip], err[:, k][:, flip]
    return X, err


def jumps(Xc: np.ndarray, scale: float, cap: float, appear: float) -> np.ndarray:
    """(B, T-1, M, M) summed truncated 3D jumps between the candidates (B, T, M, G, 3) of
    consecutive frames; a joint missing in one frame only costs ``appear``, in both nothing."""
    B, T, M = Xc.shape[:3]
    out = np.zeros((B, max(T - 1, 0), M, M))
    for t0 in range(0, T - 1, _CHUNK):
        t1 = min(T - 1, t0 + _CHUNK)
        d = Xc[:, t0:t1, :, None] - Xc[:, t0 + 1:t1 + 1, None]  # (B, t, M, M, G, 3)
        dist = lengths(d)
        seen = np.isfinite(Xc[:, t0:t1 + 1, :, :, 0])  # (B, t + 1, M, G)
        once = seen[:, :-1, :, None] != seen[:, 1:, None]
        out[:, t0:t1] = np.where(once, appear, truncated(dist, scale, cap, 0.0)).sum(axis=-1)
    return out


def stretches(fixed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The independent stretches of a path whose ``fixed`` (T,) frames are held at one state.

    A fixed frame ends one stretch and starts the next, so the best path of each stretch
    alone is the best path of the whole. Stretches with a free frame are grouped by length
    (within a factor 2), each group as frames (S, L) int, padded with the last frame, and
    real (S, L) bool (False where padded).
    """
    T = fixed.size
    cuts = np.flatnonzero(fixed)
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts + 1, [T]])
    free = np.concatenate([[0], np.cumsum(~fixed)])
    keep = free[stops] > free[starts]
    starts, stops = starts[keep], stops[keep]
    length = stops - starts
    group = np.ceil(np.log2(length)).astype(int)
    out = []
    for g in np.unique(group):
        a, b = starts[group == g], stops[group == g]
        frames = a[:, None] + np.arange((b - a).max())[None]
        real = frames < b[:, None]
        out.append((np.minimum(frames, T - 1), real))
    return out


def best_path(unary: np.ndarray, Xg: np.ndarray, scale: float, candidates: int, cap: float,
              appear: float, fixed: np.ndarray | None = None) -> np.ndarray:
    """Viterbi over the lowest-unary candidates: unary (B, T, K), points (B, T, K, G, 3)
    -> (B, T) state indices. Frames ``fixed`` (T,) bool must be held at state 0 by their
    unary costs: the stretches between them are then decided apart, all at once (a padded
    frame costs nothing)."""
    M = min(candidates, unary.shape[2])
    cand = np.argsort(unary, axis=2, kind="stable")[:, :, :M]  # (B, T, M)
    Xc = np.take_along_axis(Xg, cand[..., None, None], axis=2)
    uc = np.take_along_axis(unary, cand, axis=2)
    B, T = uc.shape[:2]
    path = np.zeros((B, T), np.intp)  # candidate 0 is state 0 at a fixed frame
    for frames, real in stretches(np.zeros(T, bool) if fixed is None else fixed):
        S, L = frames.shape
        u = np.where(real[None, :, :, None], uc[:, frames], 0.0).reshape(B * S, L, M)
        pair = jumps(Xc[:, frames].reshape(B * S, L, *Xc.shape[2:]), scale, cap, appear)
        pair.reshape(B, S, L - 1, M, M)[...] *= real[None, :, 1:, None, None]
        p = viterbi(u, pair).reshape(B, S, L)
        path[:, frames[real]] = p[:, real]
    return np.take_along_axis(cand, path[..., None], axis=2)[..., 0]


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
    if parents is not None and cfg.symmetry > 0:
        unary += cfg.symmetry * symmetry(views, w, T, J, X, parents, left, right,
                                         scales.bone_m, cfg.cap, plain)
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


def bone_differences(views: ViewSet, w: np.ndarray, T: int, J: int, X: np.ndarray,
                     bones: np.ndarray, left: np.ndarray, right: np.ndarray,
                     plain: np.ndarray | None = None) -> np.ndarray:
    """(M, T, K) |length(left bone) − length(right bone)| (m) of the mirrored ``bones`` under
    each hypothesis, paired joints X (T, K, 2P, 3); central parents are taken from ``plain``
    (T, J, 3), the plain solution of every joint, or triangulated here."""
    K = X.shape[1]
    slot = {int(j): i for i, j in enumerate(np.concatenate([left, right]))}
    central = sorted({int(j) for j in bones[:, [1, 3]].ravel() if int(j) not in slot})
    C = w.shape[0]
    fixed = np.empty((T, 0, 3))
    if central and plain is not None:
        fixed = plain[:, central]
    elif central:  # parents without a mirror: the same under every hypothesis
        obs = views.xn.reshape(C, T, J, 2)[:, :, central].reshape(C, -1, 2)
        fixed, _ = views.solve(w.reshape(C, T, J)[:, :, central].reshape(C, -1), xn=obs)
        fixed = fixed.reshape(T, len(central), 3)

    def point(j: int) -> np.ndarray:  # (T, K, 3)
        if j in slot:
            return X[:, :, slot[j]]
        return np.broadcast_to(fixed[:, None, central.index(j)], (T, K, 3))

    return np.stack([np.abs(lengths(point(lc) - point(lp)) - lengths(point(rc) - point(rp)))
                     for lc, lp, rc, rp in bones]).reshape(len(bones), T, K)


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
