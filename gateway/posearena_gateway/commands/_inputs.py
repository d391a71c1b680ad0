"""Reading 2D keypoint inputs of the CLI: `.npy` (T, J, 2) px arrays or `posearena detect` npz."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections, load_detections
from posearena.skeletons import convert, convert_confidence
from posearena_gateway.tracking.patient import choose_person, put_first


def load_2d(path: str, skeleton: str, default_skeleton: str = "coco17", person: str = "",
            ) -> tuple[np.ndarray, np.ndarray | None, Detections | None]:
    """Keypoints of the patient (one person) in `skeleton`.

    Args:
        path: `.npy` of shape (T, J, 2) px (taken as `default_skeleton`), or a detections npz.
        skeleton: registry name wanted.
        default_skeleton: what a bare `.npy` holds.
        person: for an npz with several tracks: auto|largest|central|longest|ID (see
            `posearena_gateway.tracking.patient`); "" keeps the file's first slot.

    Returns:
        keypoints (T, J, 2) px, confidence (T, J) or None, and the Detections (npz) or None.
    """
    p = Path(path)
    if p.suffix == ".npy":
        try:
            k = np.load(p, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InvalidInputError("--input", str(p), f"a readable .npy file ({exc})") from exc
        if k.ndim != 3 or k.shape[-1] != 2 or k.shape[0] == 0 or k.dtype.kind not in "fiu":
            raise InvalidInputError("--input", f"{p.name} shape {k.shape} {k.dtype}",
                                    "(T, J, 2) px numbers with T >= 1")
        if not np.isfinite(k).any():
            raise InvalidInputError("--input", f"{p.name}: every joint NaN",
                                    "at least one detected 2D joint")
        return convert(k.astype(np.float32, copy=False), default_skeleton, skeleton), None, None
    dets = load_detections(p)
    if not np.isfinite(dets.keypoints).any():
        raise InvalidInputError("--input", f"{p.name}: no person in any frame",
                                "at least one detected 2D joint")
    if person and dets.keypoints.shape[1] > 1:
        slot, choice = choose_person(dets, person)
        dets = put_first(dets, slot, choice)
        print(f"{p.name}: {choice}")
    k, s = dets.person(0)
    return (convert(k, dets.skeleton, skeleton),
            convert_confidence(s, dets.skeleton, skeleton), dets)

