"""Options of :func:`posearena_stereo.triangulate.triangulate_views` and their checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posearena.calibration import Camera
from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton
from posearena.triangulation_presets import TriangulationPreset

SWAP_METHODS = ("sequence", "frame", "both")


@dataclass
class TriangulationOptions:
    """Options of :func:`triangulate_views`.

    Attributes:
        max_reprojection_error_px: drop views while a point's mean error exceeds this (px);
            None = never drop.
        drop_criterion: "mean" (the mean error over the views, as Pose2Sim) or "max" (the
            worst view's own error) is compared with ``max_reprojection_error_px``.
        min_views: views needed per point (>= 2); dropping never goes below it.
        refine: Gauss-Newton refinement of the reprojection error after the DLT.
        try_swap_left_right: undo left/right label swaps per view (needs ``left_right``).
        left_right: (left indices, right indices) of mirrored joints, e.g. from the skeleton.
        swap_method: "sequence" (hypotheses scored by reprojection, bone symmetry and 3D
            continuity, Viterbi over the sequence: posearena_stereo.leftright), "frame"
            (per-frame reprojection test only) or "both" (sequence, then frame).
        parents: (J,) parent joint per joint (-1 = root), for the bone-symmetry term of
            "sequence"; None = no symmetry term.
        filter_cutoff_hz: zero-phase Butterworth low-pass cutoff, Hz (0 = off; needs fps).
        max_gap_frames: fill NaN gaps up to this many frames (0 = off).
        fps: frame rate, Hz (for the filter).
        min_confidence: observations below this confidence are not used.
        passes: DLT passes (1 = plain weighted DLT, 2 = re-weighted by depth).
        threads: worker threads over blocks of frames (numpy releases the GIL); 1 = none.
    """

    max_reprojection_error_px: float | None = None
    drop_criterion: str = "mean"
    min_views: int = 2
    refine: bool = False
    try_swap_left_right: bool = False
    left_right: tuple[Sequence[int], Sequence[int]] | None = None
    swap_method: str = "sequence"
    parents: Sequence[int] | None = None
    filter_cutoff_hz: float = 0.0
    max_gap_frames: int = 0
    fps: float = 0.0
    min_confidence: float = 0.0
    passes: int = 2
    threads: int = 1


def preset_options(preset: TriangulationPreset, skeleton: str, fps: float
                   ) -> TriangulationOptions:
    """The options the stereo service applies for a named preset (in-process callers: benches,
    tests), with the skeleton's left/right pairs and parents.

    Args:
        preset: from `posearena.triangulation_presets.PRESETS`.
        skeleton: registry name of the keypoints.
        fps: frame rate (Hz) of the sequence (the low-pass needs it).
    """
    sk = get_skeleton(skeleton)
    proto = preset.options(fps)
    return TriangulationOptions(
        max_reprojection_error_px=proto.max_reprojection_error_px, drop_criterion="max",
        min_views=proto.min_views, refine=proto.refine,
        try_swap_left_right=proto.try_swap_left_right,
        left_right=(list(sk.left), list(sk.right)), parents=list(sk.parents),
        filter_cutoff_hz=proto.filter_cutoff_hz, max_gap_frames=proto.max_gap_frames,
        fps=fps, min_confidence=proto.min_confidence)


def validate(keypoints: np.ndarray, cameras: Sequence[Camera],
              confidence: np.ndarray | None, opts: TriangulationOptions
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Check the inputs; (C, T, J, 2) px as float32 or float64 and (C, T, J) confidences as
    float64 (None where none were given: all 1)."""
    kp = np.asarray(keypoints)
    if kp.dtype not in (np.float32, np.float64):  # float32 is kept: blocks compute in float64
        kp = kp.astype(np.float64)
    if kp.ndim != 4 or kp.shape[-1] != 2:
        raise InvalidInputError("keypoints", kp.shape, "shape (C, T, J, 2) in px")
    C, T, J, _ = kp.shape
    if len(cameras) != C:
        raise InvalidInputError("cameras", f"{len(cameras)} cameras", f"{C} (one per view)")
    for i, cam in enumerate(cameras):
        if not isinstance(cam, Camera):
            raise InvalidInputError(f"cameras[{i}]", type(cam).__name__, "a Camera")
    if C < 2:
        raise InvalidInputError("keypoints", f"{C} views", "at least 2 views")
    if not 2 <= opts.min_views <= C:
        raise InvalidInputError("min_views", opts.min_views, f"2 <= min_views <= {C} views")
    conf = None
    if confidence is not None:
        conf = np.asarray(confidence, dtype=np.float64)
        if conf.shape != (C, T, J):
            raise InvalidInputError("confidence", conf.shape, f"shape {(C, T, J)}")
    for c in range(C):
        if not np.isfinite(kp[c]).any():
            raise InvalidInputError(f"keypoints[{c}]", "all NaN",
                                    f"some finite px in the view of camera {cameras[c].name!r}")
    limit = opts.max_reprojection_error_px
    if limit is not None and not limit > 0:
        raise InvalidInputError("max_reprojection_error_px", limit, "a value > 0 or None")
    if opts.try_swap_left_right:
        validate_swap_options(opts, J)
    return kp, conf


def validate_swap_options(opts: TriangulationOptions, n_joints: int) -> None:
    if opts.left_right is None:
        raise InvalidInputError("left_right", None, "left/right joint pairs to try swaps")
    if opts.swap_method not in SWAP_METHODS:
        raise InvalidInputError("swap_method", opts.swap_method, f"one of {SWAP_METHODS}")
    left, right = (np.asarray(a, dtype=int) for a in opts.left_right)
    if left.shape != right.shape or left.ndim != 1:
        raise InvalidInputError("left_right", opts.left_right, "two index lists of equal length")
    if left.size and (min(left.min(), right.min()) < 0
                      or max(left.max(), right.max()) >= n_joints):
        raise InvalidInputError("left_right", opts.left_right, f"joint indices in [0, {n_joints})")
    if opts.parents is not None:
        par = np.asarray(opts.parents)
        if par.shape != (n_joints,) or ((par < -1) | (par >= n_joints)).any():
            raise InvalidInputError("parents", par.tolist(),
                                    f"{n_joints} parent indices in [-1, {n_joints})")

