"""Cross-view reprojection error: how well a 3D pipeline explains every calibrated camera.

Without ground truth, a 3D result in the calibration's world frame can still be checked
against what each camera saw: project its joints into every view and measure the distance to
that view's 2D detections. Views the pipeline did not use are a held-out test (a stereo pair
cam01+cam02 judged on cam03 and cam04), as in cross-view validation of multi-camera systems.

Inputs: points (T, J, 3) m in the calibration world, its skeleton, calibrated cameras and
each camera's 2D detections (T, P, J', 2) px of the same detector (person slot 0).
Output: per camera median / p90 px over the BODY12 joints and frames, whether the pipeline
used that camera, and the median over the held-out cameras.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from posearena.calibration import Camera
from posearena.npzio import Detections
from posearena.skeletons import get_skeleton
from posearena_gateway.comparison.joints import body12_pairs

MIN_CONFIDENCE = 0.3  # 2D joints below this confidence are not compared


def view_errors(points: np.ndarray, skeleton: str, camera: Camera,
                dets: Detections) -> np.ndarray:
    """Pixel distances (T, K) between the projected BODY12 joints and one view's 2D
    (NaN where either is missing or the 2D confidence is below MIN_CONFIDENCE).

    A frame whose 2D is labelled mirrored (left for right, as single-view detectors do when
    the person turns away) is measured against its mirrored labels, whichever fits better:
    the error is about geometry, label swaps are counted elsewhere.
    """
    i3, i2 = body12_pairs(skeleton, dets.skeleton)
    t = min(len(points), dets.num_frames)
    uv = camera.project(np.asarray(points[:t], np.float64)[:, i3])
    kp, conf = dets.person(0)
    kp = np.asarray(kp[:t], np.float64)
    conf = np.asarray(conf[:t], np.float64)
    errs = []
    for order in (np.arange(kp.shape[1]), get_skeleton(dets.skeleton).flip_permutation()):
        err = np.linalg.norm(uv - kp[:, order][:, i2], axis=-1)
        err[conf[:, order][:, i2] < MIN_CONFIDENCE] = np.nan
        errs.append(err)
    with warnings.catch_warnings():  # frames with no joint: NaN mean, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = [np.nanmean(e, axis=1) for e in errs]
    use_mirror = np.nan_to_num(mean[1], nan=np.inf) < np.nan_to_num(mean[0], nan=np.inf)
    return np.where(use_mirror[:, None], errs[1], errs[0])


def _stat(err: np.ndarray, q: float) -> float | None:
    v = err[np.isfinite(err)]
    return round(float(np.percentile(v, q)), 2) if v.size else None


def cross_view_reprojection(
    points: np.ndarray, skeleton: str, cameras: Sequence[Camera],
    detections: Sequence[Detections | None], used: Sequence[str],
) -> dict:
    """Reprojection error of a world-frame 3D sequence in every calibrated view.

    Args:
        points: (T, J, 3) m in the calibration's world frame.
        skeleton: registry name of the J joints.
        cameras: the calibrated cameras.
        detections: each camera's 2D (same order; None where not available).
        used: names of the cameras the pipeline triangulated from.

    Returns:
        {"views": {camera: {"median_px", "p90_px", "points", "used"}}, "held_out_median_px":
        median over the unused views' joints (None when every view was used or none has 2D),
        "used_median_px": the same over the used views}.
    """
    views, held, fitted = {}, [], []
    for cam, dets in zip(cameras, detections, strict=True):
        if dets is None:
            continue
        err = view_errors(points, skeleton, cam, dets)
        is_used = cam.name in used
        (fitted if is_used else held).append(err.ravel())
        views[cam.name] = {"median_px": _stat(err, 50), "p90_px": _stat(err, 90),
                           "points": int(np.isfinite(err).sum()), "used": is_used}
    return {"views": views,
            "held_out_median_px": _stat(np.concatenate(held), 50) if held else None,
            "used_median_px": _stat(np.concatenate(fitted), 50) if fitted else None}
