"""Who was tracked: one thumbnail per person track, cut from the first frame it appears in.

Input: the video and its Detections (T, P, J, 2) px with track_ids (P,). Output: one PNG
strip, each tile labelled with the track id, the frames present and whether it is the
patient (slot 0 after the patient choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np

from posearena.npzio import Detections

TILE_H = 220


def _frame(video: str | Path, index: int) -> np.ndarray | None:
    cap = cv2.VideoCapture(str(video))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, img = cap.read()
    finally:
        cap.release()
    return img if ok else None


def _present(dets: Detections) -> np.ndarray:
    """(T, P) bool: person slot p has at least one fully finite keypoint in frame t."""
    return np.isfinite(dets.keypoints).all(-1).any(-1)


def _appearances(dets: Detections) -> list[tuple[int, int, int]]:
    """(slot p, its first frame, frames it is present in) of every slot present somewhere."""
    present = _present(dets)  # (T, P)
    counts = present.sum(axis=0)
    firsts = np.argmax(present, axis=0)
    return [(p, int(firsts[p]), int(counts[p])) for p in range(present.shape[1]) if counts[p]]


def first_frames(dets: Detections) -> set[int]:
    """Indices of the frames the thumbnails are cut from (each track's first appearance)."""
    return {t for _, t, _ in _appearances(dets)}


def write_track_thumbnails(video: str | Path, dets: Detections, path: str | Path,
                           frames: Mapping[int, np.ndarray] | None = None) -> Path | None:
    """Write the strip of first-appearance thumbnails; None when nobody was tracked.

    Args:
        video: the input video the detections come from.
        dets: Detections with one track per person slot.
        path: output .png.
        frames: frame index -> that frame of `video` (H, W, 3) uint8 BGR, for the indices of
            `first_frames(dets)`, already decoded by someone else (the overlay); an index
            absent from it counts as a frame the video does not have. None: each frame is
            read from `video`.
    """
    tiles = []
    for p, t, seen in _appearances(dets):
        img = _frame(video, t) if frames is None else frames.get(t)
        if img is None:
            continue
        k = dets.keypoints[t, p]
        k = k[np.isfinite(k).all(-1)]
        (x0, y0), (x1, y1) = k.min(0), k.max(0)
        pad = 0.15 * max(x1 - x0, y1 - y0) + 10
        h, w = img.shape[:2]
        crop = img[int(max(0, y0 - pad)):int(min(h, y1 + pad)),
                   int(max(0, x0 - pad)):int(min(w, x1 + pad))]
        if crop.size == 0:
            continue
        scale = TILE_H / crop.shape[0]
        tile = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), TILE_H))
        label = f"track {int(dets.track_ids[p])}{' (patient)' if p == 0 else ''}"
        sub = f"{seen}/{dets.keypoints.shape[0]} frames"
        for text, y in ((label, 18), (sub, 36)):
            cv2.putText(tile, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3)
            cv2.putText(tile, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
        tiles.append(tile)
    if not tiles:
        return None
    strip = np.concatenate([np.pad(t, ((0, 0), (0, 6), (0, 0)), constant_values=255)
                            for t in tiles], axis=1)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), strip)
    return out
