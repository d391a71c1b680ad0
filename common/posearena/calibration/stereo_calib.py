"""Stereo calibration from checkerboard image pairs (OpenCV), with each pair's fate and error.

Pairs are dropped, each with its reason, when a view does not show the whole board ("board
not found"), when a view is much more blurred than that camera's other views ("blurred"), or
("outlier error") when its two views disagree with the rig the other pairs agree on
(stereo_consistency.py: an unsynchronised pair, corners ordered differently in the two views)
or it reprojects far worse than the others after the joint fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posearena.calibration.camera import Camera
from posearena.calibration.checkerboard import board_points, edge_blur_px, find_corners, to_gray
from posearena.calibration.stereo_consistency import consistency_errors
from posearena.errors import InvalidInputError

MIN_PAIRS = 3
USED, NOT_FOUND, BLURRED, OUTLIER = "used", "board not found", "blurred", "outlier error"
BLUR_FACTOR = 2.0  # blurred: edge sigma > 2x the camera's median ...
BLUR_MIN_PX = 1.5  # ... and > 1.5 px
OUTLIER_FACTOR = 3.0  # outlier: pair RMS > 3x the median pair RMS ...
OUTLIER_MIN_PX = 0.5  # ... and > 0.5 px
MAX_ROUNDS = 3  # fits: the first, then after each removal of outliers
CONSISTENCY_FACTOR = 5.0  # inconsistent pair: > 5x the median disagreement ...
CONSISTENCY_MIN_PX = 2.0  # ... and > 2 px (see stereo_consistency)

ImageLike = np.ndarray | str | Path


@dataclass
class PairResult:
    """What happened to one image pair.

    Attributes:
        index: position of the pair in the inputs (0-based).
        status: USED, NOT_FOUND, BLURRED or OUTLIER.
        detail: the reason in words ("" when used), e.g. "right view: board not found".
        corners_left, corners_right: (cols*rows, 2) detected corners, px; None where the board
            was not found in that view.
        blur_left_px, blur_right_px: edge blur sigma of each view's board, px (NaN: not found).
        error_left_px, error_right_px: RMS reprojection error of each view, px, in the final
            fit (used pairs) or the fit that rejected it (outliers); NaN otherwise.
    """

    index: int
    status: str
    detail: str = ""
    corners_left: np.ndarray | None = None
    corners_right: np.ndarray | None = None
    blur_left_px: float = float("nan")
    blur_right_px: float = float("nan")
    error_left_px: float = float("nan")
    error_right_px: float = float("nan")

    @property
    def error_px(self) -> float:
        """RMS reprojection error over both views, px."""
        return float(np.sqrt(0.5 * (self.error_left_px ** 2 + self.error_right_px ** 2)))


@dataclass
class StereoCalibration:
    """Result of :func:`calibrate_stereo`.

    Attributes:
        left: left camera, at the world origin (R = I, t = 0).
        right: right camera; its R, t map left-camera coordinates (m) to right-camera ones.
        rms_px: RMS reprojection error of the joint stereo fit over both views, px.
        rms_left_px, rms_right_px: the same over each camera's views alone, px.
        pairs: one PairResult per input pair, in input order.
        board: inner corners (cols, rows).
        square_m: square side, m.
        std_left, std_right: (4,) standard deviations of fx, fy, cx, cy (px) from each
            camera's own calibration (OpenCV's estimate from the Jacobian).
    """

    left: Camera
    right: Camera
    rms_px: float
    rms_left_px: float
    rms_right_px: float
    pairs: list[PairResult]
    board: tuple[int, int] = (9, 6)
    square_m: float = 0.0
    std_left: np.ndarray = field(default_factory=lambda: np.full(4, np.nan))
    std_right: np.ndarray = field(default_factory=lambda: np.full(4, np.nan))

    @property
    def pairs_used(self) -> list[int]:
        """Indices of the pairs the final fit used."""
        return [p.index for p in self.pairs if p.status == USED]

    @property
    def pairs_dropped(self) -> list[PairResult]:
        """The pairs left out, each with its status and detail."""
        return [p for p in self.pairs if p.status != USED]

    @property
    def baseline_m(self) -> float:
        """Distance between the two camera centres, m."""
        return float(np.linalg.norm(self.right.center - self.left.center))


def _detect(images_left: Sequence[ImageLike], images_right: Sequence[ImageLike],
            board: tuple[int, int], progress: Callable[[int, int], None] | None,
            ) -> tuple[list[PairResult], dict[str, tuple[int, int]]]:
    """Corners and blur of every view (one pair decoded at a time); image sizes (W, H) by side."""
    results, sizes = [], {}
    for i, pair in enumerate(zip(images_left, images_right, strict=True)):
        found: dict[str, tuple[np.ndarray | None, float]] = {}
        for side, image in zip(("left", "right"), pair, strict=True):
            gray = to_gray(image, f"images_{side}[{i}]")
            size = (gray.shape[1], gray.shape[0])
            if sizes.setdefault(side, size) != size:
                raise InvalidInputError(f"images_{side}[{i}]", size, f"size {sizes[side]}")
            c = find_corners(gray, board)
            found[side] = (c, edge_blur_px(gray, c, board) if c is not None else float("nan"))
        missing = [s for s in ("left", "right") if found[s][0] is None]
        status = NOT_FOUND if missing else USED
        detail = (" and ".join(missing) + f" view{'s' if len(missing) > 1 else ''}: "
                  f"board {board[0]}x{board[1]} not found") if missing else ""
        results.append(PairResult(i, status, detail, found["left"][0], found["right"][0],
                                  found["left"][1], found["right"][1]))
        if progress is not None:
            progress(i + 1, len(images_left))
    return results, sizes


def _mark_blurred(pairs: list[PairResult]) -> None:
    """Drop the pairs where a view is much more blurred than that camera's other views."""
    for side in ("left", "right"):
        blur = np.array([getattr(p, f"blur_{side}_px") for p in pairs if p.status == USED])
        if not np.any(np.isfinite(blur)):
            continue
        limit = max(BLUR_MIN_PX, BLUR_FACTOR * float(np.nanmedian(blur)))
        for p in pairs:
            b = getattr(p, f"blur_{side}_px")
            if p.status == USED and b > limit:
                p.status = BLURRED
                p.detail = (f"{side} view: edges blurred over {b:.1f} px (sigma; this camera's "
                            f"median {np.nanmedian(blur):.1f} px, limit {limit:.1f} px)")


