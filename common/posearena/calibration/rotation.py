"""Rotation vector (Rodrigues, radians) <-> rotation matrix, in numpy (same as cv2.Rodrigues)."""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError


def rodrigues_to_matrix(rvec: np.ndarray) -> np.ndarray:
    """Rotation vector -> rotation matrix.

    Args:
        rvec: (3,) axis * angle in radians.

    Returns:
        (3, 3) rotation matrix.
    """
    r = np.asarray(rvec, dtype=np.float64).ravel()
    if r.shape != (3,) or not np.all(np.isfinite(r)):
        raise InvalidInputError("rotation", r.tolist(), "3 finite numbers (Rodrigues vector, rad)")
    theta = float(np.linalg.norm(r))
    if theta < 1e-12:
        return np.eye(3)
    k = r / theta
    Kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(theta) * Kx + (1.0 - np.cos(theta)) * (Kx @ Kx)


def matrix_to_rodrigues(R: np.ndarray) -> np.ndarray:
    """Rotation matrix -> rotation vector (axis * angle, angle in [0, pi], radians).

    Args:
        R: (3, 3) rotation matrix.

    Returns:
        (3,) rotation vector in radians.
    """
    R = np.asarray(R, dtype=np.float64)
    w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    sin_t = float(np.linalg.norm(w)) / 2.0
    cos_t = (float(np.trace(R)) - 1.0) / 2.0
    theta = float(np.arctan2(sin_t, cos_t))
    if sin_t > 1e-6:
        return w / (2.0 * sin_t) * theta
    if cos_t > 0:  # angle ~ 0
        return w / 2.0
    # angle ~ pi: axis from the symmetric part, sign fixed by the (tiny) antisymmetric part
    B = (R + np.eye(3)) / 2.0
    axis = np.sqrt(np.clip(np.diag(B), 0.0, None))
    i = int(np.argmax(axis))
    axis = B[i] / axis[i]
    axis /= np.linalg.norm(axis)
    if np.dot(axis, w) < 0:
        axis = -axis
    return axis * theta
