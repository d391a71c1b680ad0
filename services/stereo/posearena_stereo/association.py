"""Cross-view person association for N calibrated cameras (pure numpy, no gRPC).

Per frame, as Pose2Sim's person association does: every combination of one track (or none)
per view is triangulated (confidence-weighted DLT on undistorted points) and reprojected; a
combination is acceptable when each of its views reprojects within `max_error_px` (median
over joints: robust to the few joints a 2D model swaps left/right or misplaces); the
acceptable combination with the most views, then the lowest error, is one person, its tracks
are removed and the search repeats for the next person. Over a video the per-frame groups
vote: tracks of two views grouped in enough of the frames where both are present are one
person for the whole video (union-find, at most one track per view per person), so
identities hold in 3D as long as the 2D tracks hold.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from posearena.calibration import Camera
from posearena.errors import InvalidInputError

MIN_SCORE = 0.3  # joints below this confidence are not used
MIN_JOINTS = 4  # joints triangulated from >= 2 views needed to judge a combination
MAX_ERROR_PX = 40.0  # mean reprojection error (px) above which a view disagrees
MIN_VOTE = 0.2  # fraction of co-visible frames two tracks must be grouped in to be one person


def _dlt(norm: np.ndarray, weights: np.ndarray, extr: np.ndarray) -> np.ndarray:
    """Weighted DLT: norm (M, V, 2) undistorted normalised coords, weights (M, V),
    extr (V, 3, 4) -> (M, 3) m (NaN with fewer than 2 weighted views)."""
    rows_x = norm[..., 0:1] * extr[None, :, 2, :] - extr[None, :, 0, :]
    rows_y = norm[..., 1:2] * extr[None, :, 2, :] - extr[None, :, 1, :]
    a = np.concatenate([rows_x, rows_y], axis=1) * np.concatenate([weights, weights], 1)[..., None]
    a = np.nan_to_num(a)
    _, _, vt = np.linalg.svd(a)
    h = vt[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = h[:, :3] / h[:, 3:4]
    x[(weights > 0).sum(axis=1) < 2] = np.nan
    return x


def _check_views(
    keypoints: list[np.ndarray], scores: list[np.ndarray], cameras: list[Camera]
) -> None:
    if len(keypoints) != len(cameras) or len(scores) != len(cameras):
        raise InvalidInputError(
            "keypoints/scores", (len(keypoints), len(scores)), f"{len(cameras)} views"
        )
    if len(cameras) < 2:
        raise InvalidInputError("cameras", len(cameras), ">= 2 calibrated views")


def associate_frame(
    keypoints: list[np.ndarray],
    scores: list[np.ndarray],
    cameras: list[Camera],
    max_error_px: float = MAX_ERROR_PX,
) -> np.ndarray:
    """Group one frame's 2D people across views.

    Args:
        keypoints: per view c, (K_c, J, 2) px of its K_c tracks (NaN where absent).
        scores: per view c, (K_c, J) joint confidences in [0, 1].
        cameras: the C calibrated cameras, in the views' order.
        max_error_px: mean reprojection error (px) above which a view is rejected.

    Returns:
        (P, C) int: for each person found in >= 2 views, the track index in each view
        (-1: not seen there); best-supported person first.

    Raises:
        InvalidInputError: views and cameras of different counts, fewer than 2 cameras.
    """
    _check_views(keypoints, scores, cameras)
    C = len(cameras)
    extr = np.stack([c.extrinsic_matrix for c in cameras])
    norm = [
        c.normalize_points(np.asarray(k, np.float64))
        for c, k in zip(cameras, keypoints, strict=True)
    ]
    conf = []
    for k, s in zip(keypoints, scores, strict=True):
        w = np.where(np.isfinite(k).all(-1) & (np.asarray(s) >= MIN_SCORE), np.asarray(s), 0.0)
        conf.append(w)
    avail = [list(range(len(k))) for k in keypoints]
    people: list[np.ndarray] = []
    while True:
        best = _best_combination(avail, norm, conf, keypoints, extr, cameras, max_error_px)
        if best is None:
            break
        people.append(best)
        for c in range(C):
            if best[c] >= 0:
                avail[c].remove(int(best[c]))
    return np.array(people, dtype=np.int64).reshape(-1, C)


def _best_combination(avail, norm, conf, keypoints, extr, cameras, max_error_px):
    C = len(cameras)
    combos = np.array(list(itertools.product(*[[-1, *a] for a in avail])), dtype=np.int64)
    combos = combos[(combos >= 0).sum(axis=1) >= 2]
    if len(combos) == 0:
        return None
    J = next(k.shape[1] for k in keypoints if k.ndim == 3)
    M = len(combos)
    nrm = np.zeros((M, J, C, 2))
    wts = np.zeros((M, J, C))
    for c in range(C):
        sel = combos[:, c] >= 0
        idx = combos[sel, c]
        nrm[sel, :, c] = np.nan_to_num(norm[c][idx])
        wts[sel, :, c] = conf[c][idx]
    X = _dlt(nrm.reshape(M * J, C, 2), wts.reshape(M * J, C), extr).reshape(M, J, 3)
    err = np.full((M, C), np.nan)
    for c, cam in enumerate(cameras):
        sel = combos[:, c] >= 0
        if not sel.any():
            continue
        proj = cam.project(X[sel])
        obs = np.asarray(keypoints[c], np.float64)[combos[sel, c]]
        d = np.linalg.norm(proj - obs, axis=-1)
        used = (wts[sel, :, c] > 0) & np.isfinite(d) & ((wts[sel] > 0).sum(-1) >= 2)
        n = used.sum(axis=1)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            e = np.nanmedian(np.where(used, d, np.nan), axis=1)
        err[sel, c] = np.where(n >= MIN_JOINTS, e, np.inf)
    views = (combos >= 0).sum(axis=1)
    ok = np.all(np.where(combos >= 0, err <= max_error_px, True), axis=1)
    if not ok.any():
        return None
    mean_err = np.nanmean(np.where(combos >= 0, err, np.nan), axis=1)
    cand = np.nonzero(ok)[0]
    order = np.lexsort((mean_err[cand], -views[cand]))
    return combos[cand[order[0]]]


def associate_tracks(
    keypoints: list[np.ndarray],
    scores: list[np.ndarray],
    cameras: list[Camera],
    max_error_px: float = MAX_ERROR_PX,
    min_vote: float = MIN_VOTE,
) -> tuple[np.ndarray, np.ndarray]:
    """Associate whole 2D tracks across views over a video.

    Args:
        keypoints: per view c, (T, K_c, J, 2) px, slot k = one track (NaN where absent);
            all views have the same T (synchronised frames).
        scores: per view c, (T, K_c, J) in [0, 1].
        cameras: the C calibrated cameras, in the views' order.
        max_error_px: see `associate_frame`.
        min_vote: two tracks are one person when grouped in at least this fraction of the
            frames where both are present.

    Returns:
        people (P, C) int: per 3D person the track index in each view (-1: none), most
        frames first; per_frame (T, P, C) int: the frame-level association mapped to those
        people (-1 where a person's track was not grouped in that frame).

    Raises:
        InvalidInputError: mismatched views or frame counts.
    """
    _check_views(keypoints, scores, cameras)
    T = keypoints[0].shape[0]
    if any(k.shape[0] != T for k in keypoints):
        raise InvalidInputError("keypoints.T", [k.shape[0] for k in keypoints], f"all {T}")
    C = len(cameras)
    offsets = np.cumsum([0] + [k.shape[1] for k in keypoints])
    N = int(offsets[-1])
    together = np.zeros((N, N))
    frames = []
    for t in range(T):
        groups = associate_frame(
            [k[t] for k in keypoints], [s[t] for s in scores], cameras, max_error_px
        )
        frames.append(groups)
        for g in groups:
            nodes = [offsets[c] + g[c] for c in range(C) if g[c] >= 0]
            for a, b in itertools.combinations(nodes, 2):
                together[a, b] += 1
                together[b, a] += 1
    present = np.concatenate([np.isfinite(k).all(-1).any(-1) for k in keypoints], axis=1).astype(
        float
    )  # (T, N)
    both = present.T @ present
    with np.errstate(invalid="ignore", divide="ignore"):
        vote = np.where(both > 0, together / both, 0.0)
    people = _merge(vote, offsets, C, min_vote)
    per_frame = np.full((T, len(people), C), -1, dtype=np.int64)
    for t, groups in enumerate(frames):
        for g in groups:
            for p, person in enumerate(people):
                agree = (g >= 0) & (g == person)
                if agree.sum() >= 2:
                    per_frame[t, p] = np.where(agree, g, -1)
    order = np.argsort(-(per_frame >= 0).any(-1).sum(0), kind="stable")
    return people[order], per_frame[:, order]


def _merge(vote: np.ndarray, offsets: np.ndarray, C: int, min_vote: float) -> np.ndarray:
    """Union-find over track nodes, strongest vote first, one track per view per group."""
    N = vote.shape[0]
    view_of = np.searchsorted(offsets, np.arange(N), side="right") - 1
    group = {n: {int(view_of[n]): n} for n in range(N)}
    parent = list(range(N))

    def root(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    pairs = np.argwhere(np.triu(vote, 1) >= min_vote)
    for a, b in sorted(pairs.tolist(), key=lambda p: -vote[p[0], p[1]]):
        ra, rb = root(a), root(b)
        if ra == rb or set(group[ra]) & set(group[rb]):
            continue
        parent[rb] = ra
        group[ra].update(group.pop(rb))
    people = []
    for r, members in group.items():
        if len(members) < 2 or root(r) != r:
            continue
        row = np.full(C, -1, dtype=np.int64)
        for c, n in members.items():
            row[c] = n - offsets[c]
        people.append(row)
    return np.array(people, dtype=np.int64).reshape(-1, C)
