"""Choose the patient among a video's person tracks and put them in slot 0 of a Detections.

Every consumer of a detections file (lift, triangulate, compare) reads person slot 0, so the
choice travels with the file: `extra["person_choice"]` (a sentence) and `extra["patient_track"]`
(the chosen track id).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections

RULES = ("auto", "largest", "central", "longest")


@dataclass(frozen=True)
class TrackSummary:
    """One track of a Detections.

    Attributes:
        slot: person index p in the arrays.
        track_id: the id in Detections.track_ids.
        frames: frames where the track is present.
        presence: frames / T in [0, 1].
        size: median body extent in px (larger side of the keypoints' box).
        centrality: 1 - median distance of the keypoints' centre to the image centre
            divided by half the image diagonal, in [0, 1] (1: always in the middle).
    """

    slot: int
    track_id: int
    frames: int
    presence: float
    size: float
    centrality: float

    def describe(self) -> str:
        return (
            f"track {self.track_id}: {self.frames} frames ({100 * self.presence:.0f}%), "
            f"median size {self.size:.0f} px, centrality {self.centrality:.2f}"
        )


def summarize_tracks(det: Detections) -> list[TrackSummary]:
    """TrackSummary of every person slot that is present in at least one frame."""
    T, P = det.keypoints.shape[:2]
    half_diag = 0.5 * float(np.hypot(det.width, det.height)) or 1.0
    centre = np.array([(det.width - 1) / 2, (det.height - 1) / 2])
    out = []
    for p in range(P):
        kp = det.keypoints[:, p]
        present = np.isfinite(kp).all(axis=-1).any(axis=-1)
        if not present.any():
            continue
        pts = kp[present]
        with np.errstate(all="ignore"):
            ext = np.nanmax(pts, axis=1) - np.nanmin(pts, axis=1)
            mid = np.nanmedian(pts, axis=1)
        dist = np.linalg.norm(mid - centre, axis=-1)
        out.append(
            TrackSummary(
                slot=p,
                track_id=int(det.track_ids[p]),
                frames=int(present.sum()),
                presence=float(present.sum() / max(T, 1)),
                size=float(np.median(ext.max(axis=-1))),
                centrality=float(np.clip(1 - np.median(dist) / half_diag, 0, 1)),
            )
        )
    return out


def choose_person(det: Detections, rule: str) -> tuple[int, str]:
    """Pick the patient.

    Args:
        det: detections with one track per person slot.
        rule: "auto" (highest presence x centrality: present longest and most central),
            "largest" (median size), "central" (centrality), "longest" (frames present),
            or a track id (an integer in det.track_ids).

    Returns:
        (slot index p, a sentence saying which track was chosen and why).

    Raises:
        InvalidInputError: unknown rule, an id that is not a track (the message lists the
            tracks), or nobody in any frame.
    """
    tracks = summarize_tracks(det)
    listing = "; ".join(s.describe() for s in tracks) or "no tracks"
    rule = str(rule).strip()
    if rule.lstrip("-").isdigit():
        wanted = int(rule)
        for s in tracks:
            if s.track_id == wanted:
                return s.slot, f"person {wanted} (given): {s.describe()}"
        raise InvalidInputError("--person", rule, f"one of the tracks present: {listing}")
    if rule not in RULES:
        raise InvalidInputError("--person", rule, f"one of {RULES} or a track id ({listing})")
    if not tracks:
        raise InvalidInputError("detections", "nobody in any frame", "at least one person")
    keys = {
        "auto": lambda s: (s.presence * s.centrality, s.frames),
        "largest": lambda s: (s.size, s.frames),
        "central": lambda s: (s.centrality, s.frames),
        "longest": lambda s: (s.frames, s.centrality),
    }
    best = max(tracks, key=keys[rule])
    others = len(tracks) - 1
    return best.slot, f"{rule}: {best.describe()} (among {others + 1} track(s))"


def put_first(det: Detections, slot: int, choice: str) -> Detections:
    """A copy of det with person `slot` moved to index 0 and the choice recorded.

    Args:
        det: detections.
        slot: person index to move first.
        choice: sentence stored as extra["person_choice"].

    Returns:
        Detections with the same people reordered (slot first, the others in order),
        extra["person_choice"] (str array) and extra["patient_track"] (int32 track id).
    """
    P = det.keypoints.shape[1]
    order = [slot] + [p for p in range(P) if p != slot]
    extra = {
        k: (v[:, order] if v.ndim >= 2 and v.shape[:2] == det.keypoints.shape[:2] else v)
        for k, v in det.extra.items()
    }
    extra["person_choice"] = np.array(choice)
    extra["patient_track"] = np.array(int(det.track_ids[slot]), dtype=np.int32)
    return replace(
        det,
        keypoints=det.keypoints[:, order],
        scores=det.scores[:, order],
        person_scores=det.person_scores[:, order],
        track_ids=det.track_ids[order],
        extra=extra,
    )
