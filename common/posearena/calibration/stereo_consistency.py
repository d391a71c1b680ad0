"""Which image pairs disagree with the rig the other pairs agree on (least median of squares).

A pair taken while the board moved between the two exposures (unsynchronised cameras), or
with the corners ordered differently in its two views, is consistent in each camera alone but
not as a pair; fitted with the others it spreads its error over every pair. Here each pair
proposes the rig (right pose relative to left, from the board pose seen by each camera alone);
the proposal with the least median error over all pairs is kept, and each pair is scored by
how far its right-view corners fall from where that rig puts them.
"""

from __future__ import annotations

import numpy as np

from posearena.calibration.camera import Camera


def _pose(obj: np.ndarray, corners: np.ndarray, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Board -> camera rotation (3, 3) and translation (3,) m from one view (cv2.solvePnP)."""
    import cv2

    _, rvec, tvec = cv2.solvePnP(obj, corners, cam.K, cam.dist)
    return cv2.Rodrigues(rvec)[0], tvec.ravel()


def consistency_errors(obj: np.ndarray, corners_left: list[np.ndarray],
                       corners_right: list[np.ndarray], left: Camera, right: Camera,
                       ) -> np.ndarray:
    """Each pair's disagreement with the least-median rig, px.

    Args:
        obj: (M, 3) board points, m.
        corners_left, corners_right: N arrays (M, 2) of detected corners, px.
        left, right: each camera's own calibration (intrinsics and distortion; poses unused).

    Returns:
        (N,) RMS distance (px) between each pair's right-view corners and their prediction
        from its left view through the rig that minimises the median of these distances.
    """
    left_pts, rel = [], []
    for cl, cr in zip(corners_left, corners_right, strict=True):
        Rl, tl = _pose(obj, cl, left)
        Rr, tr = _pose(obj, cr, right)
        left_pts.append(obj @ Rl.T + tl)  # (M, 3) board in the left camera frame
        Rc = Rr @ Rl.T
        rel.append((Rc, tr - Rc @ tl))
    X = np.stack(left_pts)  # (N, M, 3)
    seen = np.stack(corners_right).astype(np.float64)  # (N, M, 2)
    ideal = Camera("right", right.width, right.height, right.K, right.dist)
    best, best_median = None, np.inf
    for Rc, Tc in rel:
        err = np.sqrt(np.mean(np.sum((ideal.project(X @ Rc.T + Tc) - seen) ** 2, -1), -1))
        median = float(np.nanmedian(err))
        if median < best_median:
            best, best_median = err, median
    return np.nan_to_num(best, nan=np.inf)
