"""Checkerboard corners in one image: detection, sub-pixel refinement and edge sharpness.

Pixels have their origin at the top-left pixel centre (OpenCV's corner coordinates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError

_PROFILE_SAMPLES = 33  # samples across one square edge
_PROFILE_SPAN = 0.4  # profile reaches +-0.4 square sides from the edge
_MIN_CONTRAST = 20.0  # grey levels between the two squares for an edge to count


def board_points(board: tuple[int, int], square_m: float) -> np.ndarray:
    """(cols*rows, 3) inner-corner coordinates on the board plane z = 0, m, row by row."""
    cols, rows = board
    grid = np.mgrid[0:cols, 0:rows].T.reshape(-1, 2).astype(np.float64)
    return np.hstack([grid * square_m, np.zeros((cols * rows, 1))])


def to_gray(image: np.ndarray | str | Path, field: str) -> np.ndarray:
    """An image file or array as (H, W) uint8 grey levels.

    Args:
        image: a path, or an (H, W) / (H, W, 3) BGR array (other dtypes are clipped to 0..255).
        field: name used in error messages.

    Raises:
        InvalidInputError: unreadable file, or an array that is not an image.
    """
    import cv2

    if isinstance(image, (str, Path)):
        img = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise InvalidInputError(field, str(image), "a readable image file")
        return img
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if img.ndim != 2 or img.size == 0:
        raise InvalidInputError(field, img.shape, "an (H, W) or (H, W, 3) image")
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def find_corners(gray: np.ndarray, board: tuple[int, int]) -> np.ndarray | None:
    """Inner corners of a (cols, rows) checkerboard, refined to sub-pixel accuracy.

    The refinement window is a third of the smallest corner spacing (3 to 11 px half-width),
    so that it never reaches the neighbouring corners.

    Args:
        gray: (H, W) uint8 image.
        board: inner corners (cols, rows).

    Returns:
        (cols*rows, 2) px, row by row, or None where the board is not found.
    """
    import cv2

    flags = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE
    ok, corners = cv2.findChessboardCorners(gray, board, flags=flags)
    if not ok:
        return None
    spacing = float(np.min(_spacings(corners.reshape(-1, 2), board)))
    half = int(np.clip(spacing / 3.0, 3, 11))
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-4)
    refined = cv2.cornerSubPix(gray, corners, (half, half), (-1, -1), crit)
    return refined.reshape(-1, 2).astype(np.float64)


def _spacings(corners: np.ndarray, board: tuple[int, int]) -> np.ndarray:
    """Distances (px) between neighbouring corners along rows and columns, flattened."""
    g = corners.reshape(board[1], board[0], 2)
    along_rows = np.linalg.norm(g[:, 1:] - g[:, :-1], axis=-1).ravel()
    along_cols = np.linalg.norm(g[1:] - g[:-1], axis=-1).ravel()
    return np.concatenate([along_rows, along_cols])


def _edge_sigmas(gray: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gaussian blur sigma (px) across the square edges running from corners a to b (M, 2).

    The grey-level profile across the edge's midpoint is sampled (bilinear); for an edge
    blurred by a Gaussian of sigma s, the steepest slope is contrast / (sqrt(2 pi) s).
    """
    import cv2

    d = b - a
    length = np.linalg.norm(d, axis=-1, keepdims=True)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=-1) / np.maximum(length, 1e-9)
    s = np.linspace(-_PROFILE_SPAN, _PROFILE_SPAN, _PROFILE_SAMPLES)[None, :] * length  # (M, K)
    pts = 0.5 * (a + b)[:, None, :] + s[..., None] * normal[:, None, :]
    prof = cv2.remap(gray.astype(np.float32), pts[..., 0].astype(np.float32),
                     pts[..., 1].astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(np.float64)
    contrast = np.abs(prof[:, -3:].mean(axis=1) - prof[:, :3].mean(axis=1))
    step = s[:, 1] - s[:, 0]
    slope = np.abs(prof[:, 2:] - prof[:, :-2]).max(axis=1) / (2.0 * step)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = contrast / (np.sqrt(2.0 * np.pi) * slope)
    return np.where(contrast >= _MIN_CONTRAST, sigma, np.nan)


def edge_blur_px(gray: np.ndarray, corners: np.ndarray, board: tuple[int, int]) -> float:
    """How blurred the board is: Gaussian sigma (px) of its square edges.

    The median over the edges running along rows and, separately, along columns; the larger
    of the two, so that motion blur in one direction counts. A sharp, anti-aliased edge
    gives about 0.5 px.

    Args:
        gray: (H, W) uint8 image.
        corners: (cols*rows, 2) px from :func:`find_corners`.
        board: inner corners (cols, rows).

    Returns:
        sigma in px (NaN when no edge has enough contrast).
    """
    g = np.asarray(corners, np.float64).reshape(board[1], board[0], 2)
    rows = _edge_sigmas(gray, g[:, :-1].reshape(-1, 2), g[:, 1:].reshape(-1, 2))
    cols = _edge_sigmas(gray, g[:-1].reshape(-1, 2), g[1:].reshape(-1, 2))
    meds = [np.nanmedian(v) for v in (rows, cols) if np.any(np.isfinite(v))]
    return float(max(meds)) if meds else float("nan")
