"""Tracked detections -> (T, P, J, ...) arrays with one slot per track; keep the best tracks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena_gateway.tracking.tracker import FramePeople, track_people


def tracks_to_arrays(
    frames: list[FramePeople],
    person_scores: list[np.ndarray],
    worlds: list[np.ndarray | None],
    assignments: list[np.ndarray],
    num_joints: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Scatter each frame's detections into their track's slot.

    Args:
        frames: T frames of detections (keypoints (N_t, J, 2) px, scores (N_t, J)).
        person_scores: T arrays (N_t,) in [0, 1].
        worlds: T arrays (N_t, J, 3) m or None (no world landmarks in that frame).
        assignments: T arrays (N_t,) track index per detection (-1: untracked, dropped),
            from `track_people`.
        num_joints: J (used when there are no frames).

    Returns:
        keypoints (T, K, J, 2) px (NaN where absent), scores (T, K, J) (0 where absent),
        person_scores (T, K) (NaN where absent), world (T, K, J, 3) m or None; K = number
        of tracks (the largest index + 1, 0 if nobody was ever seen).
    """
    T = len(frames)
    J = num_joints
    K = max((int(a.max()) + 1 for a in assignments if a.size), default=0)
    kp = np.full((T, K, J, 2), np.nan, dtype=np.float32)
    sc = np.zeros((T, K, J), dtype=np.float32)
    ps = np.full((T, K), np.nan, dtype=np.float32)
    has_world = any(w is not None for w in worlds)
    world = np.full((T, K, J, 3), np.nan, dtype=np.float32) if has_world else None
    for t, (f, p, w, a) in enumerate(zip(frames, person_scores, worlds, assignments, strict=True)):
        for i, k in enumerate(a):
            if k < 0:
                continue
            kp[t, k], sc[t, k], ps[t, k] = f.keypoints[i], f.scores[i], p[i]
            if world is not None and w is not None:
                world[t, k] = w[i]
    return kp, sc, ps, world


def track_quality(person_scores: np.ndarray) -> np.ndarray:
    """Sum over frames of each track's person score ((T, K), NaN where absent) -> (K,).

    Rewards both presence (frames) and confidence.
    """
    return np.nansum(np.nan_to_num(person_scores, nan=0.0), axis=0)


def keep_best_tracks(person_scores: np.ndarray, max_people: int) -> tuple[np.ndarray, str]:
    """Which tracks to keep when there are more than max_people.

    Args:
        person_scores: (T, K) person scores, NaN where a track is absent.
        max_people: slots available (>= 1).

    Returns:
        (kept track indices in order of first appearance, note: "" when all tracks fit,
        else a sentence naming how many tracks were dropped and their frame counts).
    """
    n_tracks = person_scores.shape[1]
    if n_tracks <= max_people:
        return np.arange(n_tracks), ""
    quality = track_quality(person_scores)
    best = np.sort(np.argsort(-quality, kind="stable")[:max_people])
    dropped = [k for k in range(n_tracks) if k not in set(best.tolist())]
    frames = np.isfinite(person_scores).sum(axis=0)
    detail = ", ".join(f"track {k} ({int(frames[k])} frames)" for k in dropped)
    note = (
        f"{n_tracks} person tracks found, more than max_people={max_people}: kept the "
        f"{max_people} with the highest summed person score, dropped {detail}"
    )
    return best, note


