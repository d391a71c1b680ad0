"""VideoPose3D custom-dataset 2D files (`data_2d_custom_<name>.npz`) <-> numpy; pure numpy.

Layout (as VideoPose3D's `prepare_data_2d_custom.py` writes it and `run.py` reads it):

    positions_2d: {subject: {action: [keypoints (T, 17, 2) float32 px, one per camera]}}
                  with subject = the video's name and action "custom" for in-the-wild videos
    metadata:     {"layout_name": "coco", "num_joints": 17,
                   "keypoints_symmetry": [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, ..., 16]],
                   "video_metadata": {name: {"w": width px, "h": height px}}}

Both are pickled object arrays; `load_vp3d` reads them with the restricted unpickler (numpy
arrays and plain containers only) instead of `np.load(allow_pickle=True)`.
VideoPose3D cannot take NaN: frames without a person are filled by linear interpolation in
time (held at the ends), as its own pipeline does.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena_detectron.unpickle import RestrictedUnpickler

ACTION = "custom"
COCO_SYMMETRY = [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]]


@dataclass
class Vp3dVideo:
    """One video's 2D keypoints: keypoints (T, 17, 2) float32 px, width and height px."""

    keypoints: np.ndarray
    width: int
    height: int


def fill_missing(keypoints: np.ndarray) -> np.ndarray:
    """Linearly interpolate NaN frames per joint coordinate over time; hold at the ends.

    Args:
        keypoints: (T, J, 2) px, NaN where missing.

    Returns:
        (T, J, 2) float32 without NaN.

    Raises:
        InvalidInputError: wrong shape, or a joint coordinate that is NaN in every frame.
    """
    k = np.asarray(keypoints, dtype=np.float64)
    if k.ndim != 3 or k.shape[-1] != 2 or k.shape[0] == 0:
        raise InvalidInputError("keypoints.shape", k.shape, "(T, J, 2) with T >= 1")
    flat = k.reshape(k.shape[0], -1)
    t = np.arange(k.shape[0])
    for c in range(flat.shape[1]):
        ok = np.isfinite(flat[:, c])
        if not ok.any():
            raise InvalidInputError(f"keypoints[:, {c // 2}, {c % 2}]", "NaN in every frame",
                                    "at least one detected frame per joint")
        flat[:, c] = np.interp(t, t[ok], flat[ok, c])
    return flat.reshape(k.shape).astype(np.float32)


def keypoints_from_detections(keypoints: np.ndarray, person: int = 0) -> np.ndarray:
    """Person slot `person` of posearena detections (T, P, 17, 2) px -> filled (T, 17, 2)."""
    k = np.asarray(keypoints)
    if k.ndim != 4 or k.shape[2:] != (17, 2):
        raise InvalidInputError("keypoints.shape", k.shape, "(T, P, 17, 2) coco17 px")
    if not 0 <= person < k.shape[1]:
        raise InvalidInputError("person", person, f"0..{k.shape[1] - 1}")
    return fill_missing(k[:, person])


def save_vp3d(path: str | os.PathLike, videos: dict[str, Vp3dVideo]) -> None:
    """Write a VideoPose3D custom-dataset 2D file.

    Args:
        path: output `.npz` (VideoPose3D looks for data/data_2d_custom_<name>.npz).
        videos: video name (subject) -> Vp3dVideo with NaN-free (T, 17, 2) px keypoints.

    Raises:
        InvalidInputError: no videos, wrong shapes, NaN, or non-positive image sizes.
    """
    if not videos:
        raise InvalidInputError("videos", videos, "at least one video")
    positions, video_meta = {}, {}
    for name, v in videos.items():
        k = np.asarray(v.keypoints, dtype=np.float32)
        if k.ndim != 3 or k.shape[1:] != (17, 2) or k.shape[0] == 0:
            raise InvalidInputError(f"videos[{name!r}].keypoints.shape", k.shape, "(T, 17, 2)")
        if not np.isfinite(k).all():
            raise InvalidInputError(f"videos[{name!r}].keypoints", "NaN/inf values",
                                    "finite px (use fill_missing first)")
        if v.width <= 0 or v.height <= 0:
            raise InvalidInputError(f"videos[{name!r}].width/height", (v.width, v.height), "> 0")
        positions[name] = {ACTION: [k]}
        video_meta[name] = {"w": int(v.width), "h": int(v.height)}
    metadata = {"layout_name": "coco", "num_joints": 17,
                "keypoints_symmetry": [list(s) for s in COCO_SYMMETRY],
                "video_metadata": video_meta}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, positions_2d=np.array(positions, dtype=object),
                        metadata=np.array(metadata, dtype=object))


def _read_object_member(zf: zipfile.ZipFile, member: str) -> object:
    with zf.open(member) as raw:
        fh = io.BytesIO(raw.read())
    version = np.lib.format.read_magic(fh)
    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
              else np.lib.format.read_array_header_2_0)
    _shape, _fortran, dtype = reader(fh)
    if dtype != np.dtype(object):
        raise InvalidInputError(member, str(dtype), "a pickled object array")
    return RestrictedUnpickler(fh, encoding="latin1").load().item()


def load_vp3d(path: str | os.PathLike) -> tuple[dict[str, Vp3dVideo], dict]:
    """Read a VideoPose3D custom-dataset 2D file (camera 0 of action "custom" per subject).

    Args:
        path: the `.npz`.

    Returns:
        (video name -> Vp3dVideo, the metadata dict as stored).

    Raises:
        InvalidInputError: missing file, missing members, a refused pickle global, metadata
            that is not a 17-joint coco layout, or a video without size metadata.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            positions = _read_object_member(zf, "positions_2d.npy")
            metadata = _read_object_member(zf, "metadata.npy")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, pickle.UnpicklingError) as exc:
        raise InvalidInputError(
            "path", str(path), f"a VideoPose3D custom 2D .npz ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(metadata, dict) or metadata.get("num_joints") != 17 or (
        metadata.get("layout_name") != "coco"
    ):
        raise InvalidInputError("metadata", metadata, "layout_name 'coco' with num_joints 17")
    sizes = metadata.get("video_metadata", {})
    videos = {}
    for name, actions in positions.items():
        if ACTION not in actions or name not in sizes:
            raise InvalidInputError(f"positions_2d[{name!r}]", sorted(actions),
                                    f"action {ACTION!r} and video_metadata[{name!r}]")
        k = np.asarray(actions[ACTION][0], dtype=np.float32)
        videos[name] = Vp3dVideo(k, int(sizes[name]["w"]), int(sizes[name]["h"]))
    return videos, metadata
