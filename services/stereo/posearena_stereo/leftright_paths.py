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

_CHUNK_VALUES = 1 << 16  # per-joint jump costs per block of frames (CPU cache)
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


def lengths(d: np.ndarray) -> np.ndarray:
    """(...) Euclidean lengths of the vectors d (..., 3)."""
    squared = np.einsum("...i,...i->...", d, d)
    return np.sqrt(squared, out=squared)


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


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the points a and b (3, ...) (coordinate-major), computed
    as :func:`lengths` computes them (float32: (dx² + dy²) + dz², which is what numpy's
    einsum gives for three values; other dtypes: through einsum itself)."""
    if a.dtype != np.float32 or b.dtype != np.float32:
        return lengths(np.stack([a[i] - b[i] for i in range(3)], axis=-1))
    q, d = (np.empty(np.broadcast_shapes(a.shape[1:], b.shape[1:]), np.float32)
            for _ in range(2))  # C order: the joints are the last axis
    np.subtract(a[0], b[0], out=q)
    q *= q
    np.subtract(a[1], b[1], out=d)
    d *= d
    q += d
    np.subtract(a[2], b[2], out=d)
    d *= d
    q += d
    return np.sqrt(q, out=q)


def jumps(Y: np.ndarray, scale: float, cap: float, appear: float) -> np.ndarray:
    """(R, T-1, M, M) summed truncated 3D jumps between the candidates of consecutive frames of
    R runs, points Y (3, T, M, R, G) (coordinate-major: every step below is one pass over
    long contiguous rows); a joint missing in one frame only costs ``appear``, in both
    nothing. The per-joint costs are those of :func:`truncated` in the same dtypes, summed
    over the G joints as numpy sums a contiguous row (two values: their sum)."""
    _, T, M, R, G = Y.shape
    out = np.empty((R, max(T - 1, 0), M, M))
    seen = np.isfinite(Y[0])  # (T, M, R, G)
    step = max(1, _CHUNK_VALUES // (M * M * R * G))
    for t0 in range(0, T - 1, step):
        t1 = min(T - 1, t0 + step)
        dist = _distances(Y[:, t0:t1, :, None], Y[:, t0 + 1:t1 + 1, None])  # (t, M, M, R, G)
        lost = ~np.isfinite(dist)
        cost = np.divide(dist, scale, out=_same_dtype(dist, scale))
        cost = np.minimum(cost, cap, out=_same_dtype(cost, cap))
        np.copyto(cost, 0.0, where=lost)
        cost = cost.astype(np.result_type(cost, appear), copy=False)
        np.copyto(cost, appear, where=seen[t0:t1, :, None] != seen[t0 + 1:t1 + 1, None])
        if G <= 2:
            total = cost[..., 0] if G == 1 else cost[..., 0] + cost[..., 1]
        else:
            total = cost.sum(axis=-1)
        out[:, t0:t1] = np.moveaxis(total, -1, 0)
    return out


def _same_dtype(a: np.ndarray, scalar: float) -> np.ndarray | None:
    """a itself where ``a op scalar`` keeps a's dtype (so the result may overwrite it)."""
    return a if np.result_type(a, scalar) == a.dtype else None


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
    uc = np.take_along_axis(unary, cand, axis=2)
    B, T, K, G = Xg.shape[:4]
    rows = np.ascontiguousarray(Xg).reshape(B * T * K, G * 3)  # one row per point set
    first = (np.arange(B)[:, None] * T + np.arange(T)[None]) * K  # (B, T) row of state 0
    path = np.zeros((B, T), np.intp)  # candidate 0 is state 0 at a fixed frame
    for frames, real in stretches(np.zeros(T, bool) if fixed is None else fixed):
        S, L = frames.shape
        u = np.where(real[None, :, :, None], uc[:, frames], 0.0).reshape(B * S, L, M)
        at = (first[:, frames, None] + cand[:, frames]).transpose(2, 3, 0, 1)  # (L, M, B, S)
        Y = np.take(rows, at, axis=0).reshape(L, M, B * S, G, 3).transpose(4, 0, 1, 2, 3)
        pair = jumps(np.ascontiguousarray(Y), scale, cap, appear)  # (B·S, L-1, M, M)
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