def track_detections(det: Detections, max_people: int, max_gap_s: float = 1.0) -> Detections:
    """Re-track a Detections whose slots are per-frame people (not tracks), e.g. files read
    from another program's output: slot p becomes one track, the best max_people kept.

    Args:
        det: detections, any slot order per frame.
        max_people: slots in the result (>= 1).
        max_gap_s: longest gap (s) a track may bridge.

    Returns:
        Detections (T, max_people, J, 2) with track_ids (-1: empty slot), extra
        "tracks_found" and, when tracks were dropped, "tracking_note"; a `world` extra of
        shape (T, P, J, 3) follows its people.

    Raises:
        InvalidInputError: max_people < 1.
    """
    if max_people < 1:
        raise InvalidInputError("max_people", max_people, ">= 1")
    T, P, J = det.keypoints.shape[:3]
    world = det.extra.get("world")
    has_world = world is not None and world.shape[:3] == (T, P, J)
    frames, scores, worlds = [], [], []
    for t in range(T):
        present = np.isfinite(det.keypoints[t]).all(axis=-1).any(axis=-1)
        frames.append(FramePeople(det.keypoints[t][present], det.scores[t][present]))
        scores.append(np.nan_to_num(det.person_scores[t][present], nan=0.0))
        worlds.append(world[t][present] if has_world else None)
    slots = assemble_tracks(frames, scores, worlds, J, det.fps, max_people, max_gap_s)
    extra = {k: v for k, v in det.extra.items() if k != "world"} | slots.extra
    return replace(det, keypoints=slots.keypoints, scores=slots.scores,
                   person_scores=slots.person_scores, track_ids=slots.track_ids, extra=extra)


@dataclass
class TrackSlots:
    """People of every frame tracked into P slots, one track per slot for the whole video.

    Attributes:
        keypoints: (T, P, J, 2) px, NaN where the slot's person is absent.
        scores: (T, P, J) in [0, 1], 0 where absent.
        person_scores: (T, P), NaN where absent.
        track_ids: (P,) int32 track index of each slot, -1 for an empty slot.
        extra: "tracks_found" (all tracks seen), "tracking_note" when tracks were dropped,
            "world" (T, P, J, 3) m when any frame had world landmarks.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    person_scores: np.ndarray
    track_ids: np.ndarray
    extra: dict[str, np.ndarray]


def assemble_tracks(
    frames: list[FramePeople], person_scores: list[np.ndarray],
    worlds: list[np.ndarray | None], num_joints: int, fps: float, max_people: int,
    max_gap_s: float = 1.0,
) -> TrackSlots:
    """Track each frame's people over the video and keep the best `max_people` tracks.

    The one assembly every 2D estimator's output goes through (the detect client, files of
    other programs via `track_detections`).

    Args:
        frames: T frames of people (keypoints (N_t, J, 2) px, scores (N_t, J)).
        person_scores: T arrays (N_t,) in [0, 1].
        worlds: T arrays (N_t, J, 3) m or None.
        num_joints: J.
        fps: frame rate (Hz): a track may bridge a gap of `max_gap_s` s.
        max_people: slots P (>= 1).
        max_gap_s: longest gap (s) a track may bridge.
    """
    T, J, P = len(frames), num_joints, max_people
    assignments = track_people(frames, max_gap=max(1, round(fps * max_gap_s)))
    kp_all, sc_all, ps_all, w_all = tracks_to_arrays(frames, person_scores, worlds,
                                                     assignments, J)
    kept, note = keep_best_tracks(ps_all, P)
    n = len(kept)
    kp = np.full((T, P, J, 2), np.nan, np.float32)
    sc = np.zeros((T, P, J), np.float32)
    ps = np.full((T, P), np.nan, np.float32)
    ids = np.full((P,), -1, np.int32)
    kp[:, :n], sc[:, :n], ps[:, :n], ids[:n] = (
        kp_all[:, kept], sc_all[:, kept], ps_all[:, kept], kept)
    extra: dict[str, np.ndarray] = {"tracks_found": np.array(kp_all.shape[1], np.int32)}
    if note:
        extra["tracking_note"] = np.array(note)
    if any(w is not None for w in worlds):
        extra["world"] = np.full((T, P, J, 3), np.nan, np.float32)
        if w_all is not None:
            extra["world"][:, :n] = w_all[:, kept]
    return TrackSlots(kp, sc, ps, ids, extra)
