"""Viterbi paths over the swap hypotheses of :mod:`posearena_stereo.leftright`: the 3D jumps
between the candidate hypotheses of consecutive frames (transition costs) and the batched
paths of the independent stretches between frames held at "no swap".

The transition costs are computed coordinate-major with the runs innermost (each step one
pass over long contiguous rows) and equal, bit for bit, those of the straightforward
candidate-major formulation (tests/stereo/test_leftright_reference.py).
"""

from __future__ import annotations

import numpy as np

from posearena.viterbi import viterbi

_CHUNK_VALUES = 1 << 16  # per-joint jump costs per block of frames (CPU cache)


def lengths(d: np.ndarray) -> np.ndarray:
    """(...) Euclidean lengths of the vectors d (..., 3)."""
    squared = np.einsum("...i,...i->...", d, d)
    return np.sqrt(squared, out=squared)


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
    nothing. The per-joint costs are those of
    :func:`posearena_stereo.leftright_paths.truncated` in the same dtypes, summed
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
