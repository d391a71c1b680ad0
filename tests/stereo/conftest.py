"""Synthetic calibrated rigs and point clouds for the stereo tests (honestly generated).

Tests get the helpers through the ``rig`` fixture (pytest runs with --import-mode=importlib).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from posearena.calibration import Camera

DIST = np.array([-0.38, 0.16, 0.0015, -0.001, -0.03])


def look_at(name: str, centre, target, f: float = 1200.0, size=(1920, 1080),
            dist=None, cx_off: float = 0.0) -> Camera:
    """A camera at ``centre`` (m, world Z up) looking at ``target``, OpenCV axes."""
    c = np.asarray(centre, float)
    z = np.asarray(target, float) - c
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    K = [[f, 0.0, size[0] / 2 + cx_off], [0.0, f * 1.002, size[1] / 2 - 7.0], [0, 0, 1]]
    return Camera(name, size[0], size[1], K, np.zeros(5) if dist is None else dist, R, -R @ c)


def ring(n: int = 4, radius: float = 4.0, distorted: bool = False) -> list[Camera]:
    """n cameras on a circle around the origin, 1.6 m high, looking at (0, 0, 1)."""
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        cams.append(look_at(f"cam{i + 1}", [radius * np.cos(a), radius * np.sin(a), 1.6],
                            [0.0, 0.0, 1.0], f=1100.0 + 50 * i,
                            dist=DIST * (1 + 0.1 * i) if distorted else None, cx_off=9.0 * i))
    return cams


def body_points(T: int, J: int, seed: int = 0) -> np.ndarray:
    """(T, J, 3) m: random points in a 1 m x 1 m x 1.8 m box around the origin, moving."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([-0.4, -0.4, 0.05], [0.4, 0.4, 1.8], (J, 3))
    drift = 0.1 * np.sin(np.linspace(0, 2 * np.pi, T))[:, None, None] * np.array([1, 0.5, 0.2])
    return base[None] + drift


def observe(cams: list[Camera], X: np.ndarray, noise_px: float = 0.0, seed: int = 1):
    """(C, T, J, 2) px projections (with distortion) plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    obs = np.stack([c.project(X) for c in cams])
    return obs + rng.normal(0.0, noise_px, obs.shape) if noise_px else obs


@pytest.fixture
def rig() -> SimpleNamespace:
    """The helpers above: look_at, ring, body_points, observe, DIST."""
    return SimpleNamespace(look_at=look_at, ring=ring, body_points=body_points, observe=observe,
                           DIST=DIST)
