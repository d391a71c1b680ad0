"""`Sequence3D`: one person's 3D joint trajectories from a reference system (Kinect, mocap)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton

#: Frame names used by the readers.
KINECT_FRAME = "kinect camera (Y up)"
VICON_FRAME = "vicon world (Z up)"
Y_UP = (0.0, 1.0, 0.0)
Z_UP = (0.0, 0.0, 1.0)


@dataclass
class Sequence3D:
    """3D joint positions of one person over time, with the frame they are expressed in.

    Attributes:
        points: (T, J, 3) float64 joint positions in metres, NaN = missing (frame kept).
        skeleton: registry name of the joint order, e.g. "uiprmd_kinect22", "h36m17".
        fps: nominal frame rate in Hz (> 0); frame i is at i / fps unless `timestamps` is set.
        frame: the coordinate frame in words, e.g. "kinect camera (Y up)", "vicon world (Z up)".
        up_axis: (3,) unit vector of the vertical (up) direction in that frame.
        source: path (or spec) the sequence was read from.
        timestamps: optional (T,) time of each frame in s (e.g. Kinect's own clock), increasing.
        extra: other per-sequence data, e.g. {"angles_deg": (T, J, 3)} for UI-PRMD Kinect.
    """

    points: np.ndarray
    skeleton: str
    fps: float
    frame: str
    up_axis: np.ndarray
    source: str = ""
    timestamps: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=np.float64)
        skel = get_skeleton(self.skeleton)
        if pts.ndim != 3 or pts.shape[1:] != (skel.num_joints, 3) or pts.shape[0] < 1:
            raise InvalidInputError(
                "points",
                getattr(pts, "shape", None),
                f"shape (T, {skel.num_joints}, 3) with T >= 1 for skeleton {skel.name}",
            )
        self.points = pts
        fps = float(self.fps)
        if not np.isfinite(fps) or fps <= 0:
            raise InvalidInputError("fps", self.fps, "a frame rate > 0 Hz")
        self.fps = fps
        up = np.asarray(self.up_axis, dtype=np.float64)
        norm = float(np.linalg.norm(up)) if up.shape == (3,) else 0.0
        if not np.isfinite(norm) or norm < 1e-9:
            raise InvalidInputError("up_axis", self.up_axis, "a non-zero 3-vector")
        self.up_axis = up / norm
        if self.timestamps is not None:
            ts = np.asarray(self.timestamps, dtype=np.float64)
            if ts.shape != (pts.shape[0],) or not np.all(np.isfinite(ts)):
                raise InvalidInputError(
                    "timestamps", getattr(ts, "shape", None), f"({pts.shape[0]},) finite seconds"
                )
            if ts.size > 1 and np.any(np.diff(ts) <= 0):
                raise InvalidInputError("timestamps", ts[:5].tolist(), "strictly increasing s")
            self.timestamps = ts

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.points.shape[0])

    @property
    def joints(self) -> tuple[str, ...]:
        """Joint names of the skeleton, in array order (J,)."""
        return get_skeleton(self.skeleton).joints

    def times(self) -> np.ndarray:
        """Time of each frame in s, (T,): the timestamps if present, else i / fps."""
        if self.timestamps is not None:
            return self.timestamps.copy()
        return np.arange(self.num_frames, dtype=np.float64) / self.fps

    def height(self) -> np.ndarray:
        """Coordinate of every joint along `up_axis`, (T, J) in metres."""
        return self.points @ self.up_axis
