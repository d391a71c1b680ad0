"""Randomised virtual cameras for projecting 3D joint sequences to 2D (training only).

A camera looks at the sequence's centre from a horizontal direction at `yaw` degrees from
the subject's facing direction (0 = in front), 1.5-4.5 m away (moved back if the person
would not fit in the image), with small pitch and roll. Frames follow OpenCV (x right,
y down, z forward); world frames are Z up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError


@dataclass(frozen=True)
class CameraSampling:
    """Ranges of the camera randomisation.

    Attributes:
        distance_m: (min, max) camera distance to the subject's centre, m.
        yaw_deg: maximum |yaw| from the subject's front, degrees (180 = all around).
        pitch_deg, roll_deg: maximum |pitch| / |roll|, degrees.
        kinect_prob: probability of Kinect-v1-like intrinsics (else phone-like).
        fit_margin: fraction of the image the person may fill at most (distance pushed back).
    """

    distance_m: tuple[float, float] = (1.5, 4.5)
    yaw_deg: float = 180.0
    pitch_deg: float = 10.0
    roll_deg: float = 5.0
    kinect_prob: float = 0.4
    fit_margin: float = 0.9

    def __post_init__(self) -> None:
        lo, hi = self.distance_m
        if not (0.3 <= lo <= hi <= 50):
            raise InvalidInputError("distance_m", self.distance_m, "0.3 <= min <= max <= 50 m")
        if not 0 <= self.yaw_deg <= 180:
            raise InvalidInputError("yaw_deg", self.yaw_deg, "a value in [0, 180] degrees")


@dataclass
class VirtualCamera:
    """A pinhole camera: X_cam = R @ X_world + t; pixels = (f x/z + cx, f y/z + cy).

    Attributes:
        R: (3, 3) rotation world -> camera. t: (3,) translation, m.
        f: focal length, px. c: (2,) principal point, px. width, height: image size, px.
    """

    R: np.ndarray
    t: np.ndarray
    f: float
    c: np.ndarray
    width: int
    height: int

    def to_camera(self, X: np.ndarray) -> np.ndarray:
        """World points (..., 3) m -> camera frame (..., 3) m."""
        return X @ self.R.T + self.t

    def project_camera(self, Xc: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) m -> pixels (..., 2) px."""
        return self.f * Xc[..., :2] / Xc[..., 2:3] + self.c


def _intrinsics(rng: np.random.Generator, s: CameraSampling) -> tuple[float, int, int]:
    if rng.random() < s.kinect_prob:
        return float(rng.uniform(500.0, 550.0)), 640, 480
    f = float(rng.uniform(1000.0, 1500.0))
    return (f, 1080, 1920) if rng.random() < 0.5 else (f, 1920, 1080)


def facing_yaw(h36m: np.ndarray) -> float:
    """Facing direction (radians, about world Z) of an H36M-17 sequence (T, 17, 3) m.

    Forward = (left hip - right hip) x up, averaged over the sequence (world Z up).
    """
    lr = np.nanmean(h36m[:, 4] - h36m[:, 1], axis=0)
    fwd = np.cross(lr, [0.0, 0.0, 1.0])
    return float(np.arctan2(fwd[1], fwd[0]))


def _rot(axis: int, a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    i, j = [k for k in range(3) if k != axis]
    R = np.eye(3)
    R[i, i], R[i, j], R[j, i], R[j, j] = c, -s, s, c
    return R


def sample_camera(
    points: np.ndarray, facing: float, rng: np.random.Generator,
    sampling: CameraSampling | None = None,
) -> VirtualCamera:
    """Sample a camera viewing a world-frame point sequence.

    Args:
        points: (T, J, 3) world points, m, Z up (used for the centre and extent).
        facing: subject facing direction about Z, radians (see `facing_yaw`).
        rng: random generator.
        sampling: ranges (defaults if None).

    Returns:
        A VirtualCamera with the whole sequence in front of it.
    """
    s = sampling or CameraSampling()
    pts = points.reshape(-1, 3)
    centre = np.nanmean(pts, axis=0)
    f, w, h = _intrinsics(rng, s)
    yaw = facing + np.deg2rad(rng.uniform(-s.yaw_deg, s.yaw_deg))
    view = np.array([np.cos(yaw), np.sin(yaw), 0.0])  # from centre towards camera
    # camera axes looking along -view: z forward, x right, y down (world Z up)
    z_ax = -view
    x_ax = np.cross(z_ax, [0.0, 0.0, 1.0])
    x_ax /= np.linalg.norm(x_ax)
    y_ax = np.cross(z_ax, x_ax)
    R = np.stack([x_ax, y_ax, z_ax])
    pitch = np.deg2rad(rng.uniform(-s.pitch_deg, s.pitch_deg))
    roll = np.deg2rad(rng.uniform(-s.roll_deg, s.roll_deg))
    R = _rot(2, roll) @ _rot(0, pitch) @ R
    rel = (pts - centre) @ R.T
    extent = np.nanmax(np.abs(rel[:, :2]), axis=0)  # half extents in camera x, y, m
    depth = np.nanmax(np.abs(rel[:, 2]))
    fit = max(extent[0] * f / (s.fit_margin * w / 2), extent[1] * f / (s.fit_margin * h / 2))
    dist = max(float(rng.uniform(*s.distance_m)), fit + depth)
    t = -R @ centre + np.array([0.0, 0.0, dist])
    return VirtualCamera(R=R, t=t, f=f, c=np.array([(w - 1) / 2.0, (h - 1) / 2.0]),
                         width=w, height=h)