def _mono(obj: np.ndarray, used: list[PairResult], sizes: dict[str, tuple[int, int]]) -> dict:
    """Each camera alone (cv2.calibrateCameraExtended): side -> (K, dist, std of fx fy cx cy)."""
    import cv2

    mono = {}
    for side in ("left", "right"):
        pts = [getattr(p, f"corners_{side}").astype(np.float32)[:, None] for p in used]
        _, K, d, _, _, std, _, _ = cv2.calibrateCameraExtended([obj] * len(used), pts,
                                                               sizes[side], None, None)
        mono[side] = (K, d.ravel(), std.ravel()[:4])
    return mono


def _fit(obj: np.ndarray, used: list[PairResult], sizes: dict[str, tuple[int, int]]) -> dict:
    """Each camera alone, then both jointly (cv2.stereoCalibrateExtended, intrinsics refined)."""
    import cv2

    mono = _mono(obj, used, sizes)
    pts = {s: [getattr(p, f"corners_{s}").astype(np.float32)[:, None] for p in used]
           for s in ("left", "right")}
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 200, 1e-9)
    rms, K1, d1, K2, d2, R, T, _, _, _, _, per_view = cv2.stereoCalibrateExtended(
        [obj] * len(used), pts["left"], pts["right"], mono["left"][0], mono["left"][1],
        mono["right"][0], mono["right"][1], sizes["left"], None, None,
        flags=cv2.CALIB_USE_INTRINSIC_GUESS, criteria=crit,
    )
    return {"rms": float(rms), "K1": K1, "d1": d1, "K2": K2, "d2": d2, "R": R, "T": T,
            "per_view": np.asarray(per_view, np.float64).reshape(-1, 2),
            "std_left": mono["left"][2], "std_right": mono["right"][2]}


def _mark_inconsistent(obj: np.ndarray, pairs: list[PairResult],
                       sizes: dict[str, tuple[int, int]]) -> None:
    """Drop the pairs whose two views disagree with the rig the other pairs agree on."""
    used = [p for p in pairs if p.status == USED]
    if len(used) <= MIN_PAIRS:
        return
    mono = _mono(obj, used, sizes)
    cams = [Camera(s, *sizes[s], mono[s][0], mono[s][1][:5]) for s in ("left", "right")]
    errors = consistency_errors(obj.astype(np.float64), [p.corners_left for p in used],
                                [p.corners_right for p in used], *cams)
    median = float(np.median(errors))
    limit = max(CONSISTENCY_MIN_PX, CONSISTENCY_FACTOR * median)
    bad = [(p, e) for p, e in zip(used, errors, strict=True) if e > limit]
    if len(used) - len(bad) < MIN_PAIRS:
        return
    for p, e in bad:
        p.status = OUTLIER
        p.detail = (f"the right view lies {e:.1f} px from where its left view and the rig of "
                    f"the other pairs put it (median {median:.2f} px, limit {limit:.2f} px): "
                    "unsynchronised pair, or corners ordered differently in the two views")


