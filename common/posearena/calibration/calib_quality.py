"""How good a stereo calibration is, and what to re-shoot: coverage, tilt, scale, advice.

Works on a :class:`StereoCalibration`; numbers only (the picture is `coverage_plot.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posearena.calibration.stereo_calib import BLURRED, NOT_FOUND, OUTLIER, USED, StereoCalibration

SQUARE_MIN_M, SQUARE_MAX_M = 0.005, 0.2
BASELINE_MAX_M = 5.0
GRID = (3, 3)  # coverage regions (cols, rows)
REGION_NAMES = (("top-left", "top", "top-right"), ("left", "centre", "right"),
                ("bottom-left", "bottom", "bottom-right"))
COVERAGE_RASTER = 8  # px per cell of the area raster
MIN_AREA = 0.5  # advise when the boards cover less of an image
MIN_TILT_DEG = 20.0  # advise when no board is tilted more than this
FOCAL_STD_MAX = 0.005  # advise when sigma(fx) / fx exceeds this
GOOD_PAIRS = 10
HIGH_RMS_PX = 1.0
WORST_FACTOR = 2.0  # name used pairs whose error exceeds 2x the median


@dataclass
class Coverage:
    """Where one camera's used boards fell.

    Attributes:
        area: fraction of the image inside at least one board's outer corners, 0..1.
        counts: (3, 3) corners in each region (rows top to bottom, cols left to right).
        empty: names of the regions without a corner, e.g. ["top-left", "bottom"].
    """

    area: float
    counts: np.ndarray
    empty: list[str]


def _outline(corners: np.ndarray, board: tuple[int, int]) -> np.ndarray:
    """(4, 2) px, the outer inner-corners of one view in drawing order."""
    g = corners.reshape(board[1], board[0], 2)
    return np.array([g[0, 0], g[0, -1], g[-1, -1], g[-1, 0]])


def coverage(cal: StereoCalibration, side: str) -> Coverage:
    """Coverage of the `side` ("left" / "right") image by the boards of the used pairs."""
    import cv2

    cam = cal.left if side == "left" else cal.right
    views = [getattr(p, f"corners_{side}") for p in cal.pairs if p.status == USED]
    h, w = (max(1, -(-cam.height // COVERAGE_RASTER)), max(1, -(-cam.width // COVERAGE_RASTER)))
    mask = np.zeros((h, w), np.uint8)
    counts = np.zeros((GRID[1], GRID[0]), int)
    for c in views:
        quad = np.round(_outline(c, cal.board) / COVERAGE_RASTER).astype(np.int32)
        cv2.fillConvexPoly(mask, quad, 1)
        col = np.clip((c[:, 0] / cam.width * GRID[0]).astype(int), 0, GRID[0] - 1)
        row = np.clip((c[:, 1] / cam.height * GRID[1]).astype(int), 0, GRID[1] - 1)
        np.add.at(counts, (row, col), 1)
    empty = [REGION_NAMES[r][c] for r in range(GRID[1]) for c in range(GRID[0])
             if counts[r, c] == 0]
    return Coverage(float(mask.mean()), counts, empty)


def board_tilts_deg(cal: StereoCalibration, side: str = "left") -> np.ndarray:
    """(N_used,) angle between each used board's normal and the camera's optical axis, deg."""
    import cv2

    from posearena.calibration.checkerboard import board_points

    cam = cal.left if side == "left" else cal.right
    obj = board_points(cal.board, cal.square_m)
    tilts = []
    for p in cal.pairs:
        if p.status != USED:
            continue
        ok, rvec, _ = cv2.solvePnP(obj, getattr(p, f"corners_{side}"), cam.K, cam.dist)
        R, _ = cv2.Rodrigues(rvec)
        tilts.append(np.degrees(np.arccos(min(1.0, abs(float(R[2, 2]))))) if ok else np.nan)
    return np.array(tilts, np.float64)


def scale_warnings(square_m: float, baseline_m: float | None = None) -> list[str]:
    """Warnings for an implausible square size (m) or baseline (m); [] when plausible."""
    out = []
    if square_m > SQUARE_MAX_M or square_m < SQUARE_MIN_M:
        mm = square_m * 1000.0
        out.append(f"square size {square_m:g} m ({mm:g} mm) is implausible for a checkerboard "
                   f"(expected {SQUARE_MIN_M * 1000:g} mm .. {SQUARE_MAX_M:g} m): a bare "
                   f"number is metres; give the unit, e.g. --square 25mm")
    if baseline_m is not None and baseline_m > BASELINE_MAX_M:
        out.append(f"baseline {baseline_m:.2f} m between the cameras is implausible "
                   f"(> {BASELINE_MAX_M:g} m): every distance scales with --square "
                   f"({square_m:g} m); check its unit")
    return out


def _dropped_advice(cal: StereoCalibration, label) -> list[str]:
    why = {NOT_FOUND: "keep the whole board, with its white border, inside both views",
           BLURRED: "hold the board still, add light or shorten the exposure",
           OUTLIER: "check that the cameras are synchronised and the board is flat and rigid"}
    out = []
    for status, fix in why.items():
        pairs = [label(p.index) for p in cal.pairs if p.status == status]
        if pairs:
            out.append(f"re-shoot {len(pairs)} pair(s) dropped as {status} "
                       f"({', '.join(pairs)}): {fix}")
    return out


def advice(cal: StereoCalibration, label=lambda i: f"pair {i}") -> list[str]:
    """What to re-shoot, in words (one line each); ["no re-shoot needed ..."] when fine.

    Args:
        cal: the calibration.
        label: pair index -> how to name the pair (e.g. its file names).
    """
    out = _dropped_advice(cal, label)
    used = [p for p in cal.pairs if p.status == USED]
    if len(used) < GOOD_PAIRS:
        out.append(f"only {len(used)} pairs used: shoot {GOOD_PAIRS}-20 pairs for a stable fit")
    for side, cam, std in (("left", cal.left, cal.std_left), ("right", cal.right, cal.std_right)):
        cov = coverage(cal, side)
        if cov.empty:
            out.append(f"{side} camera: no corner in the {', '.join(cov.empty)} of the image: "
                       "add pairs with the board there (whole board in both views)")
        if cov.area < MIN_AREA:
            out.append(f"{side} camera: the boards cover {100 * cov.area:.0f} % of the image; "
                       "lens distortion is extrapolated elsewhere: bring the board nearer to "
                       "the image edges and corners")
        rel = float(std[0]) / cam.K[0, 0] if np.isfinite(std[0]) else 0.0
        if rel > FOCAL_STD_MAX:
            out.append(f"{side} camera: focal length uncertain (+-{std[0]:.1f} px, "
                       f"{100 * rel:.1f} %): add pairs with the board tilted 30-45 deg")
    tilts = board_tilts_deg(cal, "left")
    if tilts.size and np.nanmax(tilts) < MIN_TILT_DEG:
        out.append(f"every board faces the cameras (tilt <= {np.nanmax(tilts):.0f} deg): add "
                   "pairs with the board tilted 30-45 deg left/right and up/down")
    errors = np.array([p.error_px for p in used])
    if errors.size:
        median = float(np.median(errors))
        worst = [f"{label(p.index)} ({p.error_px:.2f} px)" for p in used
                 if p.error_px > max(WORST_FACTOR * median, 0.2)]
        if worst:
            out.append(f"worst pairs kept (> {WORST_FACTOR:g}x the median {median:.2f} px): "
                       f"{', '.join(worst)}: re-shoot them if the RMS matters")
    if cal.rms_px > HIGH_RMS_PX:
        out.append(f"RMS {cal.rms_px:.2f} px is high (a good rig reaches < 0.5 px): check the "
                   "board is flat, the square size, focus and synchronisation")
    return out or ["no re-shoot needed: every pair used, image covered, errors even"]
