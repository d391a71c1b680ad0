"""Training windows: project 3D sequences through random cameras, add detector-like noise,
drop and refill joints, normalise as inference does, cut strided windows, flip-augment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from posearena_videopose3d.inference import fill_missing as _inference_fill
from posearena_videopose3d.inference import normalize_screen as _inference_normalize
from posearena_videopose3d.training.cameras import (
    CameraSampling,
    VirtualCamera,
    facing_yaw,
    sample_camera,
)
from posearena_videopose3d.training.data import Sequence3D
from posearena_videopose3d.training.poseaug import PoseAugmentation, augment_pose

COCO_LEFT, COCO_RIGHT = [1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]
H36M_LEFT, H36M_RIGHT = [4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]


def normalize_screen(uv: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixels (..., 2) -> screen coordinates exactly as inference: uv / w * 2 - [1, h / w]."""
    return _inference_normalize(uv, width, height)


def fill_missing(kp: np.ndarray) -> np.ndarray:
    """Fill NaN joints (T, J, 2) px exactly as inference does (linear in time, edge hold).

    Raises InvalidInputError (from inference) when a joint is missing in every frame.
    """
    return _inference_fill(kp)[0]


@dataclass(frozen=True)
class Augmentation:
    """Input corruption: Gaussian pixel noise sigma uniform in noise_px; each joint-frame
    dropped with a probability uniform in [0, drop_prob] per sequence; flip with prob 0.5."""

    noise_px: tuple[float, float] = (1.0, 3.0)
    drop_prob: float = 0.05
    flip: bool = True


def normalized_intrinsics(cam: VirtualCamera) -> np.ndarray:
    """(3,) focal and principal point in normalised screen units: u_n = f_n x / z + c_n.

    Args:
        cam: virtual camera (pixels).

    Returns:
        [2 f / w, 2 cx / w - 1, 2 cy / w - h / w].
    """
    w, h = cam.width, cam.height
    return np.array([2 * cam.f / w, 2 * cam.c[0] / w - 1, 2 * cam.c[1] / w - h / w], np.float32)


def project_sequence(
    seq: Sequence3D, cam: VirtualCamera, aug: Augmentation, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """2D inputs and 3D targets of one sequence seen by one camera.

    Args:
        seq: COCO/H36M world sequences (T, 17, 3) m.
        cam: virtual camera. aug: corruption settings. rng: random generator.

    Returns:
        x (T, 17, 2) normalised screen coordinates, y (T, 17, 3) camera-frame H36M joints, m
        (absolute: subtract y[:, :1] for root-relative targets).
    """
    uv = cam.project_camera(cam.to_camera(seq.coco.astype(np.float64)))
    uv = uv + rng.normal(0.0, rng.uniform(*aug.noise_px), uv.shape)
    if aug.drop_prob > 0:
        drop = rng.random(uv.shape[:2]) < rng.uniform(0.0, aug.drop_prob)
        drop[len(uv) // 2, drop.all(axis=0)] = False  # keep every joint seen at least once
        uv[drop] = np.nan
        uv = fill_missing(uv)
    x = normalize_screen(uv, cam.width, cam.height)
    y = cam.to_camera(seq.h36m.astype(np.float64))
    return x.astype(np.float32), y.astype(np.float32)


def flip_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror inputs (..., 17, 2) and targets (..., 17, 3): negate x and swap left/right."""
    x, y = x.copy(), y.copy()
    x[..., 0] *= -1
    y[..., 0] *= -1
    x[..., COCO_LEFT + COCO_RIGHT, :] = x[..., COCO_RIGHT + COCO_LEFT, :]
    y[..., H36M_LEFT + H36M_RIGHT, :] = y[..., H36M_RIGHT + H36M_LEFT, :]
    return x, y


class WindowSampler:
    """Yields batches (x (B, RF, 17, 2), y (B, 17, 3)) of windows, one epoch at a time.

    Each epoch gives every sequence a fresh random camera and corruption; windows end at
    (causal) or centre on (symmetric) every frame, with edge frames replicated as padding.

    Args:
        seqs: training sequences. receptive_field: RF frames. causal: causal windows.
        sampling: camera ranges. aug: corruption. seed: random seed.
        pose_aug: body-part rotations applied to each sequence per epoch (None: off).
    """

    def __init__(self, seqs: list[Sequence3D], receptive_field: int, causal: bool = False,
                 sampling: CameraSampling | None = None, aug: Augmentation | None = None,
                 seed: int = 0, pose_aug: PoseAugmentation | None = None) -> None:
        self.seqs = seqs
        self.rf = int(receptive_field)
        self.causal = causal
        self.sampling = sampling or CameraSampling()
        self.aug = aug or Augmentation()
        self.rng = np.random.default_rng(seed)
        self.pose_aug = pose_aug
        self.facing = [facing_yaw(s.h36m) for s in seqs]

    def epoch(self, batch_size: int, with_camera: bool = False) -> Iterator[tuple[np.ndarray, ...]]:
        """One pass over every frame of every sequence in random order (last batch partial).

        Args:
            batch_size: windows per batch.
            with_camera: also yield absolute camera-frame targets and intrinsics.

        Yields:
            (x (B, RF, 17, 2), y_rel (B, 17, 3) m), or with_camera (x, y_abs (B, 17, 3) m,
            intrinsics (B, 3) normalised, see `normalized_intrinsics`).
        """
        pad_l = self.rf - 1 if self.causal else self.rf // 2
        pad_r = 0 if self.causal else self.rf // 2
        xs, ys, ks, starts, offset = [], [], [], [], 0
        for seq, fac in zip(self.seqs, self.facing, strict=True):
            if self.pose_aug is not None:
                seq = augment_pose(seq, self.pose_aug, self.rng)
            cam = sample_camera(seq.h36m, fac, self.rng, self.sampling)
            x, y = project_sequence(seq, cam, self.aug, self.rng)
            xs.append(np.pad(x, ((pad_l, pad_r), (0, 0), (0, 0)), mode="edge"))
            ys.append(y)
            ks.append(np.repeat(normalized_intrinsics(cam)[None], len(x), axis=0))
            starts.append(offset + np.arange(len(x)))
            offset += len(x) + pad_l + pad_r
        all_x, all_y, all_k = np.concatenate(xs), np.concatenate(ys), np.concatenate(ks)
        all_starts = np.concatenate(starts)
        order = self.rng.permutation(len(all_starts))
        span = np.arange(self.rf)
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            bx, by, bk = all_x[all_starts[idx][:, None] + span], all_y[idx], all_k[idx].copy()
            if self.aug.flip:
                f = self.rng.random(len(idx)) < 0.5
                bx[f], by[f] = flip_pairs(bx[f], by[f])
                bk[f, 1] *= -1
            if with_camera:
                yield bx, by, bk
            else:
                yield bx, by - by[:, :1]
