"""A picture of where the checkerboard corners fell in each camera of a stereo calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.calibration.calib_quality import GRID, coverage
from posearena.calibration.stereo_calib import USED, StereoCalibration
from posearena.errors import InvalidInputError

PANEL_WIDTH = 640  # px per camera panel
_BG = (40, 40, 40)
_DROPPED = (60, 60, 230)  # BGR red


def _colour(k: int, n: int) -> tuple[int, int, int]:
    """A distinct BGR colour for pair k of n (hue wheel)."""
    import cv2

    hsv = np.uint8([[[15 + int(150 * k / max(n, 1)), 200, 255]]])  # no red: that is dropped
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def _panel(cal: StereoCalibration, side: str) -> np.ndarray:
    """(h, PANEL_WIDTH, 3) uint8: boards of used pairs filled, corners dotted, dropped in red."""
    import cv2

    cam = cal.left if side == "left" else cal.right
    s = PANEL_WIDTH / cam.width
    h = max(1, round(cam.height * s))
    img = np.full((h, PANEL_WIDTH, 3), _BG, np.uint8)
    fill = img.copy()
    cols, rows = cal.board
    n = len(cal.pairs)
    for p in cal.pairs:
        c = getattr(p, f"corners_{side}")
        if c is None:
            continue
        g = c.reshape(rows, cols, 2) * s
        quad = np.round(np.array([g[0, 0], g[0, -1], g[-1, -1], g[-1, 0]])).astype(np.int32)
        colour = _colour(p.index, n) if p.status == USED else _DROPPED
        if p.status == USED:
            cv2.fillConvexPoly(fill, quad, colour)
        cv2.polylines(img, [quad], True, colour, 1, cv2.LINE_AA)
        cv2.putText(img, str(p.index), tuple(int(v) for v in quad[0]), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, colour, 1, cv2.LINE_AA)
        for x, y in np.round(g.reshape(-1, 2)).astype(int):
            cv2.circle(img, (int(x), int(y)), 1, colour, -1, cv2.LINE_AA)
    img = cv2.addWeighted(fill, 0.25, img, 0.75, 0)
    for k in range(1, GRID[0]):
        x = round(k * PANEL_WIDTH / GRID[0])
        cv2.line(img, (x, 0), (x, h - 1), (150, 150, 150), 1)
    for k in range(1, GRID[1]):
        y = round(k * h / GRID[1])
        cv2.line(img, (0, y), (PANEL_WIDTH - 1, y), (150, 150, 150), 1)
    cov = coverage(cal, side)
    text = f"{side}: {100 * cov.area:.0f}% covered, RMS {getattr(cal, f'rms_{side}_px'):.2f} px"
    cv2.putText(img, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


def coverage_image(cal: StereoCalibration) -> np.ndarray:
    """(h, 2 * PANEL_WIDTH + 8, 3) uint8 BGR: left and right camera side by side.

    Each used pair's board is a translucent quadrilateral with its corners as dots (one colour
    per pair), dropped pairs' boards are red outlines; each board carries its pair's index;
    grey lines split each image into the 3 x 3 regions the advice names.
    """
    left, right = _panel(cal, "left"), _panel(cal, "right")
    h = max(left.shape[0], right.shape[0])
    out = np.full((h, left.shape[1] + right.shape[1] + 8, 3), 255, np.uint8)
    out[:left.shape[0], :left.shape[1]] = left
    out[:right.shape[0], left.shape[1] + 8:] = right
    return out


def write_coverage_image(cal: StereoCalibration, path: str | Path) -> None:
    """Write :func:`coverage_image` as an image file (PNG by its extension)."""
    import cv2

    if not cv2.imwrite(str(path), coverage_image(cal)):
        raise InvalidInputError("path", str(path), "a writable .png file")