def _too_few(pairs: list[PairResult], board: tuple[int, int]) -> InvalidInputError:
    reasons: dict[str, int] = {}
    for p in pairs:
        if p.status != USED:
            reasons[p.status] = reasons.get(p.status, 0) + 1
    why = ", ".join(f"{n} {r}" for r, n in reasons.items()) or "no pairs"
    used = sum(p.status == USED for p in pairs)
    return InvalidInputError("images", f"{used} usable pairs of {len(pairs)} ({why})",
                             f">= {MIN_PAIRS} pairs where both views show the whole "
                             f"{board[0]}x{board[1]} board sharply")


def calibrate_stereo(
    images_left: Sequence[ImageLike],
    images_right: Sequence[ImageLike],
    board: tuple[int, int],
    square_m: float,
    names: tuple[str, str] = ("left", "right"),
    progress: Callable[[int, int], None] | None = None,
) -> StereoCalibration:
    """Calibrate a stereo pair from synchronised checkerboard images.

    Each camera is first calibrated alone (cv2.calibrateCamera, k1 k2 p1 p2 k3), then the pair
    jointly (cv2.stereoCalibrate, intrinsics refined). Pairs without the whole board in both
    views, with a blurred view (edge sigma > 2x the camera's median and > 1.5 px), whose
    views disagree with the least-median rig (> 5x the median and > 2 px), or reprojecting
    as outliers after the fit (> 3x the median pair error and > 0.5 px; refitted without
    them, at most 3 fits) are dropped and named in ``pairs``.

    Args:
        images_left, images_right: N images each (arrays (H, W) / (H, W, 3) BGR uint8, or
            paths, decoded one pair at a time); pair i was taken at the same instant.
        board: inner corners (cols, rows) of the checkerboard.
        square_m: square side, m.
        names: camera names.
        progress: called with (pairs done, pairs) after each pair's detection.

    Returns:
        StereoCalibration (left camera at the origin, right camera relative to it, errors px).

    Raises:
        InvalidInputError: different counts or image sizes, bad board or square, unreadable
            image, fewer than 3 usable pairs (the message counts each reason).
    """
    if len(images_left) != len(images_right):
        raise InvalidInputError("images_right", len(images_right),
                                f"{len(images_left)} images (as many as images_left)")
    if len(board) != 2 or min(board) < 2:
        raise InvalidInputError("board", board, "(cols, rows) inner corners, each >= 2")
    board = (int(board[0]), int(board[1]))
    if not np.isfinite(square_m) or square_m <= 0:
        raise InvalidInputError("square_m", square_m, "a positive size in m")
    pairs, sizes = _detect(images_left, images_right, board, progress)
    _mark_blurred(pairs)
    obj = board_points(board, square_m).astype(np.float32)
    _mark_inconsistent(obj, pairs, sizes)
    for round_ in range(MAX_ROUNDS):
        used = [p for p in pairs if p.status == USED]
        if len(used) < MIN_PAIRS:
            raise _too_few(pairs, board)
        fit = _fit(obj, used, sizes)
        for p, (el, er) in zip(used, fit["per_view"], strict=True):
            p.error_left_px, p.error_right_px = float(el), float(er)
        errors = np.array([p.error_px for p in used])
        median = float(np.median(errors))
        limit = max(OUTLIER_MIN_PX, OUTLIER_FACTOR * median)
        bad = [p for p in used if p.error_px > limit]
        if not bad or len(used) - len(bad) < MIN_PAIRS or round_ == MAX_ROUNDS - 1:
            break
        for p in bad:
            p.status = OUTLIER
            p.detail = (f"reprojection error {p.error_px:.2f} px (left {p.error_left_px:.2f}, "
                        f"right {p.error_right_px:.2f}; median pair {median:.2f} px, limit "
                        f"{limit:.2f} px): unsynchronised pair or a wrong corner order?")
    per_view = fit["per_view"]
    left = Camera(names[0], *sizes["left"], fit["K1"], fit["d1"].ravel()[:5], np.eye(3),
                  np.zeros(3))
    right = Camera(names[1], *sizes["right"], fit["K2"], fit["d2"].ravel()[:5], fit["R"],
                   fit["T"].ravel())
    return StereoCalibration(
        left, right, fit["rms"], float(np.sqrt(np.mean(per_view[:, 0] ** 2))),
        float(np.sqrt(np.mean(per_view[:, 1] ** 2))), pairs, board, float(square_m),
        np.asarray(fit["std_left"], np.float64), np.asarray(fit["std_right"], np.float64))
