"""Pose augmentation: new motion from recorded motion by rotating body parts (training only).

UI-PRMD holds ten standing rehabilitation exercises; a lifter trained on them alone has not
seen lunges, trunk twists or free arm swings (see `bench/bench_lifter_domain.py`). As in
PoseAug (Gong et al., CVPR 2021), new poses are made by rotating whole body parts about their
proximal joint, here with angles that vary smoothly in time so sequences stay plausible
motion: each arm about its shoulder, each leg about its hip, then the upper body about the
spine joint. Bone lengths are kept exactly. COCO-17 and H36M-17 points are moved together
(their limb joints coincide; the face points move with the upper body).

Inputs: `Sequence3D` (T, 17, 3) world joints, m. Output: a new `Sequence3D`, same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.errors import InvalidInputError
from posearena_videopose3d.training.data import Sequence3D

# (pivot joint in h36m17, moved h36m17 joints, moved coco17 joints)
_RIGHT_ARM = (14, [15, 16], [8, 10])
_LEFT_ARM = (11, [12, 13], [7, 9])
_RIGHT_LEG = (1, [2, 3], [14, 16])
_LEFT_LEG = (4, [5, 6], [13, 15])
_UPPER_BODY = (7, [8, 9, 10, 11, 12, 13, 14, 15, 16], list(range(11)))


@dataclass(frozen=True)
class PoseAugmentation:
    """Ranges of the body-part rotations.

    Attributes:
        prob: probability that a sequence is augmented in an epoch (else left as recorded).
        arm_deg, leg_deg, trunk_deg: largest rotation angle of each part, degrees.
        freq_hz: (min, max) frequency of the angle's variation over time, Hz.
    """

    prob: float = 0.5
    arm_deg: float = 60.0
    leg_deg: float = 35.0
    trunk_deg: float = 25.0
    freq_hz: tuple[float, float] = (0.1, 1.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.prob <= 1.0:
            raise InvalidInputError("prob", self.prob, "a probability in [0, 1]")
        for name in ("arm_deg", "leg_deg", "trunk_deg"):
            if not 0.0 <= getattr(self, name) <= 180.0:
                raise InvalidInputError(name, getattr(self, name), "degrees in [0, 180]")
        lo, hi = self.freq_hz
        if not 0.0 < lo <= hi:
            raise InvalidInputError("freq_hz", self.freq_hz, "0 < min <= max (Hz)")


def smooth_angles(n: int, fps: float, max_rad: float, freq_hz: tuple[float, float],
                  rng: np.random.Generator) -> np.ndarray:
    """(n,) angles in [-max_rad, max_rad] rad: a random offset plus a sinusoid of random
    frequency and phase, so the part holds a new posture and moves about it."""
    t = np.arange(n) / fps
    f = rng.uniform(*freq_hz)
    offset = rng.uniform(-1.0, 1.0)
    swing = (1.0 - abs(offset)) * rng.uniform(0.0, 1.0)
    return max_rad * (offset + swing * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))


def axis_angle_matrices(axis: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) about the unit `axis` (3,) by `angles` (n,) rad."""
    k = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    s, c = np.sin(angles)[:, None, None], np.cos(angles)[:, None, None]
    return np.eye(3) + s * kx + (1 - c) * (kx @ kx)


def _rotate_part(h36m: np.ndarray, coco: np.ndarray, part: tuple, R: np.ndarray) -> None:
    """Rotate a part's joints (in place) about its pivot by R (T, 3, 3)."""
    pivot, h_idx, c_idx = part
    p = h36m[:, pivot][:, None]  # (T, 1, 3)
    h36m[:, h_idx] = np.einsum("tab,tjb->tja", R, h36m[:, h_idx] - p) + p
    coco[:, c_idx] = np.einsum("tab,tjb->tja", R, coco[:, c_idx] - p) + p


def augment_pose(seq: Sequence3D, aug: PoseAugmentation, rng: np.random.Generator) -> Sequence3D:
    """A new sequence with arms, legs and upper body rotated by smoothly varying angles.

    Args:
        seq: COCO-17 and H36M-17 world joints (T, 17, 3) m, Z up.
        aug: rotation ranges. rng: random generator.

    Returns:
        `seq` itself with probability 1 - aug.prob, else a new Sequence3D (same shapes, bone
        lengths kept) named `<name>~aug`.
    """
    if rng.random() >= aug.prob:
        return seq
    h36m, coco = seq.h36m.astype(np.float64), seq.coco.astype(np.float64)
    n = len(h36m)
    for part, deg in ((_RIGHT_ARM, aug.arm_deg), (_LEFT_ARM, aug.arm_deg),
                      (_RIGHT_LEG, aug.leg_deg), (_LEFT_LEG, aug.leg_deg),
                      (_UPPER_BODY, aug.trunk_deg)):
        axis = rng.normal(size=3)
        angles = smooth_angles(n, seq.fps, np.deg2rad(deg), aug.freq_hz, rng)
        _rotate_part(h36m, coco, part, axis_angle_matrices(axis, angles))
    return Sequence3D(coco=coco.astype(np.float32), h36m=h36m.astype(np.float32), fps=seq.fps,
                      subject=seq.subject, name=f"{seq.name}~aug")
