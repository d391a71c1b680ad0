"""Reading 2D keypoint inputs of the CLI: `.npy` (T, J, 2) px arrays or `posearena detect` npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections, load_detections
from posearena.skeletons import convert, convert_confidence


def load_2d(path: str, skeleton: str, default_skeleton: str = "coco17",
            ) -> tuple[np.ndarray, np.ndarray | None, Detections | None]:
    """Keypoints of the main person in `skeleton`.

    Args:
        path: `.npy` of shape (T, J, 2) px (taken as `default_skeleton`), or a detections npz.
        skeleton: registry name wanted.
        default_skeleton: what a bare `.npy` holds.

    Returns:
        keypoints (T, J, 2) px, confidence (T, J) or None, and the Detections (npz) or None.
    """
    p = Path(path)
    if p.suffix == ".npy":
        try:
            k = np.load(p, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InvalidInputError("--input", str(p), f"a readable .npy file ({exc})") from exc
        if k.ndim != 3 or k.shape[-1] != 2:
            raise InvalidInputError("--input", f"{p.name} shape {k.shape}", "(T, J, 2) px")
        return convert(k.astype(np.float32), default_skeleton, skeleton), None, None
    dets = load_detections(p)
    k, s = dets.person(0)
    return (convert(k, dets.skeleton, skeleton),
            convert_confidence(s, dets.skeleton, skeleton), dets)
