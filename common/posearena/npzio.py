"""npz files every part exchanges: 2D detections and 3D results; atomic writes.

Detections file (written by `posearena detect`):
    keypoints      (T, P, J, 2) float32 px, NaN where a person/joint is absent
    scores         (T, P, J) float32 in [0, 1]
    person_scores  (T, P) float32 in [0, 1], NaN where absent
    track_ids      (P,) int32: the track index p stands for over the whole video
    skeleton       str registry name;  fps float;  width, height int (px)
    plus any extra arrays (e.g. `world` (T, P, J, 3) m from BlazePose).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

from posearena.errors import InvalidInputError

_META = ("skeleton", "fps", "width", "height")
_ARRAYS = ("keypoints", "scores", "person_scores", "track_ids")


def atomic_save_npz(path: str | os.PathLike, *, compressed: bool = True,
                    **arrays: object) -> None:
    """Write an .npz so that readers never see a half-written file (temp file + rename).

    ``compressed=False`` stores the arrays as they are: for large float arrays (3D points),
    which deflate hardly shrinks but takes seconds to compress.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            if compressed:
                np.savez_compressed(fh, **arrays)
            else:
                _savez_stored(fh, arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _savez_stored(fh: BinaryIO, arrays: dict[str, object]) -> None:
    """`np.savez(fh, **arrays)`, byte for byte, without copying the arrays' values first.

    np.savez hands the zip member 16 MiB copies of each array (`tobytes`); a C-ordered
    array of plain numbers or strings goes here as a view of its own memory (the zip entry
    still gets its CRC and size). Others (object, structured, non-C-ordered arrays, headers
    beyond format 1.0) are written by numpy as in np.savez.

    Args:
        fh: the open binary file.
        arrays: name -> array-like; member "<name>.npy" each, in this order.
    """
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, val in arrays.items():
            a = np.asanyarray(val)
            with zf.open(name + ".npy", "w", force_zip64=True) as member:  # as np.savez
                if not _write_plain(member, a):
                    np.lib.format.write_array(member, a, allow_pickle=True)


def _write_plain(member: IO[bytes], a: np.ndarray) -> bool:
    """Write `a` as a format 1.0 .npy from its own memory; False (nothing written) when it is
    not a C-ordered array of a numeric, bool or str dtype with a header that fits 1.0."""
    if not (a.flags.c_contiguous and a.dtype.kind in "biufcSU" and a.dtype.names is None):
        return False
    try:  # the header numpy writes (version 1.0 unless it does not fit)
        np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(a))
    except ValueError:  # raised before any byte is written
        return False
    member.write(memoryview(a.reshape(-1).view(np.uint8)))
    return True


@dataclass
class Detections:
    """Multi-person 2D keypoints of one video; see the module docstring for shapes."""

    keypoints: np.ndarray
    scores: np.ndarray
    person_scores: np.ndarray
    skeleton: str
    fps: float
    width: int
    height: int
    track_ids: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = np.asarray(self.keypoints, dtype=np.float32)
        if k.ndim != 4 or k.shape[-1] != 2:
            raise InvalidInputError("keypoints.shape", k.shape, "(T, P, J, 2)")
        t, p, j, _ = k.shape
        self.keypoints = k
        self.scores = _checked(self.scores, "scores", (t, p, j))
        self.person_scores = _checked(self.person_scores, "person_scores", (t, p))
        if self.track_ids is None:
            self.track_ids = np.arange(p, dtype=np.int32)
        self.track_ids = _checked(self.track_ids, "track_ids", (p,), np.int32)
        if not self.fps or self.fps <= 0:
            raise InvalidInputError("fps", self.fps, "a positive frame rate")

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])

    def person(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints (T, J, 2) px and scores (T, J) of person slot p."""
        if not 0 <= p < self.keypoints.shape[1]:
            raise InvalidInputError("person", p, f"0..{self.keypoints.shape[1] - 1}")
        return self.keypoints[:, p], self.scores[:, p]


def _checked(a: object, name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    arr = np.asarray(a, dtype=dtype)
    if arr.shape != shape:
        raise InvalidInputError(f"{name}.shape", arr.shape, f"{shape}")
    return arr


def save_detections(path: str | os.PathLike, det: Detections) -> None:
    """Write `det` atomically to `path` (.npz)."""
    atomic_save_npz(
        path,
        keypoints=det.keypoints,
        scores=det.scores,
        person_scores=det.person_scores,
        track_ids=det.track_ids,
        skeleton=np.array(det.skeleton),
        fps=np.array(det.fps, dtype=np.float64),
        width=np.array(det.width, dtype=np.int32),
        height=np.array(det.height, dtype=np.int32),
        **det.extra,
    )


def load_detections(path: str | os.PathLike) -> Detections:
    """Read a detections .npz written by `save_detections` (or `posearena detect`).

    Raises:
        InvalidInputError: missing file, not an npz, or missing/ill-shaped fields (named).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError("path", str(path), "an existing .npz file")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InvalidInputError("path", str(path), f"a readable .npz file ({exc})") from exc
    missing = [k for k in ("keypoints", "scores", "person_scores", *_META) if k not in data]
    if missing:
        raise InvalidInputError(f"{path.name} fields", sorted(data), f"also {missing}")
    extra = {k: v for k, v in data.items() if k not in _ARRAYS + _META}
    return Detections(
        keypoints=data["keypoints"],
        scores=data["scores"],
        person_scores=data["person_scores"],
        track_ids=data.get("track_ids"),
        skeleton=str(data["skeleton"]),
        fps=float(data["fps"]),
        width=int(data["width"]),
        height=int(data["height"]),
        extra=extra,
    )
