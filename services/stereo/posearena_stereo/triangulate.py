"""Multi-view triangulation of keypoint sequences: the service's numerical entry point."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from posearena.calibration import Camera, normalize_views
from posearena.cancellation import check_abandoned
from posearena_stereo.dlt import triangulate_planar
from posearena_stereo.filtering import butterworth_lowpass, interpolate_gaps
from posearena_stereo.flags import (
    INTERPOLATED,
    LEFT_RIGHT_SWAPPED,
    NOT_ENOUGH_VIEWS,
    VIEW_DROPPED,
)
from posearena_stereo.leftright import Unswapped, resolve_left_right
from posearena_stereo.options import SWAP_METHODS, TriangulationOptions, validate
from posearena_stereo.refine import refine_points
from posearena_stereo.reprojection import error_summary, mean_error, planar_errors, view_errors
from posearena_stereo.robust import ViewSet, drop_worst_views, swap_left_right

__all__ = ["CHUNK_POINTS", "SWAP_METHODS", "TriangulationOptions", "TriangulationResult",
           "triangulate_views"]

# Points per block: each block is a few hundred numpy calls, and the Python between them holds
# the GIL, so on two threads blocks of 8,192 points spent ~40 % more CPU than on one. On the
# 40,000-frame bench (4 views, 2 threads, quiet 2-core machine, 6 interleaved runs, median
# wall): 8,192 -> 0.46 s, 16,384 -> 0.40 s, 24,576 -> 0.36 s, 32,768 -> 0.37 s, 65,536 -> 0.40 s.
CHUNK_POINTS = 24576
_R = TypeVar("_R")


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


@dataclass
class _Sequence:
    """Flattened per-point arrays of the whole sequence (N = T × J), filled block by block.

    xn (C, N, 2) undistorted normalised observations, w (C, N) weights (0 = unused), and the
    plain weighted DLT of every point with at least 2 views: X (N, 3) m, the mean and the worst
    view's reprojection error (N,) px (inf where X is NaN but a view is used).
    """

    xn: np.ndarray
    w: np.ndarray
    X: np.ndarray
    mean: np.ndarray
    worst: np.ndarray


def _observe(seq: _Sequence, sl: slice, kp: np.ndarray, conf: np.ndarray | None,
             cameras: Sequence[Camera], views: ViewSet, opts: TriangulationOptions) -> None:
    """Undistort the (C, n, 2) px ``kp`` of points ``sl``, set their weights from the (C, n)
    confidences ``conf`` (None: all 1) and solve them (:func:`_solve_plain`)."""
    u, v = normalize_views(cameras, kp)
    if conf is None:  # every confidence 1
        w = (np.isfinite(u + v) & (opts.min_confidence <= 1.0)).astype(np.float64)
    else:
        ok = np.isfinite(u + v + conf) & (conf > 0)
        if opts.min_confidence > 0:
            ok &= conf >= opts.min_confidence
        w = np.where(ok, conf, 0.0)
    seq.xn[:, sl, 0] = u
    seq.xn[:, sl, 1] = v
    seq.w[:, sl] = w
    _solve_plain(seq, sl, views, u, v, w)


def _solve_plain(seq: _Sequence, sl: slice | np.ndarray, views: ViewSet,
                 u: np.ndarray | None = None, v: np.ndarray | None = None,
                 w: np.ndarray | None = None) -> None:
    """Plain weighted DLT (``views.passes`` passes) of points ``sl`` and their errors, from
    their observations u, v and weights w (C, n) when given (else read from seq)."""
    if u is None or v is None or w is None:
        u, v, w = seq.xn[:, sl, 0], seq.xn[:, sl, 1], seq.w[:, sl]
    Xt, _ = triangulate_planar(u, v, w, views.extrinsics, views.focal, views.passes, 2)
    used = w > 0
    seq.X[sl] = Xt.T
    seq.mean[sl], seq.worst[sl] = error_summary(
        planar_errors(Xt, u, v, views.extrinsics, views.fxy, used), used)


def _triangulate_block(seq: _Sequence, sl: slice, views: ViewSet, J: int,
                       opts: TriangulationOptions) -> tuple[np.ndarray, ...]:
    """Views dropped, refinement and errors of points ``sl`` (whole frames) from their plain
    solution; flattened per-point outputs X, err, views used, flags, swapped (or None)."""
    xn, w = seq.xn[:, sl], seq.w[:, sl]
    X, mean, worst = seq.X[sl], seq.mean[sl], seq.worst[sl]
    N = X.shape[0]
    flags = np.zeros(N, np.uint8)
    block = ViewSet(xn, views.extrinsics, views.fxy, opts.passes)
    swapped = None
    if opts.try_swap_left_right and opts.swap_method != "sequence":
        left, right = opts.left_right  # type: ignore[misc]
        xn, w, swapped = swap_left_right(block, w, J, left, right)
        block = ViewSet(xn, views.extrinsics, views.fxy, opts.passes)
        flags[swapped.any(axis=0).reshape(N)] |= LEFT_RIGHT_SWAPPED
        X, mean = block.solve(w)
        worst = block.solve(w, reduce="max")[1]
    if opts.min_views > 2:  # the plain solution used 2: apply the stricter minimum
        few = (w > 0).sum(axis=0) < opts.min_views
        X = np.where(few[:, None], np.nan, X)
        lost = np.where((w > 0).any(axis=0), np.inf, np.nan)
        mean, worst = np.where(few, lost, mean), np.where(few, lost, worst)
    err = mean
    if opts.max_reprojection_error_px is not None:
        crit = worst if opts.drop_criterion == "max" else mean
        w, X, _, dropped = drop_worst_views(block, w, X, crit, opts.max_reprojection_error_px,
                                            opts.min_views, opts.drop_criterion)
        flags[dropped] |= VIEW_DROPPED
    if opts.refine:
        X = refine_points(X, xn, views.extrinsics, views.fxy, w)
    used = w > 0
    if opts.refine or opts.max_reprojection_error_px is not None:
        err = mean_error(view_errors(X, xn, views.extrinsics, views.fxy, used), used)
    ok = np.isfinite(X[:, 0])  # a point is finite or NaN as a whole
    flags[~ok] |= NOT_ENOUGH_VIEWS
    views_used = np.where(ok, used.sum(axis=0), 0)
    err = np.where(ok & np.isfinite(err), err, np.nan)
    return X, err, views_used, flags, swapped


def _for_blocks(T: int, J: int, threads: int, work: Callable[[int, int], None],
                side: Callable[[], _R] | None = None) -> _R | None:
    """work(t0, t1) over blocks of ~CHUNK_POINTS points (every step is per point), on
    ``threads`` threads (numpy releases the GIL); a cancelled call or a passed deadline
    stops between blocks.

    ``side()``, when given, runs beside the blocks on the same threads (started first, so
    that a long single-threaded task overlaps them); its result is returned (else None).
    """
    step = max(1, CHUNK_POINTS // J)
    starts = range(0, T, step)

    def run_checked(t0: int) -> None:
        check_abandoned()
        work(t0, min(T, t0 + step))

    if threads > 1 and (len(starts) > 1 or side is not None):
        ctx = contextvars.copy_context()  # the call's cancellation check, in every thread
        with ThreadPoolExecutor(threads) as pool:
            beside = None if side is None else pool.submit(lambda: ctx.copy().run(side))
            list(pool.map(lambda t0: ctx.copy().run(run_checked, t0), starts))
            return None if beside is None else beside.result()
    result = None if side is None else side()
    for t0 in starts:
        run_checked(t0)
    return result


def _decide_swaps(seq: _Sequence, views: ViewSet, T: int, J: int,
                  opts: TriangulationOptions) -> np.ndarray:
    """Whole-sequence left/right decision from the plain solution in seq (read only, so it
    can run beside the blocks); returns swapped (C, T, J) bool."""
    left, right = opts.left_right  # type: ignore[misc]
    plain = Unswapped(seq.X.reshape(T, J, 3), seq.mean.reshape(T, J), seq.worst.reshape(T, J))
    return resolve_left_right(views, seq.w, J, left, right, opts.parents, unswapped=plain)


def _apply_swaps(seq: _Sequence, views: ViewSet, swapped: np.ndarray, J: int,
                 opts: TriangulationOptions) -> np.ndarray:
    """Exchange the observations ``swapped`` (C, T, J) in seq and solve their frames again
    (plain solution); returns the (F,) indices of the frames concerned."""
    left, right = opts.left_right  # type: ignore[misc]
    C, T = swapped.shape[:2]
    frames = np.flatnonzero(swapped.any(axis=(0, 2)))
    if frames.size:
        xn = seq.xn.reshape(C, T, J, 2)
        w = seq.w.reshape(C, T, J)
        for lj, rj in zip(left, right, strict=True):
            m = swapped[:, frames, lj]  # (C, f): exchange observation lj <-> rj there
            for arr in (xn, w):
                a, b = arr[:, frames, lj].copy(), arr[:, frames, rj].copy()
                arr[:, frames, lj] = np.where(m[..., None] if arr.ndim == 4 else m, b, a)
                arr[:, frames, rj] = np.where(m[..., None] if arr.ndim == 4 else m, a, b)
        _solve_plain(seq, _frame_points(frames, J), views)
    return frames


def _frame_points(frames: np.ndarray, J: int) -> np.ndarray:
    """(F × J,) flattened point indices of the whole ``frames`` (F,)."""
    return (frames[:, None] * J + np.arange(J)[None]).ravel()


def triangulate_views(
    keypoints: np.ndarray,
    cameras: Sequence[Camera],
    confidence: np.ndarray | None = None,
    options: TriangulationOptions | None = None,
) -> TriangulationResult:
    """Triangulate synchronised 2D keypoint sequences from calibrated cameras.

    Steps: undistort and plain confidence-weighted DLT with a depth re-weighting pass →
    (optional) left/right swaps per view (by default decided over the whole sequence:
    :func:`posearena_stereo.leftright.resolve_left_right`, which reuses the plain solution)
    → (optional) drop the worst view while the error exceeds the threshold → (optional)
    Gauss-Newton refinement → (optional) gap filling and low-pass.

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
    kp, conf = validate(keypoints, cameras, confidence, opts)
    C, T, J, _ = kp.shape
    N = T * J
    extr = np.stack([cam.extrinsic_matrix for cam in cameras])
    fxy = np.array([[cam.K[0, 0], cam.K[1, 1]] for cam in cameras])
    seq = _Sequence(np.empty((C, N, 2)), np.empty((C, N)), np.empty((N, 3)), np.empty(N),
                    np.empty(N))
    views = ViewSet(seq.xn, extr, fxy, opts.passes)

    def observe(t0: int, t1: int) -> None:
        _observe(seq, slice(t0 * J, t1 * J), kp[:, t0:t1].reshape(C, -1, 2),
                 None if conf is None else conf[:, t0:t1].reshape(C, -1), cameras, views, opts)

    _for_blocks(T, J, opts.threads, observe)
    by_sequence = opts.try_swap_left_right and opts.swap_method != "frame"
    X = np.empty((N, 3))
    err = np.empty(N)
    views_used = np.empty(N, np.int32)
    flags = np.zeros(N, np.uint8)
    by_frame = np.zeros((C, T, J), bool) if opts.try_swap_left_right else None

    def finish(sl: slice | np.ndarray) -> None:
        """Outputs of the points ``sl`` (whole frames) from the current seq."""
        X[sl], err[sl], views_used[sl], flags[sl], sw = _triangulate_block(
            seq, sl, views, J, opts)
        if by_frame is not None and sw is not None:
            by_frame.reshape(C, N)[:, sl] = sw.reshape(C, -1)

    # The sequence's swap decision only reads seq: it runs beside the blocks, which are
    # then finished again where it exchanges labels (their frames only: every step is per
    # point).
    swapped = _for_blocks(T, J, opts.threads, lambda t0, t1: finish(slice(t0 * J, t1 * J)),
                          side=(lambda: _decide_swaps(seq, views, T, J, opts))
                          if by_sequence else None)
    if swapped is not None:
        frames = _apply_swaps(seq, views, swapped, J, opts)
        if frames.size:
            finish(_frame_points(frames, J))
    if by_frame is not None:  # both stages combined: exchanged an odd number of times
        swapped = by_frame if swapped is None else swapped ^ by_frame
        flags &= np.uint8(~LEFT_RIGHT_SWAPPED & 0xFF)
        flags[swapped.any(axis=0).reshape(N)] |= LEFT_RIGHT_SWAPPED
    points = X.reshape(T, J, 3)
    if opts.max_gap_frames > 0 and np.isnan(X[:, 0]).any():  # else no gap to fill
        points, filled = interpolate_gaps(points, opts.max_gap_frames)
        flags[filled.reshape(N)] |= INTERPOLATED
    if opts.filter_cutoff_hz > 0:
        points = butterworth_lowpass(points, opts.filter_cutoff_hz, opts.fps)
    return TriangulationResult(points, err.reshape(T, J).astype(np.float32),
                               views_used.reshape(T, J), flags.reshape(T, J), swapped)
