"""Reading 2D keypoint inputs of the CLI: `.npy` (T, J, 2) px arrays or `posearena detect` npz."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections, load_detections
from posearena.skeletons import convert, convert_confidence
from posearena.skeletons.mapping import mapping
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
        return _converted(k.astype(np.float32, copy=False), default_skeleton, skeleton), None, None
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


def _converted(k: np.ndarray, src: str, dst: str) -> np.ndarray:
    """`convert(k, src, dst)` of a float array the caller owns, in place when `dst` is `src`.

    Args:
        k: (T, J, 2) px keypoints of `src`, freshly read (this function may overwrite them).
        src: the skeleton k holds.
        dst: the skeleton wanted.

    Returns:
        (T, J_dst, 2) px, bit for bit what `convert` returns. With the same joints in the same
        order convert's weighted sum is x * 1 + 0 per value: the values unchanged but for
        -0.0, which becomes +0.0; adding +0.0 in place does that without convert's gather and
        einsum copies (30 ms for 4 views of 40,000 frames).
    """
    idx, w, avail = mapping(src, dst).gather_tables()
    identity = (k.shape[-2] == len(idx) and idx.shape[1] == 1 and avail.all()
                and bool((idx[:, 0] == np.arange(len(idx))).all()) and bool((w == 1.0).all()))
    if not identity or not k.flags.writeable:
        return convert(k, src, dst)
    return np.add(k, k.dtype.type(0.0), out=k)
