"""Multi-view triangulation of keypoint sequences: the service's numerical entry point."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from posearena.calibration import Camera
from posearena.cancellation import check_abandoned
from posearena.errors import InvalidInputError
from posearena_stereo.filtering import butterworth_lowpass, interpolate_gaps
from posearena_stereo.flags import (
    INTERPOLATED,
    LEFT_RIGHT_SWAPPED,
    NOT_ENOUGH_VIEWS,
    VIEW_DROPPED,
)
from posearena_stereo.leftright import resolve_left_right
from posearena_stereo.refine import refine_points
from posearena_stereo.reprojection import mean_error, view_errors
from posearena_stereo.robust import ViewSet, apply_swaps, drop_worst_views, swap_left_right


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


@dataclass
class TriangulationResult:
    """Output of :func:`triangulate_views`.

    Attributes:
        points_3d: (T, J, 3) world coordinates, m; NaN where not triangulated.
        reprojection_error: (T, J) mean reprojection error over the views used, px.
        views_used: (T, J) int32, views kept for each point.
        flags: (T, J) uint8 bit flags (see posearena_stereo.flags).
        swapped: (C, T, J) bool, observations whose left/right labels were exchanged.
    """

    points_3d: np.ndarray
    reprojection_error: np.ndarray
    views_used: np.ndarray
    flags: np.ndarray
    swapped: np.ndarray | None = field(default=None, repr=False)


def _validate(keypoints: np.ndarray, cameras: Sequence[Camera],
              confidence: np.ndarray | None, opts: TriangulationOptions
              ) -> tuple[np.ndarray, np.ndarray]:
    kp = np.asarray(keypoints, dtype=np.float64)
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
    if confidence is None:
        conf = np.ones((C, T, J))
    else:
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
        _validate_swap_options(opts, J)
    return kp, conf


def _validate_swap_options(opts: TriangulationOptions, n_joints: int) -> None:
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


SWAP_METHODS = ("sequence", "frame", "both")


CHUNK_POINTS = 8192


def _view_set(kp: np.ndarray, conf: np.ndarray, cameras: Sequence[Camera],
              opts: TriangulationOptions) -> tuple[ViewSet, np.ndarray]:
    """Undistorted observations of (C, t, J, 2) px and their (C, t·J) weights (0 = unused)."""
    C, T, J, _ = kp.shape
    N = T * J
    xn = np.stack([cam.normalize_points(kp[c].reshape(N, 2)) for c, cam in enumerate(cameras)])
    w = conf.reshape(C, N)
    w = np.where(np.isfinite(w) & (w >= opts.min_confidence) & np.isfinite(xn).all(-1)
                 & (w > 0), w, 0.0)
    extr = np.stack([cam.extrinsic_matrix for cam in cameras])
    fxy = np.array([[cam.K[0, 0], cam.K[1, 1]] for cam in cameras])
    return ViewSet(xn, extr, fxy, opts.passes), w


def _triangulate_block(kp: np.ndarray, conf: np.ndarray, cameras: Sequence[Camera],
                       opts: TriangulationOptions) -> tuple[np.ndarray, ...]:
    """Steps 1-5 of :func:`triangulate_views` on (C, t, J, 2) px; flattened per-point outputs."""
    _, T, J, _ = kp.shape
    N = T * J
    views, w = _view_set(kp, conf, cameras, opts)
    xn, extr, fxy = views.xn, views.extrinsics, views.fxy
    flags = np.zeros(N, np.uint8)
    swapped = None
    if opts.try_swap_left_right and opts.swap_method != "sequence":
        left, right = opts.left_right  # type: ignore[misc]
        xn, w, swapped = swap_left_right(views, w, J, left, right)
        views = ViewSet(xn, extr, fxy, opts.passes)
        flags[swapped.any(axis=0).reshape(N)] |= LEFT_RIGHT_SWAPPED
    if opts.max_reprojection_error_px is not None:
        X, crit_err = views.solve(w, min_views=opts.min_views, reduce=opts.drop_criterion)
        w, X, _, dropped = drop_worst_views(views, w, X, crit_err, opts.max_reprojection_error_px,
                                            opts.min_views, opts.drop_criterion)
        flags[dropped] |= VIEW_DROPPED
        used = w > 0
        err = mean_error(view_errors(X, xn, extr, fxy, used), used)
    else:
        X, err = views.solve(w, min_views=opts.min_views)
    if opts.refine:
        X = refine_points(X, xn, extr, fxy, w)
        used = w > 0
        err = mean_error(view_errors(X, xn, extr, fxy, used), used)
    ok = np.isfinite(X).all(axis=1)
    flags[~ok] |= NOT_ENOUGH_VIEWS
    views_used = np.where(ok, (w > 0).sum(axis=0), 0)
    err = np.where(ok & np.isfinite(err), err, np.nan)
    return X, err, views_used, flags, swapped


def triangulate_views(
    keypoints: np.ndarray,
    cameras: Sequence[Camera],
    confidence: np.ndarray | None = None,
    options: TriangulationOptions | None = None,
) -> TriangulationResult:
    """Triangulate synchronised 2D keypoint sequences from calibrated cameras.

    Steps: undistort → (optional) left/right swaps per view (by default decided over the
    whole sequence: :func:`posearena_stereo.leftright.resolve_left_right`) → confidence-
    weighted DLT with a depth re-weighting pass → (optional) drop the worst view while the
    error exceeds the threshold → (optional) Gauss-Newton refinement → (optional) gap
    filling and low-pass.

    Args:
        keypoints: (C, T, J, 2) px per view (NaN = not detected), view c seen by cameras[c].
        cameras: C calibrated cameras (world frame of the calibration, m).
        confidence: (C, T, J) in [0, 1] or None (all 1); used as weights.
        options: TriangulationOptions (defaults: plain weighted DLT, no dropping).

    Returns:
        TriangulationResult with points_3d (T, J, 3) m, reprojection_error (T, J) px,
        views_used (T, J), flags (T, J) uint8, swapped (C, T, J) bool (with swaps).

    Raises:
        InvalidInputError: wrong shapes, camera count not matching the views, a view with
            only NaN, invalid options.
    """
    opts = options or TriangulationOptions()
    kp, conf = _validate(keypoints, cameras, confidence, opts)
    C, T, J, _ = kp.shape
    N = T * J
    X = np.empty((N, 3))
    err = np.empty(N)
    views_used = np.empty(N, np.int32)
    flags = np.zeros(N, np.uint8)
    swapped = np.zeros((C, T, J), bool) if opts.try_swap_left_right else None
    if swapped is not None and opts.swap_method != "frame":
        # whole-sequence decision first (needs every frame), applied to the inputs
        left, right = opts.left_right  # type: ignore[misc]
        views, w = _view_set(kp, conf, cameras, opts)
        swapped = resolve_left_right(views, w, J, left, right, opts.parents)
        kp = apply_swaps(kp, swapped, left, right)
        conf = apply_swaps(conf[..., None], swapped, left, right)[..., 0]
    # frames in blocks of ~CHUNK_POINTS points: every step is per point (swaps per frame),
    # and small blocks keep numpy's temporaries in the CPU cache
    step = max(1, CHUNK_POINTS // J)

    def run(t0: int) -> None:
        t1 = min(T, t0 + step)
        sl = slice(t0 * J, t1 * J)
        X[sl], err[sl], views_used[sl], block_flags, sw = _triangulate_block(
            kp[:, t0:t1], conf[:, t0:t1], cameras, opts)
        flags[sl] |= block_flags
        if swapped is not None and sw is not None:
            swapped[:, t0:t1] ^= sw

    def run_checked(t0: int) -> None:
        check_abandoned()  # a cancelled call or a passed deadline stops between blocks
        run(t0)

    starts = range(0, T, step)
    if opts.threads > 1 and len(starts) > 1:  # numpy releases the GIL: blocks run in parallel
        ctx = contextvars.copy_context()  # the call's cancellation check, in every thread
        with ThreadPoolExecutor(opts.threads) as pool:
            list(pool.map(lambda t0: ctx.copy().run(run_checked, t0), starts))
    else:
        for t0 in starts:
            run_checked(t0)
    if swapped is not None:  # both stages combined: exchanged an odd number of times
        flags &= np.uint8(~LEFT_RIGHT_SWAPPED & 0xFF)
        flags[swapped.any(axis=0).reshape(N)] |= LEFT_RIGHT_SWAPPED
    points = X.reshape(T, J, 3)
    if opts.max_gap_frames > 0:
        points, filled = interpolate_gaps(points, opts.max_gap_frames)
        flags[filled.reshape(N)] |= INTERPOLATED
    if opts.filter_cutoff_hz > 0:
        points = butterworth_lowpass(points, opts.filter_cutoff_hz, opts.fps)
    return TriangulationResult(points, err.reshape(T, J).astype(np.float32),
                               views_used.reshape(T, J), flags.reshape(T, J), swapped)
