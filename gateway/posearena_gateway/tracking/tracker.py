"""Per-frame person detections -> stable person tracks, for every 2D estimator (numpy + scipy).

Online tracking with gap bridging: each frame's detections are assigned to the live tracks by
the Hungarian algorithm on a keypoint distance (mean distance over the joints confident in
both, in units of the track's body size, the track's keypoints moved by its centre velocity
to the frame predicted); a track unseen for up to `max_gap` frames can still be matched (with
a gate that widens with the gap), so a person occluded for a second keeps their identity; a
detection no track accepts starts a new track. An estimator's own track id, when it gives one,
halves the cost of staying with the track that id was last assigned to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from posearena.errors import InvalidInputError

MIN_JOINT_SCORE = 0.3  # joints below this confidence are not compared
MIN_COMMON_JOINTS = 3  # fewer joints in common: compare box centres instead
GATE = 0.6  # largest matching cost (body sizes) one frame after the track was seen
GATE_PER_FRAME = 0.02  # how much the gate widens per missed frame
HINT_FACTOR = 0.5  # cost multiplier when the estimator's track id agrees
VELOCITY_SMOOTHING = 0.5  # weight of the newest centre velocity in its running mean
BIG = 1e6


@dataclass
class FramePeople:
    """The people an estimator found in one frame.

    Attributes:
        keypoints: (N, J, 2) px, NaN for missing joints.
        scores: (N, J) joint confidences in [0, 1].
        hint_ids: (N,) int estimator track ids (-1: none).
    """

    keypoints: np.ndarray
    scores: np.ndarray
    hint_ids: np.ndarray | None = None


@dataclass
class _Track:
    index: int
    keypoints: np.ndarray  # (J, 2) px, last seen (NaN filled from earlier frames)
    last_frame: int
    size: float  # px, body extent
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))
    hint: int = -1


def _valid(kp: np.ndarray, sc: np.ndarray) -> np.ndarray:
    return np.isfinite(kp).all(axis=-1) & (sc >= MIN_JOINT_SCORE)


def _centre_size(kp: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, float]:
    pts = kp[ok] if ok.sum() >= 2 else kp[np.isfinite(kp).all(axis=-1)]
    if len(pts) == 0:
        return np.full(2, np.nan), np.nan
    ext = np.ptp(pts, axis=0) if len(pts) > 1 else np.zeros(2)
    return np.median(pts, axis=0), float(max(ext.max(), 1.0))


def _cost(track: _Track, kp: np.ndarray, ok: np.ndarray, centre: np.ndarray, t: int) -> float:
    gap = t - track.last_frame
    shift = track.velocity * gap
    pred = track.keypoints + shift
    both = ok & np.isfinite(pred).all(axis=-1)
    if both.sum() >= MIN_COMMON_JOINTS:
        d = np.linalg.norm(kp[both] - pred[both], axis=-1).mean()
    else:
        d = np.linalg.norm(centre - (track.centre + shift))
    return float(d / track.size) if np.isfinite(d) else BIG


def track_people(frames: list[FramePeople], max_gap: int) -> list[np.ndarray]:
    """Assign every detection of every frame to a person track.

    Args:
        frames: T frames of detections (any number per frame, possibly none).
        max_gap: frames a track may go unseen and still be continued (>= 0), e.g. fps for
            one second of occlusion.

    Returns:
        T arrays (N_t,) int: the track index of each detection (0, 1, ... in order of first
        appearance); -1 for a detection without any finite keypoint.

    Raises:
        InvalidInputError: max_gap < 0 or a frame with inconsistent shapes.
    """
    if max_gap < 0:
        raise InvalidInputError("max_gap", max_gap, ">= 0 frames")
    tracks: list[_Track] = []
    out: list[np.ndarray] = []
    for t, fp in enumerate(frames):
        kp = np.asarray(fp.keypoints, dtype=np.float64)
        sc = np.asarray(fp.scores, dtype=np.float64)
        n = kp.shape[0]
        if kp.ndim != 3 or kp.shape[-1] != 2 or sc.shape != kp.shape[:2]:
            raise InvalidInputError(f"frames[{t}]", (kp.shape, sc.shape), "(N, J, 2), (N, J)")
        hints = np.full(n, -1) if fp.hint_ids is None else np.asarray(fp.hint_ids, int)
        ok = _valid(kp, sc)
        cs = [_centre_size(kp[i], ok[i]) for i in range(n)]
        live = [k for k in tracks if t - k.last_frame <= max_gap + 1]
        assign = np.full(n, -1, dtype=int)
        if live and n:
            cost = np.full((len(live), n), BIG)
            for a, tr in enumerate(live):
                gate = GATE + GATE_PER_FRAME * (t - tr.last_frame - 1)
                for i in range(n):
                    c = _cost(tr, kp[i], ok[i], cs[i][0], t)
                    if hints[i] >= 0 and hints[i] == tr.hint:
                        c *= HINT_FACTOR
                    if c <= gate:
                        cost[a, i] = c
            rows, cols = linear_sum_assignment(cost)
            for a, i in zip(rows, cols, strict=True):
                if cost[a, i] < BIG:
                    assign[i] = live[a].index
        for i in range(n):
            centre, size = cs[i]
            if not np.isfinite(size):  # no keypoint at all: nothing to track
                assign[i] = -1
            elif assign[i] < 0:
                assign[i] = len(tracks)
                tracks.append(
                    _Track(len(tracks), kp[i].copy(), t, size, centre=centre, hint=hints[i])
                )
            else:
                _update(tracks[assign[i]], kp[i], ok[i], centre, size, t, int(hints[i]))
        out.append(assign)
    return out


def _update(
    tr: _Track, kp: np.ndarray, ok: np.ndarray, centre: np.ndarray, size: float, t: int, hint: int
) -> None:
    gap = max(t - tr.last_frame, 1)
    if np.isfinite(tr.centre).all() and np.isfinite(centre).all():
        v = (centre - tr.centre) / gap
        tr.velocity = VELOCITY_SMOOTHING * v + (1 - VELOCITY_SMOOTHING) * tr.velocity
    new = tr.keypoints + tr.velocity * gap  # joints not seen now: carried along
    new[ok] = kp[ok]
    tr.keypoints = new
    tr.centre, tr.size, tr.last_frame = centre, size, t
    if hint >= 0:
        tr.hint = hint
