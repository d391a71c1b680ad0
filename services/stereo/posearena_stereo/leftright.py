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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena.viterbi import viterbi
from posearena_stereo.robust import ViewSet

_CHUNK = 512  # frames per block of the transition costs
_BLOCK_POINTS = 8192  # points per triangulation block


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


def _robust_scale(values: np.ndarray, floor: float) -> float:
    finite = values[np.isfinite(values)]
    return max(float(np.median(finite)) if finite.size else floor, floor)


def _truncated(values: np.ndarray, scale: float, cap: float, missing: float) -> np.ndarray:
    return np.where(np.isfinite(values), np.minimum(values / scale, cap), missing)


def _hypotheses(views: ViewSet, w: np.ndarray, T: int, J: int, left: np.ndarray,
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


def _jumps(Xc: np.ndarray, scale: float, cap: float, appear: float) -> np.ndarray:
    """(B, T-1, M, M) summed truncated 3D jumps between the candidates (B, T, M, G, 3) of
    consecutive frames; a joint missing in one frame only costs ``appear``, in both nothing."""
    B, T, M = Xc.shape[:3]
    out = np.zeros((B, max(T - 1, 0), M, M))
    for t0 in range(0, T - 1, _CHUNK):
        t1 = min(T - 1, t0 + _CHUNK)
        d = Xc[:, t0:t1, :, None] - Xc[:, t0 + 1:t1 + 1, None]  # (B, t, M, M, G, 3)
        dist = np.sqrt(np.einsum("...i,...i->...", d, d))
        seen = np.isfinite(Xc[:, t0:t1 + 1, :, :, 0])  # (B, t + 1, M, G)
        once = seen[:, :-1, :, None] != seen[:, 1:, None]
        out[:, t0:t1] = np.where(once, appear, _truncated(dist, scale, cap, 0.0)).sum(axis=-1)
    return out


def _best_path(unary: np.ndarray, Xg: np.ndarray, scale: float,
               cfg: LeftRightCosts) -> np.ndarray:
    """Viterbi over the lowest-unary candidates: unary (B, T, K), points (B, T, K, G, 3)
    -> (B, T) state indices."""
    M = min(cfg.candidates, unary.shape[2])
    cand = np.argsort(unary, axis=2, kind="stable")[:, :, :M]  # (B, T, M)
    Xc = np.take_along_axis(Xg, cand[..., None, None], axis=2)
    path = viterbi(np.take_along_axis(unary, cand, axis=2), _jumps(Xc, scale, cfg.cap, cfg.appear))
    return np.take_along_axis(cand, path[..., None], axis=2)[..., 0]


def resolve_left_right(
    views: ViewSet, w: np.ndarray, n_joints: int, left: Sequence[int], right: Sequence[int],
    parents: Sequence[int] | None = None, costs: LeftRightCosts | None = None,
) -> np.ndarray:
    """Decide, for every view, frame and left/right pair, whether the labels are exchanged.

    Args:
        views: undistorted observations of N = T × J points (joint-major within a frame).
        w: (C, N) weights (0 = not used).
        n_joints: J.
        left, right: mirrored joint indices (left[i] mirrors right[i]).
        parents: (J,) parent index per joint (-1 = root) for the bone-symmetry term; None = off.
        costs: weights (see LeftRightCosts).

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
    states = swap_states(C, cfg.max_swapped)
    K = states.shape[0]
    X, err = _hypotheses(views, w, T, J, left, right, states)  # (T, K, 2P, 3), (T, K, 2P)

    s_px = _robust_scale(err[:, 0], cfg.min_px)
    data = _truncated(err, s_px, cfg.cap, cfg.cap)  # a missing joint counts as a bad one
    unary = (data[..., :P] + data[..., P:]).transpose(2, 0, 1).astype(np.float64)  # (P, T, K)
    unary = unary + cfg.prior * states.sum(axis=1)
    if parents is not None and np.shape(parents) != (J,):
        raise InvalidInputError("parents", np.shape(parents), f"shape ({J},), one per joint")
    if parents is not None and cfg.symmetry > 0:
        unary += cfg.symmetry * _symmetry(views, w, T, J, X, parents, left, right, cfg)
    s_m = _robust_scale(np.linalg.norm(np.diff(X[:, 0], axis=0), axis=-1), cfg.min_motion_m)

    body = _best_path(unary.sum(axis=0)[None], X[None], s_m, cfg)[0]
    if np.isfinite(cfg.deviation):
        leave = cfg.deviation * (np.arange(K)[None] != body[:, None])  # (T, K)
        Xp = X.reshape(T, K, 2, P, 3).transpose(3, 0, 1, 2, 4)  # view (P, T, K, 2, 3)
        chosen = _best_path(unary + leave[None], Xp, s_m, cfg)  # (P, T)
    else:
        chosen = np.broadcast_to(body, (P, T))
    flips = states[chosen]  # (P, T, C)
    swapped[:, :, left] = flips.transpose(2, 1, 0)
    swapped[:, :, right] = flips.transpose(2, 1, 0)
    return swapped


def _symmetry(views: ViewSet, w: np.ndarray, T: int, J: int, X: np.ndarray,
              parents: Sequence[int], left: np.ndarray, right: np.ndarray,
              cfg: LeftRightCosts) -> np.ndarray:
    """(P, T, K) truncated left/right bone-length differences of each hypothesis, each bone
    counted for the pair of its child joint."""
    P = left.size
    K = X.shape[1]
    bones = mirrored_bones(parents, left, right)
    out = np.zeros((P, T, K))
    if bones.size == 0:
        return out
    slot = {int(j): i for i, j in enumerate(np.concatenate([left, right]))}
    central = sorted({int(j) for j in bones[:, [1, 3]].ravel() if int(j) not in slot})
    C = w.shape[0]
    fixed = np.empty((T, 0, 3))
    if central:  # parents without a mirror: the same under every hypothesis
        obs = views.xn.reshape(C, T, J, 2)[:, :, central].reshape(C, -1, 2)
        fixed, _ = views.solve(w.reshape(C, T, J)[:, :, central].reshape(C, -1), xn=obs)
        fixed = fixed.reshape(T, len(central), 3)

    def point(j: int) -> np.ndarray:  # (T, K, 3)
        if j in slot:
            return X[:, :, slot[j]]
        return np.broadcast_to(fixed[:, None, central.index(j)], (T, K, 3))

    diff = np.stack([np.abs(np.linalg.norm(point(lc) - point(lp), axis=-1)
                            - np.linalg.norm(point(rc) - point(rp), axis=-1))
                     for lc, lp, rc, rp in bones])  # (M, T, K)
    cost = _truncated(diff, _robust_scale(diff[:, :, 0], cfg.min_bone_m), cfg.cap, 0.0)
    for m, lc in enumerate(bones[:, 0]):
        out[slot[int(lc)] % P] += cost[m]
    return out
