"""MPJPE / P-MPJPE of a lifter on held-out sequences seen by fixed random cameras."""

from __future__ import annotations

import numpy as np

from posearena_videopose3d.inference import Lifter, lift
from posearena_videopose3d.model import TemporalModel
from posearena_videopose3d.training.cameras import CameraSampling, facing_yaw, sample_camera
from posearena_videopose3d.training.data import Sequence3D


def mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint position error.

    Args:
        pred, target: (N, J, 3) joints, m.

    Returns:
        Mean Euclidean distance in mm.
    """
    return float(np.mean(np.linalg.norm(pred - target, axis=-1)) * 1000.0)


def procrustes_align(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Align each predicted pose to its target by a similarity (rotation, scale, translation).

    Args:
        pred, target: (N, J, 3) joints, m.

    Returns:
        (N, J, 3) aligned predictions, m.
    """
    mu_t, mu_p = target.mean(axis=1, keepdims=True), pred.mean(axis=1, keepdims=True)
    t0, p0 = target - mu_t, pred - mu_p
    nt = np.linalg.norm(t0, axis=(1, 2), keepdims=True)
    npr = np.linalg.norm(p0, axis=(1, 2), keepdims=True)
    t0, p0 = t0 / nt, p0 / npr
    H = np.einsum("nji,njk->nik", t0, p0)  # (N, 3, 3)
    U, s, Vt = np.linalg.svd(H)
    V = np.transpose(Vt, (0, 2, 1))
    R = V @ np.transpose(U, (0, 2, 1))
    sign = np.sign(np.linalg.det(R))
    V[:, :, -1] *= sign[:, None]
    s[:, -1] *= sign
    R = V @ np.transpose(U, (0, 2, 1))
    a = s.sum(axis=1)[:, None, None] * nt / npr
    return a * (pred - mu_p) @ R + mu_t


def p_mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """MPJPE after per-frame Procrustes alignment (rotation, scale, translation), mm.

    Args:
        pred, target: (N, J, 3) joints, m.
    """
    return mpjpe(procrustes_align(pred, target), target)


def evaluate(
    model: TemporalModel, seqs: list[Sequence3D], cameras_per_seq: int = 2,
    sampling: CameraSampling | None = None, seed: int = 1234, flip_tta: bool = False,
    noise_px: float = 2.0,
) -> dict[str, dict[str, float]]:
    """Evaluate per subject with fixed (seeded) cameras, through the service's `inference.lift`
    (same filling, normalisation, padding), 2 px Gaussian noise, no dropped joints.

    Args:
        model: TemporalModel (eval mode is set here). seqs: held-out sequences.
        cameras_per_seq: cameras per sequence. sampling: camera ranges.
        seed: camera/noise seed (same seed -> same views). flip_tta: flip test-time
        augmentation. noise_px: 2D noise sigma, px.

    Returns:
        {subject: {"mpjpe_mm", "p_mpjpe_mm", "frames"}} plus "all".
    """
    model.eval()
    rng = np.random.default_rng(seed)
    lifter = Lifter(model)
    preds: dict[str, list[np.ndarray]] = {}
    gts: dict[str, list[np.ndarray]] = {}
    for seq in seqs:
        fac = facing_yaw(seq.h36m)
        for _ in range(cameras_per_seq):
            cam = sample_camera(seq.h36m, fac, rng, sampling)
            uv = cam.project_camera(cam.to_camera(seq.coco.astype(np.float64)))
            uv = uv + rng.normal(0.0, noise_px, uv.shape)
            y = cam.to_camera(seq.h36m.astype(np.float64))
            p = lift(uv, cam.width, cam.height, lifter, flip_tta=flip_tta).poses_3d
            preds.setdefault(seq.subject, []).append(p - p[:, :1])
            gts.setdefault(seq.subject, []).append(y - y[:, :1])
    out: dict[str, dict[str, float]] = {}
    allp, allg = [], []
    for subj in sorted(preds):
        p, g = np.concatenate(preds[subj]), np.concatenate(gts[subj])
        allp.append(p)
        allg.append(g)
        out[subj] = {"mpjpe_mm": mpjpe(p, g), "p_mpjpe_mm": p_mpjpe(p, g), "frames": len(p)}
    p, g = np.concatenate(allp), np.concatenate(allg)
    out["all"] = {"mpjpe_mm": mpjpe(p, g), "p_mpjpe_mm": p_mpjpe(p, g), "frames": len(p)}
    return out
