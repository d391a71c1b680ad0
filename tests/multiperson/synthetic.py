"""Honestly generated 2D people for tracker tests: a 17-joint stick figure walking in px."""

from __future__ import annotations

import numpy as np

# (x, y) of 17 joints for a 1-unit-tall person, hip centre at (0, 0), y down (COCO order).
FIGURE = np.array(
    [
        [0.0, -0.45],
        [0.02, -0.47],
        [-0.02, -0.47],
        [0.05, -0.46],
        [-0.05, -0.46],
        [0.1, -0.33],
        [-0.1, -0.33],
        [0.14, -0.15],
        [-0.14, -0.15],
        [0.15, 0.0],
        [-0.15, 0.0],
        [0.07, 0.0],
        [-0.07, 0.0],
        [0.08, 0.25],
        [-0.08, 0.25],
        [0.08, 0.5],
        [-0.08, 0.5],
    ]
)


def person(hip_x: float, hip_y: float, height: float, phase: float = 0.0) -> np.ndarray:
    """(17, 2) px keypoints of a figure `height` px tall, legs swinging with `phase` rad."""
    kp = FIGURE * height
    swing = 0.06 * height * np.sin(phase)
    kp[[13, 15], 0] += swing
    kp[[14, 16], 0] -= swing
    return kp + np.array([hip_x, hip_y])


def frames_from(
    tracks: list[np.ndarray], rng: np.random.Generator, noise_px: float = 1.5
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-frame detection lists from ground-truth tracks, in a shuffled order.

    Args:
        tracks: per person, (T, 17, 2) px, NaN rows where the person is not detected.
        rng: random generator (noise and order).
        noise_px: Gaussian keypoint noise (px).

    Returns:
        (keypoints per frame (N_t, 17, 2), true person index per detection (N_t,)).
    """
    T = tracks[0].shape[0]
    kps, truth = [], []
    for t in range(T):
        here = [p for p, tr in enumerate(tracks) if np.isfinite(tr[t]).all()]
        order = rng.permutation(len(here))
        here = [here[i] for i in order]
        kp = np.array([tracks[p][t] for p in here]).reshape(-1, 17, 2)
        kps.append(kp + rng.normal(0, noise_px, kp.shape))
        truth.append(np.array(here, dtype=int))
    return kps, truth
